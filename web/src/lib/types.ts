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
  userGroups: unknown[];
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
