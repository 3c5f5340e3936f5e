-- Replay protection for federated client assertions (reference §2.5): the
-- jti of every assertion accepted for a federated identity with
-- replayProtection, kept until the assertion expires. Pocket ID's table;
-- jti holds the SHA-256 (hex) of the issuer, a newline and the jti (ours:
-- bounded, and the jtis of different issuers kept apart).
CREATE TABLE oauth2_jtis (
    id TEXT NOT NULL PRIMARY KEY,
    created_at DATETIME NOT NULL,
    jti TEXT NOT NULL UNIQUE,
    expires_at DATETIME NOT NULL
);
CREATE INDEX oauth2_jtis_expires ON oauth2_jtis (expires_at);
