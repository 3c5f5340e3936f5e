/*
 * response.c - building responses, and the one place where an enum sy_err becomes
 * an HTTP status and Pocket ID's body {"error", "code", "request_id"}.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "http.h"

static const struct {
	enum sy_err e;
	int status;
	const char *code, *msg;
} ERRORS[] = {
        {SY_E_INVALID, 400, "validation_failed", "Invalid input"},
        {SY_E_BODY, 400, "invalid_request_body", "Invalid request body"},
        {SY_E_TOOBIG, 413, "request_too_large", "Request is too large"},
        {SY_E_NOTFOUND, 404, "not_found", "Not found"},
        {SY_E_UNAUTH, 401, "not_signed_in", "You are not signed in"},
        {SY_E_DENIED, 403, "forbidden", "You don't have permission to perform this action"},
        {SY_E_CONFLICT, 409, "already_in_use", "Already in use"},
        {SY_E_RATELIMIT, 429, "rate_limited", "Too many requests"},
        {SY_E_TIMEOUT, 504, "request_timeout", "Request timed out"},
};

bool http_etag_match(const char *inm, const char *etag)
{
	if (!inm)
		return false;
	size_t en = strlen(etag);
	const char *p = inm;
	while (*p) {
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		if (*p == '*')
			return true;
		if (p[0] == 'W' && p[1] == '/')
			p += 2;
		const char *end = *p == '"' ? strchr(p + 1, '"') : NULL;
		if (!end)
			return false; /* malformed list: no match, the full response is sent */
		if (bytes_eq(p, (size_t)(end + 1 - p), etag, en))
			return true;
		p = end + 1;
	}
	return false;
}

enum sy_err http_fail_details(struct http_req *r, enum sy_err e, const char *code, const char *msg, json_t *details)
{
	json_decref(r->err_details);
	r->err_details = details;
	return http_fail(r, e, code, msg);
}

enum sy_err http_fail_field(struct http_req *r, const char *field, const char *code, const char *message)
{
	json_t *fields = json_object_get(r->err_details, "fields");
	if (!json_is_array(fields)) {
		json_decref(r->err_details);
		r->err_details = json_pack("{s:[]}", "fields");
		fields = json_object_get(r->err_details, "fields");
	}
	json_array_append_new(fields, json_pack("{s:s, s:s, s:s}", "field", field, "code", code, "message", message));
	const char *text = arena_printf(&r->arena, "%s %s", field, message);
	/* later failures join the message, as Pocket ID lists every field */
	if (r->err_msg && strcmp(r->err_code ? r->err_code : "", "validation_failed") == 0)
		text = arena_printf(&r->arena, "%s, %s", r->err_msg, text);
	return http_fail(r, SY_E_INVALID, "validation_failed", text);
}

void http_set_cookie(struct http_req *r, const char *name, const char *value, long max_age, const char *path)
{
	char age[32] = "";
	if (max_age >= 0)
		snprintf(age, sizeof age, "; Max-Age=%ld", max_age);
	http_header_add(r, "Set-Cookie",
	                arena_printf(&r->arena, "%s=%s; Path=%s%s; HttpOnly; Secure; SameSite=Lax", name, value,
	                             path ? path : "/", age));
}

int http_error_status(enum sy_err e)
{
	for (size_t i = 0; i < sizeof ERRORS / sizeof ERRORS[0]; i++)
		if (ERRORS[i].e == e)
			return ERRORS[i].status;
	return 500;
}

void http_header_add(struct http_req *r, const char *name, const char *value)
{
	if (r->nheaders == HTTP_MAX_HEADERS) {
		log_error("too many response headers for %s", r->path);
		return;
	}
	r->headers[r->nheaders].name = name;
	r->headers[r->nheaders].value = value;
	r->nheaders++;
}

enum sy_err http_reply(struct http_req *r, int status, const char *content_type, const void *body, size_t n)
{
	r->status = status;
	r->content_type = content_type;
	r->out = body;
	r->out_len = n;
	r->replied = true;
	return SY_OK;
}

enum sy_err http_reply_empty(struct http_req *r, int status)
{
	return http_reply(r, status, NULL, "", 0);
}

enum sy_err http_reply_json(struct http_req *r, int status, json_t *body)
{
	char *txt = body ? json_dumps(body, JSON_COMPACT) : NULL;
	json_decref(body);
	if (!txt)
		return SY_E_INTERNAL;
	char *copy = arena_strdup(&r->arena, txt);
	size_t n = strlen(txt);
	free(txt);
	if (!copy)
		return SY_E_TOOBIG;
	return http_reply(r, status, "application/json; charset=utf-8", copy, n);
}

enum sy_err http_fail(struct http_req *r, enum sy_err e, const char *code, const char *msg)
{
	r->err_code = code;
	r->err_msg = msg;
	return e;
}

void http_render_error(struct http_req *r, enum sy_err e)
{
	int status = 500;
	const char *code = "internal_error", *msg = "Something went wrong";
	for (size_t i = 0; i < sizeof ERRORS / sizeof ERRORS[0]; i++)
		if (ERRORS[i].e == e) {
			status = ERRORS[i].status;
			code = ERRORS[i].code;
			msg = ERRORS[i].msg;
		}
	if (r->err_code)
		code = r->err_code;
	if (r->err_msg)
		msg = r->err_msg;
	if (status == 500)
		log_error("request %s %s failed: %s", r->request_id, r->path, sy_err_name(e));
	json_t *body = json_pack("{s:s, s:s, s:s}", "error", msg, "code", code, "request_id", r->request_id);
	if (r->err_details) {
		json_object_set_new(body, "details", r->err_details);
		r->err_details = NULL;
	}
	/* Pocket ID capitalises the first letter of every message */
	const char *m = json_string_value(json_object_get(body, "error"));
	if (m && islower((unsigned char)m[0])) {
		char *cap = arena_strdup(&r->arena, m);
		if (cap) {
			cap[0] = (char)toupper((unsigned char)cap[0]);
			json_object_set_new(body, "error", json_string(cap));
		}
	}
	r->nheaders = 0;
	if (status == 429 && r->retry_after > 0)
		http_header_add(r, "Retry-After", arena_printf(&r->arena, "%ld", r->retry_after));
	if (http_reply_json(r, status, body))
		http_reply(r, 500, "application/json; charset=utf-8", "{\"error\":\"Something went wrong\"}", 32);
}
