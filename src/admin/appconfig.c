/*
 * appconfig.c - Pocket ID's application configuration (reference §6): the
 * settings an administrator changes at run time. Every value is a string, as
 * Pocket ID keeps them; an empty string means the default.
 */
#include <ctype.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../auth/auth.h"
#include "../http/http.h"
#include "../store/store.h"
#include "admin.h"

enum ac_type { AC_STRING, AC_BOOL, AC_INT, AC_ENUM, AC_JSON_ARRAY, AC_EMAIL };
enum { AC_PUBLIC = 1, AC_SECRET = 2 };

struct ac_key {
	const char *key, *env;
	enum ac_type type;
	const char *def;
	unsigned flags;
	const char *choices; /* AC_ENUM: "a|b|c" */
	long max_len;        /* AC_STRING: 0 = unbounded */
};

static const struct ac_key KEYS[] = {
        {"appName", "APP_NAME", AC_STRING, "Pocket ID", AC_PUBLIC, NULL, 30},
        {"sessionDuration", "SESSION_DURATION", AC_INT, "60", 0, NULL, 0},
        {"homePageUrl", "HOME_PAGE_URL", AC_STRING, "/settings/account", AC_PUBLIC, NULL, 0},
        {"emailsVerified", "EMAILS_VERIFIED", AC_BOOL, "false", 0, NULL, 0},
        {"accentColor", "ACCENT_COLOR", AC_STRING, "default", AC_PUBLIC, NULL, 0},
        {"disableAnimations", "DISABLE_ANIMATIONS", AC_BOOL, "false", AC_PUBLIC, NULL, 0},
        {"allowOwnAccountEdit", "ALLOW_OWN_ACCOUNT_EDIT", AC_BOOL, "true", AC_PUBLIC, NULL, 0},
        {"allowUserSignups", "ALLOW_USER_SIGNUPS", AC_ENUM, "disabled", AC_PUBLIC, "disabled|withToken|open", 0},
        {"signupDefaultUserGroupIDs", "SIGNUP_DEFAULT_USER_GROUP_IDS", AC_JSON_ARRAY, "[]", 0, NULL, 0},
        {"signupDefaultCustomClaims", "SIGNUP_DEFAULT_CUSTOM_CLAIMS", AC_JSON_ARRAY, "[]", 0, NULL, 0},
        {"requireUserEmail", "REQUIRE_USER_EMAIL", AC_BOOL, "true", AC_PUBLIC, NULL, 0},
        {"smtpHost", "SMTP_HOST", AC_STRING, "", 0, NULL, 0},
        {"smtpPort", "SMTP_PORT", AC_STRING, "", 0, NULL, 0},
        {"smtpFrom", "SMTP_FROM", AC_EMAIL, "", 0, NULL, 0},
        {"smtpUser", "SMTP_USER", AC_STRING, "", 0, NULL, 0},
        {"smtpPassword", "SMTP_PASSWORD", AC_STRING, "", AC_SECRET, NULL, 0},
        {"smtpTls", "SMTP_TLS", AC_ENUM, "none", 0, "none|starttls|tls", 0},
        {"smtpSkipCertVerify", "SMTP_SKIP_CERT_VERIFY", AC_BOOL, "false", 0, NULL, 0},
        {"emailLoginNotificationEnabled", "EMAIL_LOGIN_NOTIFICATION_ENABLED", AC_BOOL, "false", 0, NULL, 0},
        {"emailOneTimeAccessAsUnauthenticatedEnabled", "EMAIL_ONE_TIME_ACCESS_AS_UNAUTHENTICATED_ENABLED", AC_BOOL,
         "false", AC_PUBLIC, NULL, 0},
        {"emailOneTimeAccessAsAdminEnabled", "EMAIL_ONE_TIME_ACCESS_AS_ADMIN_ENABLED", AC_BOOL, "false", AC_PUBLIC,
         NULL, 0},
        {"emailApiKeyExpirationEnabled", "EMAIL_API_KEY_EXPIRATION_ENABLED", AC_BOOL, "false", 0, NULL, 0},
        {"emailVerificationEnabled", "EMAIL_VERIFICATION_ENABLED", AC_BOOL, "false", AC_PUBLIC, NULL, 0},
        {"ldapEnabled", "LDAP_ENABLED", AC_BOOL, "false", AC_PUBLIC, NULL, 0},
        {"ldapUrl", "LDAP_URL", AC_STRING, "", 0, NULL, 0},
        {"ldapBindDn", "LDAP_BIND_DN", AC_STRING, "", 0, NULL, 0},
        {"ldapBindPassword", "LDAP_BIND_PASSWORD", AC_STRING, "", AC_SECRET, NULL, 0},
        {"ldapBase", "LDAP_BASE", AC_STRING, "", 0, NULL, 0},
        {"ldapUserSearchFilter", "LDAP_USER_SEARCH_FILTER", AC_STRING, "(objectClass=person)", 0, NULL, 0},
        {"ldapUserGroupSearchFilter", "LDAP_USER_GROUP_SEARCH_FILTER", AC_STRING, "(objectClass=groupOfNames)", 0, NULL,
         0},
        {"ldapSkipCertVerify", "LDAP_SKIP_CERT_VERIFY", AC_BOOL, "false", 0, NULL, 0},
        {"ldapAttributeUserUniqueIdentifier", "LDAP_ATTRIBUTE_USER_UNIQUE_IDENTIFIER", AC_STRING, "", 0, NULL, 0},
        {"ldapAttributeUserUsername", "LDAP_ATTRIBUTE_USER_USERNAME", AC_STRING, "", 0, NULL, 0},
        {"ldapAttributeUserEmail", "LDAP_ATTRIBUTE_USER_EMAIL", AC_STRING, "", 0, NULL, 0},
        {"ldapAttributeUserFirstName", "LDAP_ATTRIBUTE_USER_FIRST_NAME", AC_STRING, "", 0, NULL, 0},
        {"ldapAttributeUserLastName", "LDAP_ATTRIBUTE_USER_LAST_NAME", AC_STRING, "", 0, NULL, 0},
        {"ldapAttributeUserDisplayName", "LDAP_ATTRIBUTE_USER_DISPLAY_NAME", AC_STRING, "cn", 0, NULL, 0},
        {"ldapAttributeUserProfilePicture", "LDAP_ATTRIBUTE_USER_PROFILE_PICTURE", AC_STRING, "", 0, NULL, 0},
        {"ldapAttributeGroupMember", "LDAP_ATTRIBUTE_GROUP_MEMBER", AC_STRING, "member", 0, NULL, 0},
        {"ldapAttributeGroupUniqueIdentifier", "LDAP_ATTRIBUTE_GROUP_UNIQUE_IDENTIFIER", AC_STRING, "", 0, NULL, 0},
        {"ldapAttributeGroupName", "LDAP_ATTRIBUTE_GROUP_NAME", AC_STRING, "", 0, NULL, 0},
        {"ldapAdminGroupName", "LDAP_ADMIN_GROUP_NAME", AC_STRING, "", 0, NULL, 0},
        {"ldapSoftDeleteUsers", "LDAP_SOFT_DELETE_USERS", AC_BOOL, "true", 0, NULL, 0},
        {"webauthnUserVerification", "WEBAUTHN_USER_VERIFICATION", AC_ENUM, "required", 0, "required|preferred", 0},
        {"webauthnAllowSyncedPasskeys", "WEBAUTHN_ALLOW_SYNCED_PASSKEYS", AC_BOOL, "true", 0, NULL, 0},
        {"webauthnAuthenticatorAttachment", "WEBAUTHN_AUTHENTICATOR_ATTACHMENT", AC_ENUM, "any", 0,
         "any|platform|cross-platform", 0},
        {"cimdUrlAllowlist", "CIMD_URL_ALLOWLIST", AC_JSON_ARRAY, "[]", 0, NULL, 0},
};
#define NKEYS (sizeof KEYS / sizeof KEYS[0])

/* The settings in force: an immutable snapshot, replaced whole when they
 * change, so readers on every thread use it without a lock. Replaced
 * snapshots are kept until exit (a change is a rare admin action), because a
 * reader may still hold a string of one. */
struct snapshot {
	char *v[NKEYS];
	struct snapshot *retired;
};
static _Atomic(struct snapshot *) current;
static struct snapshot *retired;
static pthread_mutex_t swap_lock = PTHREAD_MUTEX_INITIALIZER;
static bool ui_disabled;

static void publish(struct snapshot *next)
{
	pthread_mutex_lock(&swap_lock);
	struct snapshot *old = atomic_exchange(&current, next);
	if (old) {
		old->retired = retired;
		retired = old;
	}
	pthread_mutex_unlock(&swap_lock);
}

static void snapshot_free(struct snapshot *sn)
{
	for (size_t i = 0; i < NKEYS; i++)
		free(sn->v[i]);
	free(sn);
}

static const struct ac_key *find(const char *key, size_t *idx)
{
	for (size_t i = 0; i < NKEYS; i++)
		if (strcmp(KEYS[i].key, key) == 0) {
			*idx = i;
			return &KEYS[i];
		}
	return NULL;
}

/* Environment booleans are read as Pocket ID reads them (true/1/yes/t and
 * their negatives); the stored form is always "true" or "false". */
static const char *truthy(const char *v)
{
	static const char *const yes[] = {"true", "1", "yes", "t", "y", "on"};
	static const char *const no[] = {"false", "0", "no", "f", "n", "off"};
	for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++)
		if (strcasecmp(v, yes[i]) == 0)
			return "true";
	for (size_t i = 0; i < sizeof no / sizeof no[0]; i++)
		if (strcasecmp(v, no[i]) == 0)
			return "false";
	return NULL;
}

static bool in_choices(const char *choices, const char *v)
{
	size_t n = strlen(v);
	for (const char *p = choices; *p;) {
		const char *bar = strchr(p, '|');
		size_t k = bar ? (size_t)(bar - p) : strlen(p);
		if (k == n && strncmp(p, v, n) == 0)
			return true;
		p += k + (bar ? 1 : 0);
	}
	return false;
}

/* The normalised value, or NULL with *problem set. */
static const char *validate(const struct ac_key *k, const char *v, const char **problem)
{
	switch (k->type) {
	case AC_BOOL:
		if (!truthy(v))
			*problem = "is not a boolean; use true or false";
		return truthy(v);
	case AC_INT: {
		long n;
		if (parse_long(v, 1, 525600, &n)) {
			*problem = "is not a whole number of minutes between 1 and 525600";
			return NULL;
		}
		return v;
	}
	case AC_ENUM:
		if (!in_choices(k->choices, v)) {
			*problem = "is not one of the allowed values";
			return NULL;
		}
		return v;
	case AC_JSON_ARRAY: {
		json_t *j = json_loads(v, JSON_REJECT_DUPLICATES, NULL);
		bool ok = json_is_array(j);
		json_decref(j);
		if (!ok)
			*problem = "is not a JSON array";
		return ok ? v : NULL;
	}
	case AC_EMAIL:
		if (*v && !email_valid(v)) {
			*problem = "is not an email address";
			return NULL;
		}
		return v;
	case AC_STRING:
		if (k->max_len && (long)strlen(v) > k->max_len) {
			*problem = "is too long";
			return NULL;
		}
		return v;
	}
	return NULL;
}

/* VAR, else VAR_FILE for secrets (the file's content, trailing newline trimmed). */
static char *env_value(const struct ac_key *k, config_getenv_fn get, char *err, size_t errlen, bool *failed)
{
	const char *v = get(k->env);
	if (v && *v)
		return sy_strdup(v);
	if (!(k->flags & AC_SECRET))
		return NULL;
	char name[96];
	snprintf(name, sizeof name, "%s_FILE", k->env);
	const char *path = get(name);
	if (!path || !*path)
		return NULL;
	char *text;
	size_t n;
	if (file_read(path, 64 * 1024, &text, &n)) {
		snprintf(err, errlen, "config error: %s: cannot read %s; check the path and its permissions", name,
		         path);
		*failed = true;
		return NULL;
	}
	while (n && (text[n - 1] == '\n' || text[n - 1] == '\r'))
		text[--n] = '\0';
	return text;
}

enum sy_err appcfg_init(const struct sy_config *cfg, config_getenv_fn get, char *err, size_t errlen)
{
	ui_disabled = cfg->ui_config_disabled;
	struct snapshot *sn = sy_calloc(1, sizeof *sn);
	for (size_t i = 0; i < NKEYS; i++) {
		const struct ac_key *k = &KEYS[i];
		bool failed = false;
		char *v = ui_disabled ? env_value(k, get, err, errlen, &failed) : NULL;
		const char *problem = NULL, *ok = v ? validate(k, v, &problem) : k->def;
		if (!failed && !ok) {
			if (k->flags & AC_SECRET)
				snprintf(err, errlen, "config error: %s %s", k->env, problem);
			else
				snprintf(err, errlen, "config error: %s=\"%.80s\" %s", k->env, v, problem);
		}
		sn->v[i] = ok ? sy_strdup(ok) : NULL;
		free(v);
		if (failed || !ok) {
			snapshot_free(sn);
			return SY_E_CONFIG;
		}
	}
	publish(sn);
	return SY_OK;
}

void appcfg_free(void)
{
	struct snapshot *sn = atomic_exchange(&current, NULL);
	if (sn)
		snapshot_free(sn);
	while (retired) {
		struct snapshot *next = retired->retired;
		snapshot_free(retired);
		retired = next;
	}
}

/* The stored settings over the defaults. A stored value that no longer
 * validates (an older version's) is left out with a warning. */
enum sy_err appcfg_load(struct store *s)
{
	if (ui_disabled)
		return SY_OK;
	struct snapshot *sn = sy_calloc(1, sizeof *sn);
	struct store_stmt *st;
	enum sy_err e = store_prepare(s, "SELECT key, value FROM app_config", &st);
	bool row;
	while (!e && !(e = store_step(st, &row)) && row) {
		size_t i;
		const char *problem = NULL, *v = store_col_text(st, 1);
		const struct ac_key *k = find(store_col_text(st, 0), &i);
		const char *ok = k ? validate(k, v, &problem) : NULL;
		if (k && ok && !sn->v[i])
			sn->v[i] = sy_strdup(ok);
		else if (k && !ok)
			log_warn("application configuration: stored %s %s; using the default", k->key, problem);
	}
	if (st)
		store_finalize(st);
	if (e) {
		snapshot_free(sn);
		return e;
	}
	for (size_t i = 0; i < NKEYS; i++)
		if (!sn->v[i])
			sn->v[i] = sy_strdup(KEYS[i].def);
	/* nothing changed: keep the snapshot readers have */
	struct snapshot *cur = atomic_load(&current);
	bool same = cur != NULL;
	for (size_t i = 0; same && i < NKEYS; i++)
		same = strcmp(cur->v[i], sn->v[i]) == 0;
	if (same)
		snapshot_free(sn);
	else
		publish(sn);
	return SY_OK;
}

const char *appcfg_str(const char *key)
{
	size_t i;
	if (!find(key, &i)) {
		log_error("unknown application configuration key %s", key);
		return "";
	}
	struct snapshot *sn = atomic_load(&current);
	return sn && sn->v[i] ? sn->v[i] : KEYS[i].def;
}

bool appcfg_bool(const char *key)
{
	return strcmp(appcfg_str(key), "true") == 0;
}

long appcfg_long(const char *key)
{
	long n = 0;
	if (parse_long(appcfg_str(key), 0, 525600, &n))
		return 0;
	return n;
}

enum sy_err appcfg_public_handler(struct http_req *r)
{
	/* Pocket ID leaves "type" empty on the model's keys and sets it on one of
	 * its two extra entries only; clients may depend on that */
	json_t *list = json_array();
	for (size_t i = 0; i < NKEYS; i++)
		if (KEYS[i].flags & AC_PUBLIC)
			json_array_append_new(list, json_pack("{s:s, s:s, s:s}", "key", KEYS[i].key, "type", "",
			                                      "value", appcfg_str(KEYS[i].key)));
	json_array_append_new(list, json_pack("{s:s, s:s, s:s}", "key", "uiConfigDisabled", "type", "boolean", "value",
	                                      ui_disabled ? "true" : "false"));
	json_array_append_new(list,
	                      json_pack("{s:s, s:s, s:s}", "key", "tracingEnabled", "type", "", "value", "false"));
	return http_reply_json(r, 200, list);
}

static json_t *all_list(void)
{
	json_t *list = json_array();
	for (size_t i = 0; i < NKEYS; i++) {
		const char *v = appcfg_str(KEYS[i].key);
		/* Pocket ID masks secrets only when they come from the environment */
		if (ui_disabled && (KEYS[i].flags & AC_SECRET) && *v)
			v = "XXXXXXXXXX";
		json_array_append_new(list, json_pack("{s:s, s:s, s:s, s:b}", "key", KEYS[i].key, "type", "", "value",
		                                      v, "isPublic", 0));
	}
	return list;
}

enum sy_err appcfg_all_handler(struct http_req *r)
{
	struct store *s;
	struct session me;
	enum sy_err e;
	if ((e = auth_store(r, &s)) || (e = auth_admin(r, s, &me)))
		return e;
	return http_reply_json(r, 200, all_list());
}

/* The PUT body's value for key i, validated as Pocket ID's update DTO does:
 * booleans exactly "true" or "false"; empty or absent means the default. */
static const char *put_value(struct http_req *r, const json_t *body, size_t i, bool *bad)
{
	const struct ac_key *k = &KEYS[i];
	json_t *v = json_object_get(body, k->key);
	if (!v || json_is_null(v) || (json_is_string(v) && json_string_length(v) == 0))
		return k->def;
	const char *problem = NULL, *ok = NULL;
	if (!json_is_string(v))
		problem = "must be a string";
	else if (k->type == AC_BOOL && strcmp(json_string_value(v), "true") && strcmp(json_string_value(v), "false"))
		problem = "must be true or false";
	else
		ok = validate(k, json_string_value(v), &problem);
	if (ok)
		return ok;
	*bad = true;
	(void)http_fail_field(r, k->key, "invalid", problem); /* recorded in r; the caller reports every field */
	return NULL;
}

enum sy_err appcfg_put_handler(struct http_req *r)
{
	struct store *s;
	struct session me;
	json_t *body = NULL;
	enum sy_err e;
	if ((e = auth_store(r, &s)) || (e = auth_admin(r, s, &me)))
		return e;
	if (ui_disabled)
		return http_fail(r, SY_E_DENIED, "ui_config_disabled",
		                 "The configuration can't be changed since the UI configuration is disabled");
	if ((e = http_json_parse(http_header_get(r, "Content-Type"), r->body, r->body_len, &body)))
		return e;
	if (!json_is_object(body)) {
		json_decref(body);
		return SY_E_BODY;
	}
	const char *vals[NKEYS];
	bool bad = false;
	for (size_t i = 0; i < NKEYS; i++)
		vals[i] = put_value(r, body, i, &bad);
	if (bad) {
		json_decref(body);
		return SY_E_INVALID;
	}
	/* full replace: the table keeps what differs from the defaults */
	struct store_stmt *st;
	bool row;
	e = store_begin(s);
	if (!e && !(e = store_prepare(s, "DELETE FROM app_config", &st))) {
		e = store_step(st, &row);
		store_finalize(st);
	}
	for (size_t i = 0; !e && i < NKEYS; i++) {
		if (strcmp(vals[i], KEYS[i].def) == 0)
			continue;
		if ((e = store_prepare(s, "INSERT INTO app_config (key, value) VALUES (?, ?)", &st)))
			break;
		store_bind_text(st, 1, KEYS[i].key);
		store_bind_text(st, 2, vals[i]);
		e = store_step(st, &row);
		store_finalize(st);
	}
	json_decref(body); /* vals point into it */
	if (!e)
		e = store_commit(s);
	if (e) {
		store_rollback(s);
		return e;
	}
	if ((e = appcfg_load(s)))
		return e;
	return http_reply_json(r, 200, all_list());
}
