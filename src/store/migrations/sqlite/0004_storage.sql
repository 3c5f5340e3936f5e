-- Uploaded files (application images, profile pictures) when
-- FILE_BACKEND=database: Pocket ID's `storage` table. path is relative, as on
-- the filesystem ("application-images/logoLight.png"); times are Unix seconds.
CREATE TABLE storage (
    path TEXT NOT NULL PRIMARY KEY,
    data BLOB NOT NULL,
    size INTEGER NOT NULL,
    mod_time DATETIME NOT NULL,
    created_at DATETIME NOT NULL
);
