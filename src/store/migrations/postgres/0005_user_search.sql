-- The users list at 100,000 users and more.

-- The number of users, kept by statement triggers: the unfiltered list shows
-- it on every page, and count(*) reads every row (or index entry) each time.
CREATE TABLE users_count (
    only_row BOOLEAN NOT NULL PRIMARY KEY DEFAULT TRUE CHECK (only_row),
    n BIGINT NOT NULL
);
INSERT INTO users_count (n) SELECT count(*) FROM users;

CREATE FUNCTION users_count_added() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE users_count SET n = n + (SELECT count(*) FROM added);
    RETURN NULL;
END $$;
CREATE FUNCTION users_count_removed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE users_count SET n = n - (SELECT count(*) FROM removed);
    RETURN NULL;
END $$;
CREATE FUNCTION users_count_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE users_count SET n = 0;
    RETURN NULL;
END $$;
CREATE TRIGGER users_count_insert AFTER INSERT ON users
    REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION users_count_added();
CREATE TRIGGER users_count_delete AFTER DELETE ON users
    REFERENCING OLD TABLE AS removed FOR EACH STATEMENT EXECUTE FUNCTION users_count_removed();
CREATE TRIGGER users_count_truncate AFTER TRUNCATE ON users
    FOR EACH STATEMENT EXECUTE FUNCTION users_count_truncated();

-- The sort indexes carry the id, so that a page is read from the index alone
-- (an index-only scan): OFFSET then skips index entries, not table rows.
ALTER TABLE users DROP CONSTRAINT users_username_key,
    ADD CONSTRAINT users_username_key UNIQUE (username) INCLUDE (id);
DROP INDEX users_created_at, users_first_name, users_last_name, users_display_name, users_disabled,
    users_is_admin, users_email_verified;
CREATE INDEX users_created_at ON users (created_at, username) INCLUDE (id);
CREATE INDEX users_first_name ON users (first_name, username) INCLUDE (id);
CREATE INDEX users_last_name ON users (last_name, username) INCLUDE (id);
CREATE INDEX users_display_name ON users (display_name, username) INCLUDE (id);
CREATE INDEX users_email_sort ON users (email, username) INCLUDE (id);
CREATE INDEX users_disabled ON users (disabled, username) INCLUDE (id);
CREATE INDEX users_is_admin ON users (is_admin, username) INCLUDE (id);
CREATE INDEX users_email_verified ON users (email_verified, username) INCLUDE (id);
