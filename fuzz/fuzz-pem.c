/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target for the PEM certificate-block splitter (lib/parse/pem.c), the
 * hand-written part of the trust-store source. Input: the bytes of a CA bundle.
 * Every block handed out must lie inside the input, start with its BEGIN line,
 * and be numbered in order; each is then decoded as the source does.
 */
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "fuzz.h"
#include "parse/pem.h"

#define FUZZ_MAX_INPUT (1u << 20)
#define FUZZ_MAX_BLOCKS 64u

struct seen {
	const char *data;
	size_t len, last_index, last_end;
};

static int on_block(void *ud, const struct pem_block *b)
{
	struct seen *s = ud;
	if (b->data < s->data || b->offset != (size_t)(b->data - s->data) ||
	    b->offset + b->len > s->len || b->offset < s->last_end || b->index != s->last_index + 1 ||
	    b->len < 11 || memcmp(b->data, "-----BEGIN ", 11) != 0)
		__builtin_trap();
	s->last_index = b->index;
	s->last_end = b->offset + b->len;
	if (!b->complete)
		return 0;
	BIO *bio = BIO_new_mem_buf(b->data, (int)b->len);
	if (!bio)
		return -1;
	X509 *x = b->trusted ? PEM_read_bio_X509_AUX(bio, NULL, NULL, NULL)
			     : PEM_read_bio_X509(bio, NULL, NULL, NULL);
	BIO_free(bio);
	if (x) {
		char buf[256];
		X509_NAME_oneline(X509_get_subject_name(x), buf, sizeof(buf));
		X509_free(x);
	}
	ERR_clear_error();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > FUZZ_MAX_INPUT)
		return 0;
	struct seen s = { .data = (const char *)data, .len = size };
	size_t count = 0;
	if (pem_cert_blocks((const char *)data, size, FUZZ_MAX_BLOCKS, on_block, &s, &count) < 0)
		return 0;
	if (count < s.last_index || count > FUZZ_MAX_BLOCKS + 1 ||
	    (count <= FUZZ_MAX_BLOCKS && count != s.last_index))
		__builtin_trap();
	return 0;
}
