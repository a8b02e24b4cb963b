/* SPDX-License-Identifier: Apache-2.0 */
/*
 * certblob: the `Blob` value of a key in a Windows system certificate store
 * (SOFTWARE\Microsoft\SystemCertificates\<store>\Certificates\<thumbprint>):
 * a sequence of serialized properties, each
 *     u32 LE property id, u32 LE reserved (1), u32 LE length, `length` bytes.
 * Property 0x20 (CERT_CERT_PROP_ID) holds the DER certificate.
 * Hand-written and bounds-checked (fuzz/fuzz-certblob.c).
 */
#ifndef EXCISE_CERTBLOB_H
#define EXCISE_CERTBLOB_H

#include <stddef.h>
#include <stdint.h>

#include "core/macro.h"

#define CERTBLOB_PROP_CERT 0x20u

/* Called for each property; return < 0 to stop (returned by certblob_each). */
typedef int (*certblob_fn)(void *ud, uint32_t propid, const unsigned char *data, size_t len);

/* Walk the properties: 0, fn's error, -EXCISE_E_CORRUPT for a truncated or
 * overlong property, -EXCISE_E_LIMIT past EXCISE_MAX_CERTBLOB_PROPS. */
NODISCARD int certblob_each(const void *blob, size_t len, certblob_fn fn, void *ud);

/* The first property `propid` (data borrowed from `blob`); -ENOENT when absent. */
NODISCARD int certblob_find(const void *blob, size_t len, uint32_t propid, const unsigned char **ret,
			    size_t *ret_len);

#endif
