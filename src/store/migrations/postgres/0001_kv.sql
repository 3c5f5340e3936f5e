-- Key-value settings of the instance: instance_id and the encrypted signing key
-- (jwt_private_key.json). Same table and columns as Pocket ID's `kv`.
CREATE TABLE kv (
    key TEXT NOT NULL PRIMARY KEY,
    value TEXT
);
