/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of minisign keys and signatures (lib/catalog/sigfile.c). */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>

#include "catalog/sigfile.h"
#include "core/buf.h"
#include "core/limits.h"
#include "excise/catalog.h"

static const char DATA[] = "{\"schema\": \"excise.catalog/1\"}\n";

struct fixture {
	char dir[64];
	char pub[128], sec[128], pub2[128], sec2[128], file[128], sig[128];
	char *sig_text;     /* signature of DATA by key 1 */
	size_t sig_len;
	char key_line[64];  /* base64 line of key 1 */
	char key_id[17];    /* as written in key 1's comment */
	char key2_id[17];
};

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	struct buf b;
	buf_init(&b, 1u << 20);
	char chunk[4096];
	size_t k;
	while ((k = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_add(&b, chunk, k);
	fclose(f);
	char *s = NULL;
	assert_int_equal(buf_take(&b, &s), 0);
	if (len)
		*len = strlen(s);
	return s;
}

static void spew(const char *path, const char *s, size_t len)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(s, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

/* Key id from "untrusted comment: minisign public key XXXXXXXXXXXXXXXX". */
static void comment_key_id(const char *pub_path, char out[17], char *line2)
{
	char *t = slurp(pub_path, NULL);
	const char *nl = strchr(t, '\n');
	assert_non_null(nl);
	assert_true(nl - t > 16);
	memcpy(out, nl - 16, 16);
	out[16] = 0;
	if (line2) {
		const char *e = strchr(nl + 1, '\n');
		assert_non_null(e);
		assert_int_equal(e - nl - 1, 56);
		memcpy(line2, nl + 1, 56);
		line2[56] = 0;
	}
	free(t);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/excise-sigfile.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->pub, sizeof(f->pub), "%s/k.pub", f->dir);
	snprintf(f->sec, sizeof(f->sec), "%s/k.key", f->dir);
	snprintf(f->pub2, sizeof(f->pub2), "%s/k2.pub", f->dir);
	snprintf(f->sec2, sizeof(f->sec2), "%s/k2.key", f->dir);
	snprintf(f->file, sizeof(f->file), "%s/c.json", f->dir);
	snprintf(f->sig, sizeof(f->sig), "%s/c.json.minisig", f->dir);
	struct excise_err err = { 0 };
	assert_int_equal(excise_sig_keygen(f->pub, f->sec, &err), 0);
	assert_int_equal(excise_sig_keygen(f->pub2, f->sec2, &err), 0);
	spew(f->file, DATA, strlen(DATA));
	assert_int_equal(excise_sig_sign_file(f->sec, f->file, NULL, NULL, &err), 0);
	f->sig_text = slurp(f->sig, &f->sig_len);
	comment_key_id(f->pub, f->key_id, f->key_line);
	comment_key_id(f->pub2, f->key2_id, NULL);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	const char *files[] = { f->pub, f->sec, f->pub2, f->sec2, f->file, f->sig };
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		unlink(files[i]);
	char extra[160];
	snprintf(extra, sizeof(extra), "%s/other.minisig", f->dir);
	unlink(extra);
	rmdir(f->dir);
	free(f->sig_text);
	free(f);
	return 0;
}

static int verify_text(const struct fixture *f, const char *data, size_t len, const char *text,
		       size_t tlen, const char *key, char *id, struct excise_err *err)
{
	const char *keys[] = { key ? key : f->pub };
	return excise_sig_verify(data, len, text, tlen, keys, 1, id, err);
}

static void test_round_trip(void **state)
{
	struct fixture *f = *state;
	char id[17] = "";
	struct excise_err err = { 0 };
	assert_int_equal(verify_text(f, DATA, strlen(DATA), f->sig_text, f->sig_len, NULL, id, &err),
			 0);
	assert_string_equal(id, f->key_id);
	/* The key may also be given as its base64 line. */
	memset(id, 0, sizeof(id));
	assert_int_equal(verify_text(f, DATA, strlen(DATA), f->sig_text, f->sig_len, f->key_line,
				     id, &err),
			 0);
	assert_string_equal(id, f->key_id);
	/* Prehashed, with minisign's default trusted comment. */
	assert_non_null(strstr(f->sig_text, "\ntrusted comment: timestamp:"));
	assert_non_null(strstr(f->sig_text, "\tfile:c.json\thashed\n"));
	struct sig_minisig m;
	assert_int_equal(sig_parse_minisig("sig", f->sig_text, f->sig_len, &m, &err), 0);
	assert_memory_equal(m.alg, "ED", 2);
	/* Among several trusted keys, the matching one is found. */
	const char *keys[] = { f->pub2, f->pub };
	assert_int_equal(excise_sig_verify(DATA, strlen(DATA), f->sig_text, f->sig_len, keys, 2, id,
					   &err),
			 0);
}

static void test_key_files(void **state)
{
	struct fixture *f = *state;
	struct stat st;
	assert_int_equal(stat(f->sec, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	/* Never overwrites. */
	struct excise_err err = { 0 };
	assert_int_equal(excise_sig_keygen(f->pub, f->sec, &err), -EEXIST);
	assert_non_null(strstr(err.msg, "overwrite"));
	char *before = slurp(f->pub, NULL);
	char fresh[160];
	snprintf(fresh, sizeof(fresh), "%s/new.key", f->dir);
	assert_int_equal(excise_sig_keygen(f->pub, fresh, &err), -EEXIST);
	assert_int_equal(access(fresh, F_OK), -1); /* the half-made pair is removed */
	char *after = slurp(f->pub, NULL);
	assert_string_equal(before, after);
	free(before);
	free(after);
	/* The parsed public key carries the id of its comment. */
	struct sig_pubkey pk;
	char *t = slurp(f->pub, NULL);
	assert_int_equal(sig_parse_pubkey("pub", t, strlen(t), &pk, &err), 0);
	char id[17];
	sig_key_id(pk.keynum, id);
	assert_string_equal(id, f->key_id);
	free(t);
}

static void test_key_id_format(void **state)
{
	(void)state;
	/* minisign prints keynum bytes 4d 41 ed ec c4 b3 14 df as DF14B3C4ECED414D. */
	const uint8_t keynum[8] = { 0x4d, 0x41, 0xed, 0xec, 0xc4, 0xb3, 0x14, 0xdf };
	char id[17];
	sig_key_id(keynum, id);
	assert_string_equal(id, "DF14B3C4ECED414D");
}

static void test_tampered_data(void **state)
{
	struct fixture *f = *state;
	char data[sizeof(DATA)];
	memcpy(data, DATA, sizeof(DATA));
	data[3] ^= 1;
	struct excise_err err = { 0 };
	assert_int_equal(verify_text(f, data, strlen(data), f->sig_text, f->sig_len, NULL, NULL, &err),
			 -EXCISE_E_BADSIG);
	assert_int_equal(err.code, -EXCISE_E_BADSIG);
	assert_non_null(strstr(err.msg, f->key_id));
	assert_int_equal(verify_text(f, DATA, strlen(DATA) - 1, f->sig_text, f->sig_len, NULL, NULL,
				     &err),
			 -EXCISE_E_BADSIG);
}

static void test_wrong_key(void **state)
{
	struct fixture *f = *state;
	struct excise_err err = { 0 };
	assert_int_equal(verify_text(f, DATA, strlen(DATA), f->sig_text, f->sig_len, f->pub2, NULL,
				     &err),
			 -EXCISE_E_UNTRUSTED);
	assert_non_null(strstr(err.msg, f->key_id));
	assert_non_null(strstr(err.msg, f->key2_id));
	/* No key at all. */
	assert_int_equal(excise_sig_verify(DATA, strlen(DATA), f->sig_text, f->sig_len, NULL, 0, NULL,
					   &err),
			 -EXCISE_E_UNTRUSTED);
	/* A trusted key that cannot be read is an error naming it. */
	assert_int_equal(verify_text(f, DATA, strlen(DATA), f->sig_text, f->sig_len,
				     "/nonexistent/k.pub", NULL, &err),
			 -ENOENT);
	assert_non_null(strstr(err.msg, "/nonexistent/k.pub"));
	/* A signature whose key id was swapped for a trusted key's fails the signature. */
	struct sig_pubkey pk2;
	char *t = slurp(f->pub2, NULL);
	assert_int_equal(sig_parse_pubkey("pub", t, strlen(t), &pk2, &err), 0);
	free(t);
	struct sig_minisig m;
	assert_int_equal(sig_parse_minisig("sig", f->sig_text, f->sig_len, &m, &err), 0);
	uint8_t bin[74];
	memcpy(bin, "ED", 2);
	memcpy(bin + 2, pk2.keynum, 8);
	memcpy(bin + 10, m.sig, 64);
	char b64[101];
	sodium_bin2base64(b64, sizeof(b64), bin, sizeof(bin), sodium_base64_VARIANT_ORIGINAL);
	char *copy = strdup(f->sig_text);
	char *line2 = strchr(copy, '\n') + 1;
	memcpy(line2, b64, 100);
	assert_int_equal(verify_text(f, DATA, strlen(DATA), copy, strlen(copy), f->pub2, NULL, &err),
			 -EXCISE_E_BADSIG);
	free(copy);
}

static void expect_corrupt(const struct fixture *f, const char *text, size_t len, const char *what)
{
	struct excise_err err = { 0 };
	int r = verify_text(f, DATA, strlen(DATA), text, len, NULL, NULL, &err);
	if (r != -EXCISE_E_CORRUPT)
		fail_msg("%s: got %d (%s)", what, r, err.msg);
	assert_non_null(strstr(err.msg, "signature"));
}

static void test_garbled(void **state)
{
	struct fixture *f = *state;
	char *s = strdup(f->sig_text);
	char *line2 = strchr(s, '\n') + 1;
	/* A character outside the base64 alphabet, same length. */
	line2[10] = '@';
	expect_corrupt(f, s, strlen(s), "bad base64 char");
	free(s);
	/* Non-canonical padding: last data char changed so unused bits are set. */
	s = strdup(f->sig_text);
	char *line4 = strrchr(s, '=');
	assert_non_null(line4);
	line4[-2] = line4[-2] == 'B' ? 'C' : 'B'; /* low 4 bits set: not canonical */
	expect_corrupt(f, s, strlen(s), "bad padding bits");
	free(s);
	/* Algorithm bytes unknown. */
	s = strdup(f->sig_text);
	line2 = strchr(s, '\n') + 1;
	memcpy(line2, "AAAA", 4);
	expect_corrupt(f, s, strlen(s), "bad algorithm");
	free(s);
	/* NUL byte inside. */
	s = strdup(f->sig_text);
	s[5] = 0;
	expect_corrupt(f, s, f->sig_len, "NUL byte");
	free(s);
	/* Trailing content after the four lines. */
	struct buf b;
	buf_init(&b, 0);
	buf_add(&b, f->sig_text, f->sig_len);
	buf_adds(&b, "more\n");
	expect_corrupt(f, b.p, b.n, "trailing content");
	buf_done(&b);
	/* Wrong prefixes. */
	s = strdup(f->sig_text);
	s[0] = 'U';
	expect_corrupt(f, s, strlen(s), "untrusted prefix");
	free(s);
	s = strdup(f->sig_text);
	char *tc = strstr(s, "\ntrusted comment: ");
	tc[1] = 'T';
	expect_corrupt(f, s, strlen(s), "trusted prefix");
	free(s);
}

static void test_truncated(void **state)
{
	struct fixture *f = *state;
	/* Every cut short of the last base64 line's end is refused. */
	size_t end = f->sig_len - 1; /* without the final newline it is still whole */
	for (size_t cut = 0; cut < end; cut++)
		expect_corrupt(f, f->sig_text, cut, "truncated");
	struct excise_err err = { 0 };
	assert_int_equal(verify_text(f, DATA, strlen(DATA), f->sig_text, end, NULL, NULL, &err), 0);
}

static void test_line_endings(void **state)
{
	struct fixture *f = *state;
	struct buf b;
	buf_init(&b, 0);
	for (size_t i = 0; i < f->sig_len; i++) {
		if (f->sig_text[i] == '\n')
			buf_addc(&b, '\r');
		buf_addc(&b, f->sig_text[i]);
	}
	struct excise_err err = { 0 };
	assert_int_equal(verify_text(f, DATA, strlen(DATA), b.p, b.n, NULL, NULL, &err), 0);
	buf_done(&b);
}

static void test_size_limit(void **state)
{
	struct fixture *f = *state;
	struct excise_err err = { 0 };
	/* Padded with blank lines to exactly the limit: accepted. */
	size_t n = EXCISE_MAX_SIGFILE_SIZE;
	char *s = malloc(n + 1);
	assert_non_null(s);
	memset(s, '\n', n + 1);
	memcpy(s, f->sig_text, f->sig_len);
	assert_int_equal(verify_text(f, DATA, strlen(DATA), s, n, NULL, NULL, &err), 0);
	/* One byte more: refused before parsing. */
	assert_int_equal(verify_text(f, DATA, strlen(DATA), s, n + 1, NULL, NULL, &err),
			 -EXCISE_E_TOOBIG);
	assert_int_equal(err.code, -EXCISE_E_TOOBIG);
	/* A public key file over the limit too. */
	char big[160];
	snprintf(big, sizeof(big), "%s/other.minisig", f->dir);
	spew(big, s, n + 1);
	assert_int_equal(verify_text(f, DATA, strlen(DATA), f->sig_text, f->sig_len, big, NULL, &err),
			 -EXCISE_E_TOOBIG);
	assert_non_null(strstr(err.msg, big));
	free(s);
}

static void test_trusted_comment(void **state)
{
	struct fixture *f = *state;
	char *s = strdup(f->sig_text);
	char *p = strstr(s, "file:c.json");
	assert_non_null(p);
	p[5] = 'C';
	struct excise_err err = { 0 };
	assert_int_equal(verify_text(f, DATA, strlen(DATA), s, strlen(s), NULL, NULL, &err),
			 -EXCISE_E_BADSIG);
	assert_non_null(strstr(err.msg, "trusted comment"));
	free(s);

	/* A comment of our own, and a refused multi-line one. */
	char other[160];
	snprintf(other, sizeof(other), "%s/other.minisig", f->dir);
	assert_int_equal(excise_sig_sign_file(f->sec, f->file, other, "release 7", &err), 0);
	size_t len;
	s = slurp(other, &len);
	assert_non_null(strstr(s, "\ntrusted comment: release 7\n"));
	assert_int_equal(verify_text(f, DATA, strlen(DATA), s, len, NULL, NULL, &err), 0);
	free(s);
	assert_int_equal(excise_sig_sign_file(f->sec, f->file, other, "a\nb", &err),
			 -EXCISE_E_USAGE);
	/* EXCISE_MAX_TRUSTED_COMMENT bytes, and one more */
	char *tc = malloc(EXCISE_MAX_TRUSTED_COMMENT + 2);
	assert_non_null(tc);
	memset(tc, 'c', EXCISE_MAX_TRUSTED_COMMENT);
	tc[EXCISE_MAX_TRUSTED_COMMENT] = 0;
	assert_int_equal(excise_sig_sign_file(f->sec, f->file, other, tc, &err), 0);
	s = slurp(other, &len);
	assert_int_equal(verify_text(f, DATA, strlen(DATA), s, len, NULL, NULL, &err), 0);
	free(s);
	strcat(tc, "c");
	assert_int_equal(excise_sig_sign_file(f->sec, f->file, other, tc, &err), -EXCISE_E_USAGE);
	assert_non_null(strstr(err.msg, "longer than"));
	free(tc);
}

static void test_legacy(void **state)
{
	struct fixture *f = *state;
	struct excise_err err = { 0 };
	size_t len;
	char *t = slurp(f->sec, &len);
	struct sig_seckey sk;
	assert_int_equal(sig_parse_seckey("sec", t, len, &sk, &err), 0);
	free(t);
	/* Legacy "Ed": the signature is over the data itself. */
	uint8_t bin[74], gsig[64], gmsg[64 + 6];
	memcpy(bin, "Ed", 2);
	memcpy(bin + 2, sk.keynum, 8);
	crypto_sign_detached(bin + 10, NULL, (const uint8_t *)DATA, strlen(DATA), sk.sk);
	memcpy(gmsg, bin + 10, 64);
	memcpy(gmsg + 64, "legacy", 6);
	crypto_sign_detached(gsig, NULL, gmsg, sizeof(gmsg), sk.sk);
	char b1[101], b2[89];
	sodium_bin2base64(b1, sizeof(b1), bin, sizeof(bin), sodium_base64_VARIANT_ORIGINAL);
	sodium_bin2base64(b2, sizeof(b2), gsig, sizeof(gsig), sodium_base64_VARIANT_ORIGINAL);
	char text[512];
	int k = snprintf(text, sizeof(text),
			 "untrusted comment: legacy\n%s\ntrusted comment: legacy\n%s\n", b1, b2);
	assert_true(k > 0 && (size_t)k < sizeof(text));
	char id[17] = "";
	assert_int_equal(verify_text(f, DATA, strlen(DATA), text, (size_t)k, NULL, id, &err), 0);
	assert_string_equal(id, f->key_id);
	/* The same signature labelled prehashed does not verify. */
	bin[1] = 'D';
	sodium_bin2base64(b1, sizeof(b1), bin, sizeof(bin), sodium_base64_VARIANT_ORIGINAL);
	k = snprintf(text, sizeof(text),
		     "untrusted comment: legacy\n%s\ntrusted comment: legacy\n%s\n", b1, b2);
	assert_int_equal(verify_text(f, DATA, strlen(DATA), text, (size_t)k, NULL, id, &err),
			 -EXCISE_E_BADSIG);
	sodium_memzero(&sk, sizeof(sk));
}

/* Re-encode a secret key file with its blob changed by `edit`. */
static char *edit_seckey(const char *path, void (*edit)(uint8_t *blob))
{
	size_t len;
	char *t = slurp(path, &len);
	char *l2 = strchr(t, '\n') + 1;
	uint8_t blob[158];
	size_t bl = 0;
	assert_int_equal(sodium_base642bin(blob, sizeof(blob), l2, 212, NULL, &bl, NULL,
					   sodium_base64_VARIANT_ORIGINAL),
			 0);
	assert_int_equal(bl, sizeof(blob));
	edit(blob);
	char b64[213];
	sodium_bin2base64(b64, sizeof(b64), blob, sizeof(blob), sodium_base64_VARIANT_ORIGINAL);
	memcpy(l2, b64, 212);
	return t;
}

static void make_encrypted(uint8_t *blob)
{
	memcpy(blob + 2, "Sc", 2);
}
static void flip_sk(uint8_t *blob)
{
	blob[70] ^= 1;
}
static void zero_chk(uint8_t *blob)
{
	memset(blob + 126, 0, 32);
}

static void test_seckey(void **state)
{
	struct fixture *f = *state;
	struct excise_err err = { 0 };
	struct sig_seckey sk;
	char *t = edit_seckey(f->sec, make_encrypted);
	assert_int_equal(sig_parse_seckey("sec", t, strlen(t), &sk, &err), -EXCISE_E_UNSUPPORTED);
	assert_non_null(strstr(err.msg, "encrypted"));
	free(t);
	t = edit_seckey(f->sec, flip_sk);
	assert_int_equal(sig_parse_seckey("sec", t, strlen(t), &sk, &err), -EXCISE_E_CORRUPT);
	free(t);
	/* minisign -G -W writes a zero checksum: accepted. */
	t = edit_seckey(f->sec, zero_chk);
	assert_int_equal(sig_parse_seckey("sec", t, strlen(t), &sk, &err), 0);
	free(t);
	/* Signing with a public key file instead of a secret key fails clearly. */
	char other[160];
	snprintf(other, sizeof(other), "%s/other.minisig", f->dir);
	assert_int_equal(excise_sig_sign_file(f->pub, f->file, other, NULL, &err), -EXCISE_E_CORRUPT);
	assert_non_null(strstr(err.msg, f->pub));
	sodium_memzero(&sk, sizeof(sk));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_key_files),
		cmocka_unit_test(test_key_id_format),
		cmocka_unit_test(test_tampered_data),
		cmocka_unit_test(test_wrong_key),
		cmocka_unit_test(test_garbled),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_line_endings),
		cmocka_unit_test(test_size_limit),
		cmocka_unit_test(test_trusted_comment),
		cmocka_unit_test(test_legacy),
		cmocka_unit_test(test_seckey),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
