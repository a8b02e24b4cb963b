/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target for the NSS database change of remove-nss-cert (lib/remove/nssdb.c):
 * the input is a cert9.db's bytes. It is opened as excise remove opens one read from
 * an image (the schema checked, in memory), its certificates listed, the first one's
 * rows deleted, the new bytes serialised and checked as they are before being put in
 * place. Nothing may crash or leak; every refusal carries its code and a message; a
 * result the check accepts no longer holds the certificate.
 */
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "fuzz.h"
#include "remove/nssdb.h"

struct first {
	char hex[65];
	size_t n;
};

static int first_cert(void *ud, const unsigned char *der, size_t len)
{
	struct first *f = ud;
	if (f->n++ == 0) {
		unsigned char md[SHA256_DIGEST_LENGTH];
		SHA256(der, len, md);
		for (int i = 0; i < SHA256_DIGEST_LENGTH; i++)
			snprintf(f->hex + 2 * i, 3, "%02x", md[i]);
	}
	return 0;
}

static void refused(int r, const struct excise_err *err)
{
	if (r >= 0 || err->code != r || !err->msg[0])
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > (4u << 20))
		return 0;
	char *copy = malloc(size ? size : 1);
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	struct nssdb d;
	struct excise_err err = { 0 };
	int r = nssdb_open_bytes("cert9.db", copy, size, &d, &err);
	if (r < 0) {
		refused(r, &err);
		return 0;
	}
	struct first f = { .hex = "" };
	r = nssdb_each_cert(&d, first_cert, &f, &err);
	size_t n = 0, certs = 0, trusts = 0;
	char nick[256];
	if (r == 0 && f.n)
		r = nssdb_count(&d, f.hex, &n, nick, sizeof(nick), &err);
	if (r == 0 && f.n && (n == 0 || n > f.n || strlen(nick) >= sizeof(nick)))
		__builtin_trap();
	if (r == 0 && f.n)
		r = nssdb_delete(&d, f.hex, &certs, &trusts, &err);
	/* fewer only in a damaged file (a b-tree a scan walks but a seek misses), which the
	 * check below refuses */
	if (r == 0 && f.n && certs > n)
		__builtin_trap();
	unsigned char *img = NULL;
	size_t len = 0;
	if (r == 0 && f.n)
		r = nssdb_image(&d, &img, &len, &err);
	if (r == 0 && f.n) {
		struct excise_err e2 = { 0 };
		int k = nssdb_check_image("cert9.db", img, len, f.hex, f.n - certs, &e2);
		if (k < 0)
			refused(k, &e2);
		else if (certs != n)
			__builtin_trap(); /* a partial removal passed the check */
	}
	if (r < 0)
		refused(r, &err);
	sqlite3_free(img);
	nssdb_close(&d);
	return 0;
}
