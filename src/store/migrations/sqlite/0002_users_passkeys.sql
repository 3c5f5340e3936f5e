-- Users, groups and their custom claims, passkeys, WebAuthn ceremonies,
-- reauthentication tokens, login codes and the audit log. Table and column
-- names and types follow Pocket ID's schema (times are Unix seconds); columns
-- Pocket ID lacks are marked.
CREATE TABLE users (
    id TEXT NOT NULL PRIMARY KEY,
    created_at DATETIME,
    updated_at DATETIME,
    username TEXT NOT NULL COLLATE NOCASE UNIQUE,
    email TEXT UNIQUE,
    first_name TEXT NOT NULL,
    last_name TEXT NOT NULL,
    display_name TEXT NOT NULL,
    is_admin BOOLEAN NOT NULL DEFAULT FALSE,
    ldap_id TEXT UNIQUE,
    locale TEXT,
    disabled BOOLEAN NOT NULL DEFAULT FALSE,
    email_verified BOOLEAN NOT NULL DEFAULT FALSE
);
-- ours: an email address is taken whatever its case (Pocket ID checks in the
-- application only, which two concurrent requests can both pass)
CREATE UNIQUE INDEX users_email_lower ON users (lower(email));

CREATE TABLE user_groups (
    id TEXT NOT NULL PRIMARY KEY,
    created_at DATETIME,
    friendly_name TEXT NOT NULL,
    name TEXT NOT NULL UNIQUE,
    ldap_id TEXT,
    updated_at DATETIME
);
CREATE UNIQUE INDEX user_groups_ldap_id ON user_groups (ldap_id);

CREATE TABLE user_groups_users (
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    user_group_id TEXT NOT NULL REFERENCES user_groups (id) ON DELETE CASCADE,
    PRIMARY KEY (user_id, user_group_id)
);

CREATE TABLE custom_claims (
    id TEXT NOT NULL PRIMARY KEY,
    created_at DATETIME,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    user_id TEXT REFERENCES users (id) ON DELETE CASCADE,
    user_group_id TEXT REFERENCES user_groups (id) ON DELETE CASCADE,
    UNIQUE (key, user_id, user_group_id),
    CHECK ((user_id IS NULL) <> (user_group_id IS NULL))
);

-- sign_count is ours: Pocket ID does not keep it, we refuse a counter that goes back.
CREATE TABLE webauthn_credentials (
    id TEXT NOT NULL PRIMARY KEY,
    created_at DATETIME NOT NULL,
    name TEXT NOT NULL,
    credential_id BLOB NOT NULL UNIQUE,
    public_key BLOB NOT NULL,
    attestation_type TEXT NOT NULL,
    transport BLOB NOT NULL DEFAULT '[]',
    user_id TEXT REFERENCES users (id) ON DELETE CASCADE,
    backup_eligible BOOLEAN NOT NULL DEFAULT FALSE,
    backup_state BOOLEAN NOT NULL DEFAULT FALSE,
    sign_count INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX webauthn_credentials_user ON webauthn_credentials (user_id);

-- Ceremonies that have been used. A ceremony itself travels sealed in the
-- session cookie (src/auth/passkeys.c); finishing it inserts its id here, so a
-- second use hits the primary key. One b-tree and no secondary index keep that
-- insert cheap (WITHOUT ROWID on SQLite; no unique index on challenge, unlike
-- Pocket ID: challenges are 256 random bits). The janitor deletes rows whose
-- ceremony has expired. user_id (ours) is the user of a registration.
CREATE TABLE webauthn_sessions (
    id TEXT NOT NULL PRIMARY KEY,
    created_at DATETIME NOT NULL,
    challenge TEXT NOT NULL,
    expires_at DATETIME NOT NULL,
    user_verification TEXT NOT NULL,
    credential_params BLOB NOT NULL DEFAULT '[]',
    user_id TEXT REFERENCES users (id) ON DELETE CASCADE
) WITHOUT ROWID;

CREATE TABLE reauthentication_tokens (
    id TEXT NOT NULL PRIMARY KEY,
    created_at DATETIME NOT NULL,
    token TEXT NOT NULL UNIQUE,
    expires_at DATETIME NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE
);

-- Pocket ID keeps login codes in actor state; here they are a table. token is
-- a keyed hash of the code, never the code.
CREATE TABLE one_time_access_tokens (
    id TEXT NOT NULL PRIMARY KEY,
    created_at DATETIME NOT NULL,
    token TEXT NOT NULL UNIQUE,
    expires_at DATETIME NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    device_token TEXT
);

CREATE TABLE audit_logs (
    id TEXT NOT NULL PRIMARY KEY,
    created_at DATETIME NOT NULL,
    event TEXT NOT NULL,
    ip_address TEXT,
    user_agent TEXT,
    data BLOB NOT NULL DEFAULT '{}',
    user_id TEXT REFERENCES users (id) ON DELETE CASCADE,
    country TEXT,
    city TEXT
);
CREATE INDEX audit_logs_event ON audit_logs (event);
CREATE INDEX audit_logs_created_at ON audit_logs (created_at);
CREATE INDEX audit_logs_user_id ON audit_logs (user_id);
