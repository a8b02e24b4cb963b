/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target for the NSS legacy database reader (lib/parse/nssdbm.c): the input is a
 * cert8.db's bytes. Every pair is walked; each certificate record is decoded and a blob
 * record's file name derived. Nothing may crash, read out of bounds or leak; a refusal
 * carries its code and a message naming the file; a decoded record's DER and nickname
 * lie inside the record.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "parse/nssdbm.h"

static int on_rec(void *ud, const struct nssdbm_rec *rec)
{
	size_t *n = ud;
	(*n)++;
	if (!nssdbm_is_cert(rec))
		return 0;
	if (nssdbm_is_blob(rec)) {
		char *path = NULL;
		uint32_t size = 0;
		int r = nssdbm_blob_path(rec, "/p/cert8.db", &path, &size);
		if (r == 0 && (!path || strncmp(path, "/p/cert8.dir/", 13) || strchr(path + 13, '/')))
			__builtin_trap();
		free(path);
		return 0;
	}
	struct nssdbm_cert c;
	struct excise_err err = { 0 };
	int r = nssdbm_cert(rec, "cert8.db", &c, &err);
	if (r < 0) {
		if (r != err.code || !strstr(err.msg, "cert8.db"))
			__builtin_trap();
		return 0;
	}
	const unsigned char *end = rec->data + rec->data_len;
	if (c.der < rec->data || c.der + c.der_len > end ||
	    (c.nick && ((const unsigned char *)c.nick < c.der + c.der_len || (const unsigned char *)c.nick + c.nick_len > end)))
		__builtin_trap();
	volatile unsigned char sink = 0;
	for (size_t i = 0; i < c.der_len; i++)
		sink ^= c.der[i];
	(void)sink;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > (4u << 20))
		return 0;
	size_t n = 0;
	struct excise_err err = { 0 };
	int r = nssdbm_each(data, size, "cert8.db", on_rec, &n, &err);
	if (r < 0 && r != -ENOMEM && (r != err.code || !strstr(err.msg, "cert8.db")))
		__builtin_trap();
	return 0;
}
