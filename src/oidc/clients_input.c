/*
 * clients_input.c - the body of a client's creation or update
 * (OidcClientCreateDto, OidcClientUpdateDto; reference §1.6, §2.4, §2.14),
 * checked the way Pocket ID binds it: every bad field is listed in one 400
 * validation_failed, a member of the wrong JSON type is 400
 * invalid_request_body, and null is the member's zero value.
 */
#include <string.h>

#include "../admin/admin.h"
#include "oidc.h"

#define NAME_MAX_CHARS        50
#define DESCRIPTION_MAX_CHARS 150
#define ID_MIN                2
#define MAX_URLS              100  /* callback or logout callback URLs of one client */
#define URL_MAX               2048 /* bytes of one of them, or of the launch URL */
#define MAX_FEDERATED         20
#define DEFAULT_ACCESS_MIN    60
#define DEFAULT_REFRESH_MIN   43200
#define MAX_DURATION_MIN      525600 /* a year */

void oidc_admin_input_clear(struct oidc_client_input *in)
{
	json_decref(in->callbacks);
	json_decref(in->logout_callbacks);
	json_decref(in->federated);
}

static size_t utf8_chars(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

/* A member of the body: NULL when absent or null (Go's zero value), the
 * value when of type t; *bad set when of another type. */
static json_t *member(const json_t *body, const char *key, json_type t, bool *bad)
{
	json_t *v = json_object_get(body, key);
	if (!v || json_is_null(v))
		return NULL;
	if (json_typeof(v) != t && !(t == JSON_TRUE && json_is_boolean(v))) {
		*bad = true;
		return NULL;
	}
	return v;
}

static bool flag(const json_t *body, const char *key, bool *bad)
{
	return json_is_true(member(body, key, JSON_TRUE, bad));
}

static bool id_valid(const char *id)
{
	size_t n = strlen(id);
	if (n < ID_MIN || n > OIDC_CLIENT_ID_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = id[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
		      c == '_' || c == '-'))
			return false;
	}
	return true;
}

/* go-playground's `url`: a scheme, a colon and something after it; no
 * spaces or control characters. */
static bool url_valid(const char *u)
{
	size_t n = strlen(u), i = 0;
	if (n > URL_MAX)
		return false;
	for (size_t k = 0; k < n; k++)
		if ((unsigned char)u[k] <= 0x20 || u[k] == 0x7f)
			return false;
	while (i < n && ((u[i] >= 'a' && u[i] <= 'z') || (u[i] >= 'A' && u[i] <= 'Z') ||
	                 (i > 0 && ((u[i] >= '0' && u[i] <= '9') || u[i] == '+' || u[i] == '-' || u[i] == '.'))))
		i++;
	return i > 0 && i + 1 < n && u[i] == ':';
}

/* callbackURLs / logoutCallbackURLs: patterns redirect.c accepts. */
static enum sy_err read_urls(struct http_req *r, const json_t *body, const char *key, json_t **out, bool *bad)
{
	json_t *v = member(body, key, JSON_ARRAY, bad), *one;
	*out = json_array();
	if (!v)
		return SY_OK;
	if (json_array_size(v) > MAX_URLS)
		return http_fail_field(r, key, "max", arena_printf(&r->arena, "must have at most %d URLs", MAX_URLS));
	size_t i;
	json_array_foreach(v, i, one)
	{
		const char *u = json_string_value(one);
		if (!u) {
			*bad = true;
			return SY_OK;
		}
		if (strlen(u) > URL_MAX || !oidc_redirect_pattern_valid(u))
			return http_fail_field(r, key, "callback_url", "must be valid callback URLs");
		json_array_append_new(*out, json_string(u));
	}
	return SY_OK;
}

/* credentials.federatedIdentities, normalised: {issuer, subject, audience,
 * jwks, replayProtection}; credentials.secrets is not the body's to set. */
static enum sy_err read_federated(struct http_req *r, const json_t *body, json_t **out, bool *bad)
{
	json_t *cred = member(body, "credentials", JSON_OBJECT, bad);
	json_t *list = member(cred, "federatedIdentities", JSON_ARRAY, bad), *one;
	*out = json_array();
	if (!list)
		return SY_OK;
	if (json_array_size(list) > MAX_FEDERATED)
		return http_fail_field(r, "credentials.federatedIdentities", "max",
		                       arena_printf(&r->arena, "must have at most %d entries", MAX_FEDERATED));
	size_t i;
	json_array_foreach(list, i, one)
	{
		const char *keys[] = {"issuer", "subject", "audience", "jwks"};
		json_t *f = json_object();
		json_array_append_new(*out, f);
		if (!json_is_object(one)) {
			*bad = true;
			return SY_OK;
		}
		for (size_t k = 0; k < 4; k++) {
			json_t *v = member(one, keys[k], JSON_STRING, bad);
			if (v && json_string_length(v) > URL_MAX)
				return http_fail_field(r, "credentials.federatedIdentities", "max",
				                       "has a value longer than 2048 characters");
			json_object_set_new(f, keys[k], json_string(v ? json_string_value(v) : ""));
		}
		json_object_set_new(f, "replayProtection", json_boolean(flag(one, "replayProtection", bad)));
		const char *issuer = json_string_value(json_object_get(f, "issuer"));
		const char *jwks = json_string_value(json_object_get(f, "jwks"));
		if (!*issuer)
			return http_fail_field(r, "credentials.federatedIdentities", "required", "need an issuer");
		if (*jwks && !url_valid(jwks))
			return http_fail_field(r, "credentials.federatedIdentities", "url", "need a valid JWKS URL");
	}
	return SY_OK;
}

/* 0 means the default; otherwise 1..MAX_DURATION_MIN. */
static enum sy_err read_duration(struct http_req *r, const json_t *body, const char *key, json_int_t def,
                                 json_int_t *out, bool *bad)
{
	json_t *v = member(body, key, JSON_INTEGER, bad);
	*out = v ? json_integer_value(v) : 0;
	if (*out == 0) {
		*out = def;
		return SY_OK;
	}
	if (*out < 1 || *out > MAX_DURATION_MIN)
		return http_fail_field(r, key, "token_duration", "must be between 1 and 525600 minutes");
	return SY_OK;
}

/* Downloading a logo from a URL would make this server fetch addresses an
 * admin names, from the event loop; logos are uploaded instead. */
static enum sy_err refuse_logo_url(struct http_req *r, const json_t *body, const char *key, bool *bad)
{
	json_t *v = member(body, key, JSON_STRING, bad);
	if (!v || !json_string_length(v))
		return SY_OK;
	return http_fail_field(r, key, "not_supported",
	                       "is not supported: upload the logo with POST /api/oidc/clients/:id/logo instead");
}

static enum sy_err read_strings(struct http_req *r, const json_t *body, bool create, struct oidc_client_input *in,
                                bool *bad)
{
	enum sy_err e = SY_OK;
	json_t *v;
	if (create && (v = member(body, "id", JSON_STRING, bad)) && json_string_length(v)) {
		in->id = json_string_value(v);
		if (!id_valid(in->id))
			e = http_fail_field(r, "id", "client_id",
			                    "must be 2 to 128 letters, digits, dots, underscores or hyphens");
	}
	v = member(body, "name", JSON_STRING, bad);
	in->name = v ? json_string_value(v) : "";
	if (!*in->name)
		e = http_fail_field(r, "name", "required", "is required");
	else if (utf8_chars(in->name) > NAME_MAX_CHARS)
		e = http_fail_field(r, "name", "max", "must be at most 50 characters");
	v = member(body, "description", JSON_STRING, bad);
	in->description = v ? json_string_value(v) : "";
	if (utf8_chars(in->description) > DESCRIPTION_MAX_CHARS)
		e = http_fail_field(r, "description", "max", "must be at most 150 characters");
	v = member(body, "launchURL", JSON_STRING, bad);
	in->launch_url = v && json_string_length(v) ? json_string_value(v) : NULL;
	if (in->launch_url && !url_valid(in->launch_url))
		e = http_fail_field(r, "launchURL", "url", "must be a valid URL");
	return e;
}

enum sy_err oidc_admin_read_input(struct http_req *r, const json_t *body, bool create, struct oidc_client_input *in)
{
	memset(in, 0, sizeof *in);
	bool bad = !json_is_object(body), failed = false;
	failed |= read_strings(r, body, create, in, &bad) != SY_OK;
	failed |= read_urls(r, body, "callbackURLs", &in->callbacks, &bad) != SY_OK;
	failed |= read_urls(r, body, "logoutCallbackURLs", &in->logout_callbacks, &bad) != SY_OK;
	failed |= read_federated(r, body, &in->federated, &bad) != SY_OK;
	failed |= read_duration(r, body, "accessTokenDurationMinutes", DEFAULT_ACCESS_MIN, &in->access, &bad) != SY_OK;
	failed |=
	        read_duration(r, body, "refreshTokenDurationMinutes", DEFAULT_REFRESH_MIN, &in->refresh, &bad) != SY_OK;
	failed |= refuse_logo_url(r, body, "logoUrl", &bad) != SY_OK;
	failed |= refuse_logo_url(r, body, "darkLogoUrl", &bad) != SY_OK;
	in->is_public = flag(body, "isPublic", &bad);
	/* a public client has no secret: PKCE is what binds its codes */
	in->pkce = in->is_public || flag(body, "pkceEnabled", &bad);
	in->reauth = flag(body, "requiresReauthentication", &bad);
	in->par = flag(body, "requiresPushedAuthorizationRequests", &bad);
	in->skip_consent = flag(body, "skipConsent", &bad);
	in->restricted = flag(body, "isGroupRestricted", &bad);
	if (bad) {
		json_decref(r->err_details);
		r->err_details = NULL;
		return http_fail(r, SY_E_BODY, "invalid_request_body", "Request body is invalid");
	}
	if (!failed) /* the keys are then ready for the client's first assertion */
		oidc_federated_prefetch(in->federated);
	return failed ? SY_E_INVALID : SY_OK;
}
