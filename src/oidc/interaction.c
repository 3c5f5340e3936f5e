/*
 * interaction.c - authorization requests that wait for the person, and the
 * API the /interaction page drives (reference §1.1, §2.6): the steps
 * authenticate, select_account, reauthenticate and consent, in that order.
 */
#include <string.h>
#include <time.h>

#include "../auth/auth.h"
#include "../store/store.h"
#include "oidc.h"

#define INTERACTION_TTL 3600 /* seconds, as Pocket ID */

static const char *const STEPS[] = {"authenticate", "select_account", "reauthenticate", "consent"};

bool oidc_needs_any(const struct oidc_needs *n)
{
	return n->authenticate || n->select_account || n->reauthenticate || n->consent;
}

static const char *current_step(const struct oidc_needs *n)
{
	const bool flags[] = {n->authenticate, n->select_account, n->reauthenticate, n->consent};
	for (int i = 0; i < 4; i++)
		if (flags[i])
			return STEPS[i];
	return NULL;
}

enum sy_err oidc_interaction_create(struct store *s, const struct oidc_request *q, const char *user_id,
                                    const struct oidc_needs *n, int64_t reauthenticated_at, char id[37])
{
	uuid_v4(id);
	json_t *params = json_deep_copy(q->params);
	json_object_del(params, "request");
	json_object_del(params, "request_uri");
	json_object_del(params, "interaction");
	char *ptext = json_dumps(params, JSON_COMPACT), *stext = json_dumps(q->scope, JSON_COMPACT);
	json_decref(params);
	struct store_stmt *st;
	enum sy_err e = !ptext || !stext
	                        ? SY_E_INTERNAL
	                        : store_prepare(s,
	                                        "INSERT INTO interaction_sessions (id, created_at, consent_required, "
	                                        "reauthentication_required, authentication_required, "
	                                        "account_selection_required, scopes, client_id, user_id, "
	                                        "requested_at, parameters, reauthenticated_at) VALUES (?, ts(?), ?, "
	                                        "?, ?, ?, ?, ?, ?, ts(?), ?, ts(?))",
	                                        &st);
	if (!e) {
		int64_t now = time(NULL);
		store_bind_text(st, 1, id);
		store_bind_int(st, 2, now);
		store_bind_int(st, 3, n->consent);
		store_bind_int(st, 4, n->reauthenticate);
		store_bind_int(st, 5, n->authenticate);
		store_bind_int(st, 6, n->select_account);
		store_bind_text(st, 7, stext);
		store_bind_text(st, 8, q->client.id);
		store_bind_text(st, 9, user_id);
		store_bind_int(st, 10, now);
		store_bind_text(st, 11, ptext);
		if (reauthenticated_at)
			store_bind_int(st, 12, reauthenticated_at);
		else
			store_bind_null(st, 12);
		bool row;
		e = store_step(st, &row);
		store_finalize(st);
	}
	free(ptext);
	free(stext);
	return e;
}

enum sy_err oidc_interaction_get(struct store *s, struct arena *a, const char *id, struct oidc_interaction *out)
{
	memset(out, 0, sizeof *out);
	struct store_stmt *st;
	enum sy_err e = store_prepare(s,
	                              "SELECT id, client_id, user_id, parameters, authentication_required, "
	                              "account_selection_required, reauthentication_required, consent_required, "
	                              "epoch(requested_at), epoch(reauthenticated_at) FROM interaction_sessions "
	                              "WHERE id = ? AND created_at > ts(?)",
	                              &st);
	if (e)
		return e;
	store_bind_text(st, 1, id);
	store_bind_int(st, 2, time(NULL) - INTERACTION_TTL);
	bool row;
	e = store_step(st, &row);
	if (!e && !row)
		e = SY_E_NOTFOUND;
	if (!e) {
		out->id = arena_strdup(a, store_col_text(st, 0));
		out->client_id = arena_strdup(a, store_col_text(st, 1));
		out->user_id = store_col_null(st, 2) ? NULL : arena_strdup(a, store_col_text(st, 2));
		out->params = json_loads(store_col_text(st, 3), JSON_REJECT_DUPLICATES, NULL);
		out->needs = (struct oidc_needs){store_col_bool(st, 4), store_col_bool(st, 5), store_col_bool(st, 6),
		                                 store_col_bool(st, 7)};
		out->requested_at = store_col_int(st, 8);
		out->reauthenticated_at = store_col_null(st, 9) ? 0 : store_col_int(st, 9);
		if (!json_is_object(out->params))
			e = SY_E_NOTFOUND;
	}
	store_finalize(st);
	if (e) {
		json_decref(out->params);
		out->params = NULL;
	}
	return e;
}

enum sy_err oidc_interaction_take(struct store *s, const char *id)
{
	bool row = false;
	const char *args[] = {id};
	enum sy_err e = store_run(s, "DELETE FROM interaction_sessions WHERE id = ? RETURNING id", args, 1, &row);
	return e ? e : row ? SY_OK : SY_E_NOTFOUND;
}

static enum sy_err save(struct store *s, const struct oidc_interaction *ix)
{
	struct store_stmt *st;
	enum sy_err e = store_prepare(s,
	                              "UPDATE interaction_sessions SET user_id = ?, authentication_required = ?, "
	                              "account_selection_required = ?, reauthentication_required = ?, "
	                              "consent_required = ?, reauthenticated_at = ts(?) WHERE id = ?",
	                              &st);
	if (e)
		return e;
	store_bind_text(st, 1, ix->user_id);
	store_bind_int(st, 2, ix->needs.authenticate);
	store_bind_int(st, 3, ix->needs.select_account);
	store_bind_int(st, 4, ix->needs.reauthenticate);
	store_bind_int(st, 5, ix->needs.consent);
	if (ix->reauthenticated_at)
		store_bind_int(st, 6, ix->reauthenticated_at);
	else
		store_bind_null(st, 6);
	store_bind_text(st, 7, ix->id);
	bool row;
	e = store_step(st, &row);
	store_finalize(st);
	return e;
}

/* The interaction as the page reads it. */
static json_t *interaction_json(struct store *s, struct http_req *r, const struct oidc_interaction *ix,
                                const struct oidc_client *c)
{
	const char *step = current_step(&ix->needs);
	json_t *steps = json_array();
	const bool flags[] = {ix->needs.authenticate, ix->needs.select_account, ix->needs.reauthenticate,
	                      ix->needs.consent};
	for (int i = 0; i < 4; i++)
		if (flags[i])
			json_array_append_new(steps, json_string(STEPS[i]));
	json_t *scope = oidc_scopes_known(oidc_param(ix->params, "scope"));
	/* who the request is bound to, only to that person */
	json_t *user = json_null();
	struct session me;
	if (ix->user_id && !auth_session_peek(r, s, &me) && strcmp(me.user.id, ix->user_id) == 0)
		user = json_pack("{s:s, s:s, s:s, s:o}", "id", me.user.id, "username", me.user.username, "displayName",
		                 me.user.display_name ? me.user.display_name : "", "email",
		                 me.user.email ? json_string(me.user.email) : json_null());
	return json_pack("{s:s, s:o, s:o, s:o, s:o, s:o}", "id", ix->id, "client", oidc_client_meta(c), "scopes", scope,
	                 "currentStep", step ? json_string(step) : json_null(), "requiredSteps", steps, "user", user);
}

/* Loads the interaction of the :id parameter and its client; answers 404 itself. */
static enum sy_err load(struct http_req *r, struct store *s, struct oidc_interaction *ix, struct oidc_client *c)
{
	enum sy_err e = oidc_interaction_get(s, &r->arena, http_param(r, "id"), ix);
	if (!e && (e = oidc_client_get(s, &r->arena, ix->client_id, c))) {
		json_decref(ix->params);
		ix->params = NULL;
	}
	if (e == SY_E_NOTFOUND)
		return http_fail(r, SY_E_NOTFOUND, "not_found", "This sign-in request has expired or does not exist");
	return e;
}

enum sy_err oidc_interaction_get_handler(struct http_req *r)
{
	struct store *s;
	struct oidc_interaction ix;
	struct oidc_client c;
	enum sy_err e;
	if ((e = auth_store(r, &s)) || (e = load(r, s, &ix, &c)))
		return e;
	json_t *body = interaction_json(s, r, &ix, &c);
	json_decref(ix.params);
	oidc_client_clear(&c);
	return http_reply_json(r, 200, body);
}

/* What binding the request to `me` leaves to ask: group access, consent
 * (unless the prompt already asks for it) and max_age. */
static enum sy_err bind_user(struct store *s, struct oidc_interaction *ix, const struct oidc_client *c,
                             const struct session *me, bool *allowed)
{
	enum sy_err e = oidc_client_allows(s, c, me->user.id, allowed);
	if (e || !*allowed)
		return e;
	bool same = ix->user_id && strcmp(ix->user_id, me->user.id) == 0;
	ix->user_id = (char *)me->user.id;
	const char *prompt = oidc_param(ix->params, "prompt");
	bool forced = prompt && strstr(prompt, "consent");
	json_t *scope = oidc_scopes_known(oidc_param(ix->params, "scope"));
	struct oidc_consent consent = {0};
	if (!forced && !c->skip_consent)
		e = oidc_consent_get(s, me->user.id, c->id, &consent);
	ix->needs.consent = forced || (!c->skip_consent && !oidc_consent_covers(&consent, scope));
	oidc_consent_clear(&consent);
	json_decref(scope);
	long max_age;
	const char *ma = oidc_param(ix->params, "max_age");
	bool too_old = ma && !parse_long(ma, 0, 1000000000L, &max_age) && time(NULL) - me->iat > max_age;
	if (same) {
		ix->needs.reauthenticate = ix->needs.reauthenticate || (too_old && !ix->reauthenticated_at);
		return e;
	}
	/* someone else takes the request over (select_account): re-authentication
	 * is owed by them, whatever the one before them did */
	ix->reauthenticated_at = 0;
	ix->needs.reauthenticate = (prompt && strstr(prompt, "login")) || c->requires_reauthentication || too_old;
	return e;
}

/* A passkey sign-in made during this request confirms presence as a
 * re-authentication would: the person just used their passkey for it. */
static bool signed_in_during(const struct oidc_interaction *ix, const struct session *me)
{
	return me->amr && strcmp(me->amr, "phr") == 0 && me->iat >= ix->requested_at;
}

static enum sy_err complete_step(struct http_req *r, struct store *s, struct oidc_interaction *ix,
                                 const struct oidc_client *c, const struct session *me, const char *step, bool *denied)
{
	*denied = false;
	if (strcmp(step, "authenticate") == 0 || strcmp(step, "select_account") == 0) {
		bool allowed;
		enum sy_err e = bind_user(s, ix, c, me, &allowed);
		if (e || !allowed) {
			*denied = !e;
			return e;
		}
		ix->needs.authenticate = ix->needs.select_account = false;
		if (ix->needs.reauthenticate && signed_in_during(ix, me)) {
			ix->needs.reauthenticate = false;
			ix->reauthenticated_at = me->iat;
		}
		return SY_OK;
	}
	if (!ix->user_id || strcmp(ix->user_id, me->user.id) != 0)
		return http_fail(r, SY_E_DENIED, "forbidden", "This sign-in request belongs to another account");
	if (strcmp(step, "reauthenticate") == 0) {
		if (signed_in_during(ix, me)) {
			ix->reauthenticated_at = me->iat;
		} else {
			enum sy_err e = auth_reauth_consume(r, s, me->user.id);
			if (e == SY_E_UNAUTH)
				return http_fail(r, SY_E_UNAUTH, "reauthentication_required",
				                 "Please confirm with your passkey to continue");
			if (e)
				return e;
			ix->reauthenticated_at = time(NULL);
		}
		ix->needs.reauthenticate = false;
		return SY_OK;
	}
	ix->needs.consent = false; /* recorded with the code, when the request completes */
	return SY_OK;
}

enum sy_err oidc_interaction_complete_handler(struct http_req *r)
{
	struct store *s;
	struct session me;
	struct oidc_interaction ix;
	struct oidc_client c;
	json_t *body = NULL;
	enum sy_err e;
	if ((e = auth_store(r, &s)) || (e = auth_session_only(r, s, &me)))
		return e;
	if ((e = http_json_parse(http_header_get(r, "Content-Type"), r->body, r->body_len, &body)))
		return e;
	const char *step = json_string_value(json_object_get(body, "step"));
	if ((e = load(r, s, &ix, &c))) {
		json_decref(body);
		return e;
	}
	const char *want = current_step(&ix.needs);
	bool denied = false;
	if (!step || !want || strcmp(step, want) != 0)
		e = http_fail_details(r, SY_E_INVALID, "validation_failed",
		                      want ? arena_printf(&r->arena, "The current step is %s", want)
		                           : "Every step is already done",
		                      json_pack("{s:s?}", "currentStep", want));
	else if (!(e = complete_step(r, s, &ix, &c, &me, step, &denied)) && !denied)
		e = save(s, &ix);
	json_t *out = NULL;
	if (!e && denied)
		out = json_pack(
		        "{s:s}", "redirectUrl",
		        arena_printf(&r->arena, "/interaction/error?error=%s",
		                     http_url_encode(&r->arena, "You are not allowed to access this service.")));
	else if (!e && !oidc_needs_any(&ix.needs))
		out = json_pack("{s:s}", "redirectUrl", arena_printf(&r->arena, "/authorize?interaction=%s", ix.id));
	else if (!e)
		out = json_pack("{s:o}", "interaction", interaction_json(s, r, &ix, &c));
	json_decref(body);
	json_decref(ix.params);
	oidc_client_clear(&c);
	return e ? e : http_reply_json(r, 200, out);
}

enum sy_err oidc_interaction_cancel_handler(struct http_req *r)
{
	struct store *s;
	struct oidc_interaction ix;
	struct oidc_client c;
	enum sy_err e;
	if ((e = auth_store(r, &s)) || (e = load(r, s, &ix, &c)))
		return e;
	json_decref(ix.params);
	oidc_client_clear(&c);
	/* /authorize answers the client in its response mode, form_post included */
	return http_reply_json(r, 200,
	                       json_pack("{s:s}", "redirectUrl",
	                                 arena_printf(&r->arena, "/authorize?interaction=%s&cancel=true", ix.id)));
}
