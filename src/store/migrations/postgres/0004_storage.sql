-- Uploaded files (application images, profile pictures) when
-- FILE_BACKEND=database: Pocket ID's `storage` table, shared by every instance
-- on this database. path is relative, as on the filesystem
-- ("application-images/logoLight.png").
CREATE TABLE storage (
    path TEXT NOT NULL PRIMARY KEY,
    data BYTEA NOT NULL,
    size BIGINT NOT NULL,
    mod_time TIMESTAMPTZ NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
