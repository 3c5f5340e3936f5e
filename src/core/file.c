/*
 * file.c - reading a small file whole, with a limit: configuration values given
 * as NAME_FILE, the .env file, TLS certificates. Reading one byte past the limit
 * tells "too large" apart from "exactly at the limit".
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"

enum sy_err file_read(const char *path, size_t max, char **out, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return SY_E_IO;
	char *buf = sy_malloc(max + 2);
	size_t n = fread(buf, 1, max + 1, f);
	int failed = ferror(f);
	int saved = errno;
	fclose(f);
	if (failed || n > max) {
		explicit_bzero(buf, n);
		free(buf);
		errno = saved;
		return failed ? SY_E_IO : SY_E_TOOBIG;
	}
	buf[n] = '\0';
	*out = buf;
	*len = n;
	return SY_OK;
}
