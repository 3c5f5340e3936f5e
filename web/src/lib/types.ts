/** The shapes the API sends back (Pocket ID's wire format). */

export interface CustomClaim {
  key: string;
  value: string;
}

export interface User {
  id: string;
  username: string;
  email: string | null;
  emailVerified: boolean;
  firstName: string;
  lastName: string;
  displayName: string;
  isAdmin: boolean;
  locale: string | null;
  customClaims: CustomClaim[];
  userGroups: UserGroup[];
  ldapId: string | null;
  disabled: boolean;
}

export interface Passkey {
  id: string;
  name: string;
  credentialID: string;
  attestationType: string;
  transport: string[] | null;
  backupEligible: boolean;
  backupState: boolean;
  createdAt: string;
}

/** The body of PUT /api/users/me. */
export interface UserUpdate {
  username: string;
  email: string;
  firstName: string;
  lastName: string;
  displayName: string;
  locale: string | null;
}

/** The pagination block of every list answer. */
export interface Pagination {
  totalPages: number;
  totalItems: number;
  currentPage: number;
  itemsPerPage: number;
}

/** A page of a list: `{"data":[...],"pagination":{...}}`. */
export interface Paginated<T> {
  data: T[];
  pagination: Pagination;
}

export interface UserGroup {
  id: string;
  friendlyName: string;
  name: string;
  customClaims: CustomClaim[];
  userCount: number;
  ldapId: string | null;
  createdAt: string;
  /** Only on GET /api/user-groups/:id. */
  users?: User[];
}

/** The body of POST /api/users and PUT /api/users/:id. */
export interface UserCreate {
  username: string;
  email: string;
  firstName: string;
  lastName: string;
  displayName: string;
  isAdmin: boolean;
  emailVerified: boolean;
  disabled: boolean;
  locale?: string | null;
}

export interface ApiKey {
  id: string;
  name: string;
  description: string | null;
  expiresAt: string;
  lastUsedAt: string | null;
  createdAt: string;
  expirationEmailSent: boolean;
}

export interface ApiKeyCreated {
  apiKey: ApiKey;
  token: string;
}

export interface AuditLog {
  id: string;
  createdAt: string;
  event: string;
  ipAddress: string | null;
  country: string | null;
  city: string | null;
  device: string;
  userID: string;
  username?: string;
  actorUsername?: string;
  data: Record<string, string> | null;
}

export interface SignupToken {
  id: string;
  token: string;
  expiresAt: string;
  usageLimit: number;
  usageCount: number;
  userGroups: UserGroup[];
  createdAt: string;
}

/** One entry of GET /api/application-configuration[/all]. */
export interface ConfigEntry {
  key: string;
  type: string;
  value: string;
  isPublic?: boolean;
}

/** A choice in a select or a radio group. */
export interface Option {
  value: string;
  label: string;
}
