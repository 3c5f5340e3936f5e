-- API keys (Pocket ID's table), sign-up tokens and the application
-- configuration (Pocket ID keeps those two in its actor state; here they are
-- tables), and the indexes the administration lists sort and filter on.
CREATE TABLE api_keys (
    id TEXT NOT NULL PRIMARY KEY,
    name TEXT NOT NULL,
    key TEXT NOT NULL UNIQUE,
    description TEXT,
    expires_at DATETIME NOT NULL,
    last_used_at DATETIME,
    created_at DATETIME NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    expiration_email_sent BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX api_keys_user ON api_keys (user_id);

CREATE TABLE signup_tokens (
    id TEXT NOT NULL PRIMARY KEY,
    token TEXT NOT NULL UNIQUE,
    expires_at DATETIME NOT NULL,
    usage_limit INTEGER NOT NULL,
    usage_count INTEGER NOT NULL DEFAULT 0,
    created_at DATETIME NOT NULL
);

CREATE TABLE signup_tokens_user_groups (
    signup_token_id TEXT NOT NULL REFERENCES signup_tokens (id) ON DELETE CASCADE,
    user_group_id TEXT NOT NULL REFERENCES user_groups (id) ON DELETE CASCADE,
    PRIMARY KEY (signup_token_id, user_group_id)
);

-- one row per setting that differs from its default
CREATE TABLE app_config (
    key TEXT NOT NULL PRIMARY KEY,
    value TEXT NOT NULL
);

-- the admin list sorts on these (username, unique, breaks ties) and filters on
-- the flags (reference §0.1)
CREATE INDEX users_created_at ON users (created_at, username);
CREATE INDEX users_first_name ON users (first_name, username);
CREATE INDEX users_last_name ON users (last_name, username);
CREATE INDEX users_display_name ON users (display_name, username);
CREATE INDEX users_disabled ON users (disabled, username);
CREATE INDEX users_is_admin ON users (is_admin, username);
CREATE INDEX users_email_verified ON users (email_verified, username);
CREATE INDEX user_groups_users_group ON user_groups_users (user_group_id);
-- (owner, key): the lookup and its ORDER BY key in one index
CREATE INDEX custom_claims_user ON custom_claims (user_id, key);
CREATE INDEX custom_claims_group ON custom_claims (user_group_id, key);
