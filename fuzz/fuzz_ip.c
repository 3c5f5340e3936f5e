/*
 * fuzz_ip.c - ip_parse / ip_format / cidr_list_contains.
 *
 * Input: an address literal (passed without a NUL). Checks: ip_parse accepts
 * exactly what inet_pton accepts for a NUL-free literal (IPv4 stored as
 * ::ffff:a.b.c.d); a parsed address formats into the 46-byte buffer, and the
 * text parses back to the same 16 bytes; a /128 list of that address contains
 * it and a /0 list contains everything.
 */
#include "fuzz.h"

#include <arpa/inet.h>

#include "core/core.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 256)
		return 0;
	char *in = malloc(size ? size : 1);
	memcpy(in, data, size);
	uint8_t ip[16];
	bool ok = ip_parse(in, size, ip);
	if (size > 0 && size < 64 && !memchr(in, '\0', size)) {
		char *z = fuzz_strndup(data, size);
		uint8_t ref[16];
		struct in_addr v4;
		bool rok = false;
		if (inet_pton(AF_INET, z, &v4) == 1) {
			memset(ref, 0, 10);
			ref[10] = ref[11] = 0xff;
			memcpy(ref + 12, &v4, 4);
			rok = true;
		} else {
			rok = inet_pton(AF_INET6, z, ref) == 1;
		}
		FUZZ_CHECK(ok == rok);
		if (ok)
			FUZZ_CHECK(memcmp(ip, ref, 16) == 0);
		free(z);
	}
	if (ok) {
		char out[46];
		memset(out, 'X', sizeof out);
		ip_format(ip, out, sizeof out);
		FUZZ_CHECK(memchr(out, '\0', sizeof out) != NULL);
		uint8_t back[16];
		FUZZ_CHECK(ip_parse(out, strlen(out), back) && memcmp(back, ip, 16) == 0);
		struct cidr one = {.bits = 128}, zero = {.bits = 0};
		memcpy(one.addr, ip, 16);
		struct cidr_list l1 = {false, 1, &one}, l0 = {false, 1, &zero};
		FUZZ_CHECK(cidr_list_contains(&l1, ip) && cidr_list_contains(&l0, ip));
		uint8_t other[16];
		memcpy(other, ip, 16);
		other[15] ^= 1;
		FUZZ_CHECK(!cidr_list_contains(&l1, other));
	}
	free(in);
	return 0;
}
