/*
 * integrations.h - what the audit log learns about a request beyond its own
 * fields: where the client address is (GeoIP, on libmaxminddb and a GeoLite2
 * City database) and which browser and system sent it (the User-Agent).
 *
 * Both are safe to call from any thread, HTTP event loops included: a lookup
 * never touches the disk or the network and never waits for a reload or a
 * download, which happen on GeoIP's own worker thread.
 */
#ifndef SY_INTEGRATIONS_H
#define SY_INTEGRATIONS_H

#include "../core/core.h"

/* geoip.c */

/* Labels Pocket ID stores for addresses that no database can place. */
#define GEOIP_INTERNAL_NETWORK "Internal Network"
#define GEOIP_LAN              "LAN"
#define GEOIP_TAILSCALE        "Tailscale"

/* Loads GEOLITE_DB_PATH if it is there (one log line if it is not: geolocation
 * is then off, which is not an error) and starts the worker thread that picks
 * up a changed file and, unless APP_ENV=test, downloads the database when
 * MAXMIND_LICENSE_KEY is set or GEOLITE_DB_URL changed (missing or older than
 * 14 days; retried hourly). Copies what it needs from cfg. Call once, after
 * curl_global_init; geoip_stop before exit. */
void geoip_setup(const struct sy_config *cfg);
/* Stops the worker (aborting a download in progress) and unloads the database. */
void geoip_stop(void);

/* The location label of a client address (IPv4 or IPv6 text, as in
 * http_req.client_ip), in the order Pocket ID applies them:
 *   IPv6 inside LOCAL_IPV6_RANGES                  -> "Internal Network", "LAN"
 *   100.64.0.0/10                                  -> "Internal Network", "Tailscale"
 *   private, loopback, link-local, unspecified     -> "Internal Network", "LAN"
 *   otherwise the database's country.names.en and city.names.en.
 * Both strings are empty when the address is empty or malformed, when there is
 * no database, or when the database has no entry. Results are valid UTF-8, cut
 * between characters to fit; country and city may be NULL when not wanted. */
void geoip_locate(const char *ip, char *country, size_t country_len, char *city, size_t city_len);

/* Whether a database is loaded (for the log and the tests). */
bool geoip_available(void);
/* Checks GEOLITE_DB_PATH now and reloads it if it changed (the worker does this
 * every minute). Returns true when a database is loaded afterwards. */
bool geoip_refresh(void);
/* One download, as the worker does it: GET url (http or https, redirects
 * followed, at most 10 minutes and 300 MB), take the raw .mmdb or the
 * GeoLite2-City.mmdb inside a .tar.gz, check that it opens, and rename it over
 * path atomically. On failure path is untouched and err says why (never with
 * the URL, which may hold the licence key). */
enum sy_err geoip_download(const char *url, const char *path, char *err, size_t errlen) SY_WARN_UNUSED;

/* useragent.c */

/* The audit log's "device": "<browser> on <system> <version>", e.g.
 * "Chrome on macOS 10.15", "Firefox on Windows 10", "Safari on iOS 17.4",
 * "Chrome on Android 14"; a client with no system in its User-Agent is named
 * alone ("curl"); empty or NULL input gives "". Always ASCII and at most
 * USERAGENT_DEVICE_MAX - 1 bytes; reads at most USERAGENT_SCAN_MAX bytes of ua. */
#define USERAGENT_DEVICE_MAX 96
#define USERAGENT_SCAN_MAX   1024
/* In the arena; never NULL ("" if the arena is full). */
const char *useragent_device(struct arena *a, const char *ua);
/* The same into a buffer, from n bytes of ua (no NUL needed; a NUL ends it). */
void useragent_describe(const char *ua, size_t n, char *out, size_t outlen);

#endif
