/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target for the collector's stored document bodies (lib/fleet/docbody.c
 * docbody_unpack): bytes read back from the database, which a damaged file or a
 * hand-edited row may make anything. Input: 4 bytes of the length the row claims
 * (little-endian; values past EXCISE_MAX_SUBMIT_SIZE are kept, to be refused),
 * then the compressed frame. Bounded by the claimed length: the decoder writes
 * into exactly that many bytes. An accepted frame must decode to exactly the claimed
 * length and pack back to a frame that unpacks to the same bytes; a refusal must be
 * -EXCISE_E_CORRUPT naming the document.
 */
#include <errno.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "fleet/docbody.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 4)
		return 0;
	int64_t len = (int64_t)((uint32_t)data[0] | (uint32_t)data[1] << 8 | (uint32_t)data[2] << 16 |
				(uint32_t)data[3] << 24);
	struct excise_err err = { 0 };
	char *out = NULL;
	size_t n = 0;
	int r = docbody_unpack("fuzz-doc", DOCBODY_CODEC, data + 4, size - 4, len, &out, &n, &err);
	if (r < 0) {
		if ((r != -EXCISE_E_CORRUPT && r != -ENOMEM) || err.code != r || !strstr(err.msg, "fuzz-doc"))
			__builtin_trap();
		return 0;
	}
	if (r != 0 || (int64_t)n != len || out[n] != '\0')
		__builtin_trap();
	void *z = NULL;
	size_t zn = 0;
	char *again = NULL;
	size_t n2 = 0;
	if (docbody_pack(out, n, &z, &zn, &err) < 0 ||
	    docbody_unpack("fuzz-doc", DOCBODY_CODEC, z, zn, len, &again, &n2, &err) < 0 || n2 != n ||
	    memcmp(again, out, n))
		__builtin_trap();
	free(again);
	free(z);
	free(out);
	return 0;
}
