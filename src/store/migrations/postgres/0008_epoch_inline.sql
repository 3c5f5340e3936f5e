-- epoch() was declared IMMUTABLE over extract(epoch FROM timestamptz), which
-- PostgreSQL marks STABLE; a body more volatile than its declaration is never
-- inlined, so every call ran as a nested SQL function (planned on each call:
-- about a tenth of the database's time on an OIDC login). Taken at UTC the
-- expression is IMMUTABLE, inlines, and gives the same seconds.
CREATE OR REPLACE FUNCTION epoch(timestamptz) RETURNS bigint
    LANGUAGE sql IMMUTABLE STRICT AS $$SELECT extract(epoch FROM $1 AT TIME ZONE 'UTC')::bigint$$;
