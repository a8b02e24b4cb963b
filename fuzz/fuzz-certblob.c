/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target for the certificate-store Blob parser (lib/parse/certblob.c).
 * Input: a Blob value's bytes. Every property is read whole; the first
 * certificate property must lie inside the input.
 */
#include "fuzz.h"
#include "parse/certblob.h"

static int each(void *ud, uint32_t propid, const unsigned char *data, size_t len)
{
	size_t *sum = ud;
	for (size_t i = 0; i < len; i++)
		*sum += data[i];
	*sum += propid;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t sum = 0;
	int r = certblob_each(data, size, each, &sum);
	if (r > 0)
		__builtin_trap();
	const unsigned char *der = NULL;
	size_t len = 0;
	if (certblob_find(data, size, CERTBLOB_PROP_CERT, &der, &len) == 0 &&
	    (der < data || der + len > data + size))
		__builtin_trap();
	return 0;
}
