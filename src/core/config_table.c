/*
 * config_table.c - every environment variable Symbolon reads, with its Pocket ID
 * default. This table is the single source for parsing, validation, --help and
 * docs/configuration.md (a test fails when that page is stale).
 */
#include <stddef.h>

#include "core.h"

#define F(x) offsetof(struct sy_config, x)
#define S(name, def, flags, field, help)                                                                               \
	{                                                                                                              \
		name, CFG_STRING, def, flags, F(field), 0, 0, NULL, help                                               \
	}
#define B(name, def, flags, field, help)                                                                               \
	{                                                                                                              \
		name, CFG_BOOL, def, flags, F(field), 0, 0, NULL, help                                                 \
	}
#define I(name, def, flags, field, lo, hi, help)                                                                       \
	{                                                                                                              \
		name, CFG_INT, def, flags, F(field), lo, hi, NULL, help                                                \
	}
#define E(name, def, flags, field, choices, help)                                                                      \
	{                                                                                                              \
		name, CFG_ENUM, def, flags, F(field), 0, 0, choices, help                                              \
	}

const struct cfg_opt config_table[] = {
        E("APP_ENV", "production", 0, app_env, "production|development|test",
          "Run mode. `test` turns rate limiting off."),
        {"APP_URL", CFG_ORIGIN, "http://localhost:1411", 0, F(app_url), 0, 0, NULL,
         "Public base URL, without a path: the OpenID issuer, the passkey origin and relying-party ID. "
         "A trailing slash is removed."},
        {"INTERNAL_APP_URL", CFG_ORIGIN, NULL, 0, F(internal_app_url), 0, 0, NULL,
         "Base URL for the back-channel endpoints in discovery (token, userinfo, introspection, JWKS). "
         "Defaults to APP_URL."},
        {"ENCRYPTION_KEY", CFG_KEY, NULL, CFG_FILE | CFG_SECRET, F(encryption_key), 0, 0, NULL,
         "Required. Master key (at least 16 bytes) that encrypts the signing key and derives other "
         "secrets. Generate one with `openssl rand -base64 32`. Keep it: without it the database is unusable."},
        S("DB_CONNECTION_STRING", "data/pocket-id.db", CFG_FILE | CFG_SECRET, db_connection_string,
          "`postgres://` or `postgresql://` URL for PostgreSQL; anything else is a SQLite file path."),
        {"TRUST_PROXY", CFG_PROXIES, NULL, 0, F(trust_proxy), 0, 0, NULL,
         "Whose `X-Forwarded-For`/`X-Real-IP` headers to believe: `true` (any peer), `false`, or a "
         "comma-separated list of IP addresses and CIDR ranges."},
        S("TRUSTED_PLATFORM", NULL, 0, trusted_platform,
          "Header set by a trusted platform that carries the client IP, e.g. `CF-Connecting-IP`."),
        S("PROXY_PROTOCOL", NULL, 0, proxy_protocol,
          "Not supported: the PROXY protocol header is refused at start-up. Use `X-Forwarded-For` with TRUST_PROXY."),
        I("PORT", "1411", 0, port, 1, 65535, "TCP port to listen on."),
        S("HOST", "0.0.0.0", 0, host, "Address to listen on (IPv4 or IPv6 literal)."),
        S("UNIX_SOCKET", NULL, 0, unix_socket, "Listen on this UNIX socket path instead of TCP."),
        {"UNIX_SOCKET_MODE", CFG_OCTAL, NULL, 0, F(unix_socket_mode), 0, 0777, NULL,
         "Octal file mode for UNIX_SOCKET, e.g. `0660`."},
        B("SYSTEMD_SOCKET", "false", 0, systemd_socket,
          "Take the listening socket from systemd socket activation and notify readiness."),
        S("TLS_CERT", NULL, CFG_SECRET, tls_cert, "PEM certificate chain, inline, to serve HTTPS directly."),
        S("TLS_KEY", NULL, CFG_SECRET, tls_key, "PEM private key, inline, for TLS_CERT."),
        S("TLS_CERT_FILE", NULL, 0, tls_cert_file, "PEM certificate chain file (read at start-up)."),
        S("TLS_KEY_FILE", NULL, 0, tls_key_file, "PEM private key file for TLS_CERT_FILE."),
        {"LOCAL_IPV6_RANGES", CFG_CIDRS, NULL, 0, F(local_ipv6_ranges), 0, 0, NULL,
         "Comma-separated IPv6 CIDR ranges treated as the local network in the audit log."},
        I("AUDIT_LOG_RETENTION_DAYS", "90", 0, audit_log_retention_days, 1, 36500, "Days to keep audit log entries."),
        B("ANALYTICS_DISABLED", "false", CFG_NO_EFFECT, analytics_disabled,
          "Accepted for compatibility. Symbolon never sends analytics."),
        B("VERSION_CHECK_DISABLED", "false", CFG_NO_EFFECT, version_check_disabled,
          "Accepted for compatibility. Symbolon never calls out to check for new versions."),
        B("ALLOW_DOWNGRADE", "false", 0, allow_downgrade,
          "Start even when the database schema is newer than this binary knows (not recommended)."),
        B("ALLOW_INSECURE_CALLBACK_URLS", "true", 0, allow_insecure_callback_urls,
          "Accept plain-HTTP redirect URIs on hosts other than loopback."),
        B("UI_CONFIG_DISABLED", "false", 0, ui_config_disabled,
          "Read the application configuration from environment variables; the admin UI becomes read-only."),
        B("DISABLE_RATE_LIMITING", "false", 0, disable_rate_limiting, "Turn every rate limit off."),
        S("STATIC_API_KEY", NULL, CFG_FILE | CFG_SECRET, static_api_key,
          "An API key (at least 16 characters) that acts as an administrator."),
        E("FILE_BACKEND", "filesystem", 0, file_backend, "filesystem|database",
          "Where uploaded images live: `filesystem` (UPLOAD_PATH) or `database`."),
        S("UPLOAD_PATH", "data/uploads", 0, upload_path, "Folder for uploaded files."),
        S("S3_BUCKET", NULL, CFG_NO_EFFECT, s3_bucket,
          "Ignored: Symbolon has no S3 backend (`FILE_BACKEND=s3` is refused at start-up)."),
        S("S3_REGION", NULL, CFG_NO_EFFECT, s3_region, "Ignored (see S3_BUCKET)."),
        S("S3_ENDPOINT", NULL, CFG_NO_EFFECT, s3_endpoint, "Ignored (see S3_BUCKET)."),
        S("S3_ACCESS_KEY_ID", NULL, CFG_NO_EFFECT, s3_access_key_id, "Ignored (see S3_BUCKET)."),
        S("S3_SECRET_ACCESS_KEY", NULL, CFG_FILE | CFG_SECRET | CFG_NO_EFFECT, s3_secret_access_key,
          "Ignored (see S3_BUCKET)."),
        B("S3_FORCE_PATH_STYLE", "false", CFG_NO_EFFECT, s3_force_path_style, "Ignored (see S3_BUCKET)."),
        B("S3_DISABLE_DEFAULT_INTEGRITY_CHECKS", "false", CFG_NO_EFFECT, s3_disable_default_integrity_checks,
          "Ignored (see S3_BUCKET)."),
        S("MAXMIND_LICENSE_KEY", NULL, CFG_FILE | CFG_SECRET, maxmind_license_key,
          "MaxMind licence key: download and refresh the GeoLite2 City database for the audit log."),
        S("GEOLITE_DB_PATH", "data/GeoLite2-City.mmdb", 0, geolite_db_path, "GeoLite2 City database file."),
        S("GEOLITE_DB_URL",
          "https://download.maxmind.com/app/geoip_download?edition_id=GeoLite2-City&license_key=%s&suffix=tar.gz", 0,
          geolite_db_url, "Download URL for the GeoLite2 database; `%s` is replaced by the licence key."),
        S("ACTORS_HOST", "0.0.0.0", CFG_NO_EFFECT, actors_host,
          "Accepted for compatibility. Symbolon has no actor runtime and opens no second port."),
        I("ACTORS_PORT", "1414", CFG_NO_EFFECT, actors_port, 1, 65535, "Accepted for compatibility (see ACTORS_HOST)."),
        E("LOG_LEVEL", "info", 0, log_level, "debug|info|warn|error", "Least severe log level printed."),
        B("LOG_JSON", "false", 0, log_json, "Print logs as JSON lines."),
        B("LOG_QUERY_ARGS", "false", 0, log_query_args, "Include SQL arguments in debug logs."),
        E("OTEL_TRACES_EXPORTER", "none", 0, otel_traces_exporter, "none",
          "Only `none`: Symbolon does not export OpenTelemetry traces."),
        E("OTEL_METRICS_EXPORTER", "none", 0, otel_metrics_exporter, "none",
          "Only `none`: Symbolon does not export OpenTelemetry metrics."),
        E("OTEL_LOGS_EXPORTER", "none", 0, otel_logs_exporter, "none",
          "Only `none`: Symbolon does not export OpenTelemetry logs."),
        I("PUID", "1000", CFG_CONTAINER, puid, 0, 2147483647,
          "Container only: user id the entrypoint runs the server as."),
        I("PGID", "1000", CFG_CONTAINER, pgid, 0, 2147483647,
          "Container only: group id the entrypoint runs the server as."),
        I("REQUEST_READ_TIMEOUT", "30", CFG_SYMBOLON, read_timeout, 1, 3600,
          "Seconds a client gets to send one complete request (headers and body); slower "
          "senders are disconnected."),
        I("SHUTDOWN_DRAIN_TIMEOUT", "10", CFG_SYMBOLON, drain_timeout, 0, 600,
          "Seconds to let in-flight requests finish after SIGTERM or SIGINT."),
};
const size_t config_table_len = sizeof config_table / sizeof config_table[0];
