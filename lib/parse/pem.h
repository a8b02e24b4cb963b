/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pem: cut the certificate blocks out of a PEM text (a CA bundle, a .crt file)
 * without decoding them, so that one corrupt block is reported by index and
 * byte offset while the others are still read. Keys, CRLs and other labels are
 * passed over. Bounded: at most `max` certificate blocks are handed out.
 */
#ifndef EXCISE_PARSE_PEM_H
#define EXCISE_PARSE_PEM_H

#include <stdbool.h>
#include <stddef.h>

struct pem_block {
	size_t index;        /* 1-based among certificate blocks */
	size_t offset;       /* byte offset of the BEGIN line */
	const char *data;    /* BEGIN line .. END line and its newline */
	size_t len;
	bool trusted;        /* "TRUSTED CERTIFICATE" (OpenSSL's form with trust settings) */
	bool complete;       /* false: no END line; data runs to the end of the text */
};

/* Called per certificate block; a negative return stops the walk and is returned. */
typedef int (*pem_fn)(void *userdata, const struct pem_block *b);

/* Walk the certificate blocks of `data`. *ret_count (optional) gets the number of
 * blocks seen, which is max + 1 when there are more than `max`. Returns 0 or the
 * callback's negative value. */
int pem_cert_blocks(const char *data, size_t len, size_t max, pem_fn fn, void *userdata,
		    size_t *ret_count);

#endif
