/*
 * fuzz_image.c - the upload pipeline on arbitrary bytes: image_sniff,
 * image_square (the PNG, JPEG, WebP and GIF decoders behind the resampler,
 * EXIF orientation) and image_strip_metadata.
 *
 * Input: the file. Checks: decoding succeeds with a side x side picture or
 * fails with SY_E_INVALID and a reason; stripping never grows the file, and
 * what it keeps still has the type's signature.
 */
#include "fuzz.h"

#include "admin/images.h"

#define SIDE 24

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > FUZZ_MAX_INPUT)
		return 0;
	uint8_t *copy = malloc(size ? size : 1);
	memcpy(copy, data, size);
	enum image_type t = image_sniff(copy, size);
	uint8_t *rgba = NULL;
	const char *why = NULL;
	enum sy_err e = image_square(copy, size, SIDE, &rgba, &why);
	if (e == SY_OK) {
		FUZZ_CHECK(rgba != NULL);
		FUZZ_CHECK(t == IMAGE_PNG || t == IMAGE_JPEG || t == IMAGE_WEBP || t == IMAGE_GIF);
		volatile uint8_t sum = 0;
		for (size_t i = 0; i < (size_t)SIDE * SIDE * 4; i++)
			sum += rgba[i]; /* every byte written (MSan would say) and in bounds */
		(void)sum;
		free(rgba);
	} else {
		FUZZ_CHECK(e == SY_E_INVALID && rgba == NULL && why != NULL);
	}
	uint8_t *out = NULL;
	size_t n = 0;
	e = image_strip_metadata(t, copy, size, &out, &n);
	if (e == SY_OK) {
		FUZZ_CHECK(n <= size);
		if (t == IMAGE_PNG || t == IMAGE_JPEG || t == IMAGE_WEBP)
			FUZZ_CHECK(image_sniff(out, n) == t);
		free(out);
	} else {
		FUZZ_CHECK(e == SY_E_INVALID && out == NULL);
	}
	free(copy);
	return 0;
}
