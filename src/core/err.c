/* err.c - names for enum sy_err, used in logs. HTTP mapping lives in src/http. */
#include "core.h"

const char *sy_err_name(enum sy_err e)
{
	switch (e) {
	case SY_OK: return "ok";
	case SY_E_INVALID: return "invalid";
	case SY_E_BODY: return "bad body";
	case SY_E_TOOBIG: return "too big";
	case SY_E_NOTFOUND: return "not found";
	case SY_E_UNAUTH: return "not signed in";
	case SY_E_DENIED: return "denied";
	case SY_E_CONFLICT: return "conflict";
	case SY_E_RATELIMIT: return "rate limited";
	case SY_E_TIMEOUT: return "timeout";
	case SY_E_CRYPTO: return "crypto";
	case SY_E_STORE: return "store";
	case SY_E_IO: return "io";
	case SY_E_CONFIG: return "config";
	case SY_E_INTERNAL: return "internal";
	}
	return "unknown";
}
