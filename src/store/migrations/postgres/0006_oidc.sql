-- The OpenID Connect provider: clients, their allowed groups, consents,
-- issued codes and tokens, and pending authorization requests. Names and
-- types follow Pocket ID's schema; columns Pocket ID lacks are marked "ours".
CREATE TABLE oidc_clients (
    id TEXT NOT NULL PRIMARY KEY,
    created_at TIMESTAMPTZ NOT NULL,
    name TEXT,
    callback_urls JSONB,
    image_type TEXT,
    created_by_id TEXT REFERENCES users (id) ON DELETE SET NULL,
    is_public BOOLEAN NOT NULL DEFAULT FALSE,
    pkce_enabled BOOLEAN NOT NULL DEFAULT FALSE,
    logout_callback_urls JSONB,
    -- {"secrets": [{"id","alg":"sha256","hash","prefix","createdAt","expiresAt"}], "federatedIdentities": []}
    credentials JSONB,
    launch_url TEXT,
    requires_reauthentication BOOLEAN NOT NULL DEFAULT FALSE,
    dark_image_type TEXT,
    is_group_restricted BOOLEAN NOT NULL DEFAULT FALSE,
    requires_pushed_authorization_requests BOOLEAN NOT NULL DEFAULT FALSE,
    skip_consent BOOLEAN NOT NULL DEFAULT FALSE,
    pkce_supported BOOLEAN NOT NULL DEFAULT FALSE,
    description TEXT NOT NULL DEFAULT '',
    client_type TEXT DEFAULT 'standard',
    metadata_expires_at TIMESTAMPTZ,
    metadata_grant_types JSONB,
    access_token_duration_minutes INTEGER NOT NULL DEFAULT 60,
    refresh_token_duration_minutes INTEGER NOT NULL DEFAULT 43200
);
CREATE INDEX oidc_clients_name ON oidc_clients (name, id);

CREATE TABLE oidc_clients_allowed_user_groups (
    user_group_id TEXT NOT NULL REFERENCES user_groups (id) ON DELETE CASCADE,
    oidc_client_id TEXT NOT NULL REFERENCES oidc_clients (id) ON DELETE CASCADE,
    PRIMARY KEY (oidc_client_id, user_group_id)
);
CREATE INDEX oidc_clients_allowed_user_groups_group ON oidc_clients_allowed_user_groups (user_group_id);

-- consents and "last used" (My Apps)
CREATE TABLE user_authorized_oidc_clients (
    scope JSONB NOT NULL DEFAULT '[]',
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    client_id TEXT NOT NULL REFERENCES oidc_clients (id) ON DELETE CASCADE,
    last_used_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (user_id, client_id)
);
CREATE INDEX user_authorized_oidc_clients_client ON user_authorized_oidc_clients (client_id);

-- every code and token issued: kind 'authorize_code', 'access_token' or
-- 'refresh_token'; key = the token's signature (its secret part is never
-- stored); request_id = the authorization it descends from (a family:
-- revoked together when a spent code or refresh token comes back)
CREATE TABLE oauth2_sessions (
    id TEXT NOT NULL PRIMARY KEY,
    created_at TIMESTAMPTZ NOT NULL,
    kind TEXT NOT NULL,
    key TEXT NOT NULL,
    request_id TEXT NOT NULL,
    client_id TEXT NOT NULL REFERENCES oidc_clients (id) ON DELETE CASCADE,
    access_token_signature TEXT DEFAULT '',
    active BOOLEAN NOT NULL DEFAULT TRUE,
    request_data JSONB NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    -- ours: the user (NULL for client_credentials), so that deleting a user or
    -- revoking an app finds the tokens without reading request_data
    user_id TEXT REFERENCES users (id) ON DELETE CASCADE,
    UNIQUE (kind, key)
);
-- every token is a row, so every index costs at each sign-in: these four are
-- the lookups there are (a family by request_id, the janitor by expiry, an
-- app's tokens by user and client); deleting a client, which is rare, scans
CREATE INDEX oauth2_sessions_request ON oauth2_sessions (request_id, kind);
CREATE INDEX oauth2_sessions_expires ON oauth2_sessions (expires_at);
CREATE INDEX oauth2_sessions_user_client ON oauth2_sessions (user_id, client_id);

-- an authorization request waiting for the person (sign-in, account choice,
-- re-authentication, consent); one hour at most
CREATE TABLE interaction_sessions (
    id TEXT NOT NULL PRIMARY KEY,
    created_at TIMESTAMPTZ NOT NULL,
    consent_required BOOLEAN NOT NULL DEFAULT FALSE,
    reauthentication_required BOOLEAN NOT NULL DEFAULT FALSE,
    authentication_required BOOLEAN NOT NULL DEFAULT FALSE,
    account_selection_required BOOLEAN NOT NULL DEFAULT FALSE,
    scopes JSONB NOT NULL DEFAULT '[]',
    client_id TEXT NOT NULL REFERENCES oidc_clients (id) ON DELETE CASCADE,
    user_id TEXT REFERENCES users (id) ON DELETE CASCADE,
    requested_at TIMESTAMPTZ NOT NULL,
    reauthenticated_at TIMESTAMPTZ,
    parameters JSONB NOT NULL DEFAULT '{}'
);
CREATE INDEX interaction_sessions_created_at ON interaction_sessions (created_at);
