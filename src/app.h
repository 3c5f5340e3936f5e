/* app.h - start-up of the server and the commands of the symbolon binary. */
#ifndef SY_APP_H
#define SY_APP_H

#include "core/core.h"

/* app.c: migrate, load keys, serve until a signal; returns the exit status. */
int app_serve(const struct sy_config *cfg);
/* healthcheck.c */
int app_healthcheck(const struct sy_config *cfg, const char *endpoint, const char *unix_socket, bool verbose);

#endif
