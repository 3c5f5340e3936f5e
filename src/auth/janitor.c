/*
 * janitor.c - removes expired ceremonies, reauthentication tokens, login
 * codes, OIDC codes and tokens, and abandoned authorization requests once a
 * minute. Anyone can start a sign-in ceremony, so without this
 * abandoned ones would pile up; expiry itself is always checked on use, the
 * janitor only reclaims space. It runs on its own thread with its own
 * database connection, never on the HTTP event loops.
 */
#include <pthread.h>
#include <signal.h>
#include <time.h>

#include "../store/store.h"
#include "auth.h"

#define PERIOD 60 /* seconds */

static pthread_t thread;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake = PTHREAD_COND_INITIALIZER;
static bool stopping, running;
static long retention_days = 90;

/* Rows are kept GRACE seconds past their expiry: a used ceremony's row is what
 * refuses its second use, so it must outlive the ceremony on every instance,
 * even one whose clock runs a little ahead of this one. */
#define GRACE 600

static const char *const SWEEPS[] = {
        "DELETE FROM webauthn_sessions WHERE expires_at < ts(?)",
        "DELETE FROM reauthentication_tokens WHERE expires_at < ts(?)",
        "DELETE FROM one_time_access_tokens WHERE expires_at < ts(?)",
        /* a spent code or refresh token stays until it expires: its row is what
         * tells a replay from a guess */
        "DELETE FROM oauth2_sessions WHERE expires_at < ts(?)",
        /* interactions live an hour (GRACE + 3000 s) */
        "DELETE FROM interaction_sessions WHERE created_at < ts(? - 3000)",
};

void auth_sweep(struct store *s, int64_t now)
{
	for (size_t i = 0; i < sizeof SWEEPS / sizeof SWEEPS[0]; i++) {
		struct store_stmt *st;
		bool row;
		if (store_prepare(s, SWEEPS[i], &st))
			continue;
		store_bind_int(st, 1, now - GRACE);
		if (store_step(st, &row))
			log_warn("janitor: %s failed", SWEEPS[i]);
		store_finalize(st);
	}
}

static void *run(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&lock);
	while (!stopping) {
		struct timespec until;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += PERIOD;
		pthread_cond_timedwait(&wake, &lock, &until);
		if (stopping)
			break;
		pthread_mutex_unlock(&lock);
		struct store *s = store_thread();
		if (s) {
			auth_sweep(s, time(NULL));
			audit_expire(s, time(NULL) - retention_days * 86400);
			/* follow configuration changes made on other instances */
			if (appcfg_load(s))
				log_warn("janitor: cannot reload the application configuration");
		}
		pthread_mutex_lock(&lock);
	}
	pthread_mutex_unlock(&lock);
	store_thread_close();
	return NULL;
}

void auth_janitor_start(long audit_retention_days)
{
	retention_days = audit_retention_days;
	stopping = false;
	/* SIGTERM and SIGINT belong to the thread that waits for them: a thread
	 * that left them unblocked would take one and die of its default action */
	sigset_t sigs, old;
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	pthread_sigmask(SIG_BLOCK, &sigs, &old);
	running = pthread_create(&thread, NULL, run, NULL) == 0;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (!running)
		log_warn("janitor: cannot start a thread; expired ceremonies stay until the next restart");
}

void auth_janitor_stop(void)
{
	if (!running)
		return;
	pthread_mutex_lock(&lock);
	stopping = true;
	pthread_cond_signal(&wake);
	pthread_mutex_unlock(&lock);
	pthread_join(thread, NULL);
	running = false;
}
