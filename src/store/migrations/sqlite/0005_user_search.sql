-- The users list at 100,000 users and more.

-- The number of users, kept by the triggers below: the unfiltered list shows
-- it on every page, and count(*) reads a whole index each time.
CREATE TABLE users_count (
    only_row INTEGER NOT NULL PRIMARY KEY CHECK (only_row = 1),
    n INTEGER NOT NULL
);
INSERT INTO users_count (only_row, n) SELECT 1, count(*) FROM users;

-- The search (a substring of email, first, last or user name)
-- from an index instead of a scan: FTS5's trigram tokenizer finds any
-- substring of three characters or more. The index is contentless (the names
-- live in users only) and keyed by users_search_keys.seq, an INTEGER PRIMARY
-- KEY, because VACUUM may renumber the rowids of users, whose key is TEXT.
CREATE TABLE users_search_keys (
    seq INTEGER PRIMARY KEY,
    user_id TEXT NOT NULL UNIQUE
);
CREATE VIRTUAL TABLE users_search USING fts5 (
    email, first_name, last_name, username,
    content = '', tokenize = 'trigram case_sensitive 0'
);

INSERT INTO users_search_keys (user_id) SELECT id FROM users;
INSERT INTO users_search (rowid, email, first_name, last_name, username)
    SELECT k.seq, u.email, u.first_name, u.last_name, u.username
    FROM users u JOIN users_search_keys k ON k.user_id = u.id;

CREATE TRIGGER users_search_insert AFTER INSERT ON users BEGIN
    UPDATE users_count SET n = n + 1;
    INSERT INTO users_search_keys (user_id) VALUES (new.id);
    INSERT INTO users_search (rowid, email, first_name, last_name, username)
        SELECT seq, new.email, new.first_name, new.last_name, new.username
        FROM users_search_keys WHERE user_id = new.id;
END;

-- a contentless index forgets a row by being told the values it indexed
CREATE TRIGGER users_search_delete AFTER DELETE ON users BEGIN
    UPDATE users_count SET n = n - 1;
    INSERT INTO users_search (users_search, rowid, email, first_name, last_name, username)
        SELECT 'delete', seq, old.email, old.first_name, old.last_name, old.username
        FROM users_search_keys WHERE user_id = old.id;
    DELETE FROM users_search_keys WHERE user_id = old.id;
END;

CREATE TRIGGER users_search_update AFTER UPDATE OF email, first_name, last_name, username ON users BEGIN
    INSERT INTO users_search (users_search, rowid, email, first_name, last_name, username)
        SELECT 'delete', seq, old.email, old.first_name, old.last_name, old.username
        FROM users_search_keys WHERE user_id = old.id;
    INSERT INTO users_search (rowid, email, first_name, last_name, username)
        SELECT seq, new.email, new.first_name, new.last_name, new.username
        FROM users_search_keys WHERE user_id = new.id;
END;

-- sorting by email (ties by username) from an index, like the other columns of 0003
CREATE INDEX users_email_sort ON users (email, username);
