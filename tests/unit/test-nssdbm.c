/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of the NSS legacy database reader (lib/parse/nssdbm.c): databases
 * certutil made (tests/fuzz/nssdbm/certutil-*), a big pair over five pages built
 * here page by page, and the bounds: every damaged header, page, chain and record is
 * refused with the file and the offset named. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "excise/error.h"
#include "parse/nssdbm.h"

#define BS 512u
#define NPAGES 6u

struct seen {
	size_t n, certs;
	unsigned char *key, *data;
	size_t key_len, data_len;
	struct nssdbm_cert c[4];
	char nick[4][128];
};

static int on_rec(void *ud, const struct nssdbm_rec *rec)
{
	struct seen *s = ud;
	if (s->n++ == 0) {
		s->key = malloc(rec->key_len);
		s->data = malloc(rec->data_len);
		memcpy(s->key, rec->key, rec->key_len);
		memcpy(s->data, rec->data, rec->data_len);
		s->key_len = rec->key_len;
		s->data_len = rec->data_len;
	}
	if (nssdbm_is_cert(rec) && !nssdbm_is_blob(rec) && s->certs < 4) {
		struct excise_err err = { 0 };
		assert_int_equal(nssdbm_cert(rec, "cert8.db", &s->c[s->certs], &err), 0);
		snprintf(s->nick[s->certs], 128, "%.*s", (int)s->c[s->certs].nick_len, s->c[s->certs].nick);
		s->certs++;
	}
	return 0;
}

static void seen_done(struct seen *s)
{
	free(s->key);
	free(s->data);
}

static unsigned char *slurp(const char *name, size_t *len)
{
	const char *dir = getenv("EXCISE_TEST_DATA");
	char path[4096];
	snprintf(path, sizeof(path), "%s/fuzz/nssdbm/%s", dir ? dir : "tests", name);
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	unsigned char *b = malloc(1 << 20);
	*len = fread(b, 1, 1 << 20, f);
	fclose(f);
	return b;
}

/* What certutil wrote: the trust flags and nicknames as `certutil -A -t` set them. */
static void test_certutil(void **state)
{
	(void)state;
	size_t len;
	unsigned char *b = slurp("certutil-trusted", &len);
	struct seen s = { 0 };
	struct excise_err err = { 0 };
	assert_int_equal(nssdbm_each(b, len, "cert8.db", on_rec, &s, &err), 0);
	assert_int_equal(s.certs, 2);
	/* "CT,C,C": TRUSTED_CA | VALID_CA (| TRUSTED_CLIENT_CA for SSL) */
	size_t k = strcmp(s.nick[0], "Kaspersky Anti-Virus Personal Root Certificate") ? 1 : 0;
	assert_string_equal(s.nick[k], "Kaspersky Anti-Virus Personal Root Certificate");
	assert_string_equal(s.nick[1 - k], "Acme Root CA");
	assert_int_equal(s.c[k].ssl, NSSDBM_TRUSTED_CA | NSSDBM_VALID_CA | NSSDBM_TRUSTED_CLIENT_CA);
	assert_int_equal(s.c[k].email, NSSDBM_TRUSTED_CA | NSSDBM_VALID_CA);
	assert_int_equal(s.c[k].der[0], 0x30);
	seen_done(&s);
	free(b);

	b = slurp("certutil-untrusted", &len);
	s = (struct seen){ 0 };
	assert_int_equal(nssdbm_each(b, len, "cert8.db", on_rec, &s, &err), 0);
	assert_int_equal(s.certs, 1);
	assert_int_equal(s.c[0].ssl & (NSSDBM_TRUSTED_CA | NSSDBM_TRUSTED), 0);
	seen_done(&s);
	free(b);

	b = slurp("certutil-empty", &len);
	s = (struct seen){ 0 };
	assert_int_equal(nssdbm_each(b, len, "cert8.db", on_rec, &s, &err), 0);
	assert_int_equal(s.certs, 0);
	assert_true(s.n > 0); /* the version and content-version records */
	seen_done(&s);
	free(b);
}

/* ---- a hash file built page by page (little-endian pages, big-endian header) ---- */

static void be32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

static void w16(unsigned char *b, unsigned page, unsigned i, unsigned v)
{
	b[page * BS + 2 * i] = (unsigned char)v;
	b[page * BS + 2 * i + 1] = (unsigned char)(v >> 8);
}

static unsigned char *image(void)
{
	unsigned char *b = calloc(NPAGES, BS);
	be32(b + 0, 0x061561);
	be32(b + 4, 2);
	be32(b + 8, 1234);
	be32(b + 12, BS);
	be32(b + 16, 9);
	be32(b + 40, 0); /* max_bucket: bucket 0 on page 1, overflow address k on page 1 + k */
	be32(b + 60, 1);
	return b;
}

static unsigned char kb(size_t i) { return (unsigned char)(i == 0 ? 2 : i * 7); /* key type 2: not a certificate */ }
static unsigned char db(size_t i) { return (unsigned char)(i * 13 + 5); }

/* A big pair: key over pages 1-2, data over pages 2-4, then a small pair on page 5. */
static unsigned char *big_pair(void)
{
	unsigned char *b = image();
	size_t k = 0, d = 0;
	/* page 1: key piece [100, 512), PARTIAL_KEY, on to overflow page 1 (page 2) */
	w16(b, 1, 0, 4), w16(b, 1, 1, 100), w16(b, 1, 2, 1), w16(b, 1, 3, 1), w16(b, 1, 4, 0);
	for (unsigned i = 100; i < BS; i++)
		b[BS + i] = kb(k++);
	/* page 2: the key's end [400, 512), FULL_KEY_DATA, data [20, 400), no free space */
	w16(b, 2, 0, 4), w16(b, 2, 1, 400), w16(b, 2, 2, 3), w16(b, 2, 3, 2), w16(b, 2, 4, 20), w16(b, 2, 5, 0);
	for (unsigned i = 400; i < BS; i++)
		b[2 * BS + i] = kb(k++);
	for (unsigned i = 20; i < 400; i++)
		b[2 * BS + i] = db(d++);
	/* page 3: data [20, 512), FULL_KEY, on to page 4 */
	w16(b, 3, 0, 4), w16(b, 3, 1, 20), w16(b, 3, 2, 2), w16(b, 3, 3, 3), w16(b, 3, 4, 0);
	for (unsigned i = 20; i < BS; i++)
		b[3 * BS + i] = db(d++);
	/* page 4: the data's end [300, 512), FULL_KEY_DATA, the chain goes on to page 5 */
	w16(b, 4, 0, 4), w16(b, 4, 1, 300), w16(b, 4, 2, 3), w16(b, 4, 3, 4), w16(b, 4, 4, 0);
	for (unsigned i = 300; i < BS; i++)
		b[4 * BS + i] = db(d++);
	/* page 5: a small pair, key [500, 512), data [490, 500) */
	w16(b, 5, 0, 2), w16(b, 5, 1, 500), w16(b, 5, 2, 490);
	memset(b + 5 * BS + 490, 'd', 10);
	memset(b + 5 * BS + 500, 'k', 12);
	return b;
}

static void test_big_pair(void **state)
{
	(void)state;
	unsigned char *b = big_pair();
	struct seen s = { 0 };
	struct excise_err err = { 0 };
	assert_int_equal(nssdbm_each(b, NPAGES * BS, "cert8.db", on_rec, &s, &err), 0);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.key_len, 412 + 112);
	assert_int_equal(s.data_len, 380 + 492 + 212);
	for (size_t i = 0; i < s.key_len; i++)
		assert_int_equal(s.key[i], kb(i));
	for (size_t i = 0; i < s.data_len; i++)
		assert_int_equal(s.data[i], db(i));
	seen_done(&s);
	free(b);
}

/* A damaged image: refused with -EXCISE_E_CORRUPT, the message naming the file and
 * `offset`. */
static void refused(const unsigned char *b, size_t len, const char *offset)
{
	struct seen s = { 0 };
	struct excise_err err = { 0 };
	assert_int_equal(nssdbm_each(b, len, "/p/cert8.db", on_rec, &s, &err), -EXCISE_E_CORRUPT);
	assert_non_null(strstr(err.msg, "'/p/cert8.db'"));
	char want[64];
	snprintf(want, sizeof(want), "offset %s:", offset);
	if (!strstr(err.msg, want))
		fail_msg("'%s' does not say '%s'", err.msg, want);
	seen_done(&s);
}

static void test_header_bounds(void **state)
{
	(void)state;
	unsigned char *b = big_pair();
	refused(b, 259, "0");                   /* shorter than the header */
	b[3] ^= 1;
	refused(b, NPAGES * BS, "0");           /* magic */
	b[3] ^= 1;
	be32(b + 4, 3);
	refused(b, NPAGES * BS, "4");           /* version */
	be32(b + 4, 2);
	be32(b + 8, 1000);
	refused(b, NPAGES * BS, "8");           /* byte order */
	be32(b + 8, 1234);
	be32(b + 12, 500);
	refused(b, NPAGES * BS, "12");          /* not a power of two */
	be32(b + 12, 1u << 17);
	be32(b + 16, 17);
	refused(b, NPAGES * BS, "12");          /* over 64 KiB */
	be32(b + 12, BS);
	be32(b + 16, 8);
	refused(b, NPAGES * BS, "12");          /* shift and size disagree */
	be32(b + 16, 9);
	be32(b + 60, 0);
	refused(b, NPAGES * BS, "60");          /* no header page */
	be32(b + 60, 1);
	be32(b + 40, 0x80000000u);
	refused(b, NPAGES * BS, "40");          /* negative bucket count */
	be32(b + 40, 0);
	be32(b + 68, 0xffffffffu);
	refused(b, NPAGES * BS, "68");          /* negative spare count */
	be32(b + 68, 0);
	/* a huge bucket count is bounded by the file: buckets past its end are empty */
	be32(b + 40, 0x7fffffff);
	struct seen s = { 0 };
	struct excise_err err = { 0 };
	assert_int_equal(nssdbm_each(b, NPAGES * BS, "cert8.db", on_rec, &s, &err), -EXCISE_E_CORRUPT);
	seen_done(&s);
	free(b);
}

static void test_page_bounds(void **state)
{
	(void)state;
	unsigned char *b = big_pair();
	/* the pair count runs past the page */
	w16(b, 5, 0, 300);
	refused(b, NPAGES * BS, "2560");
	/* a small pair's offsets outside the page or crossing */
	w16(b, 5, 0, 2), w16(b, 5, 1, 500), w16(b, 5, 2, 501);
	refused(b, NPAGES * BS, "2562");
	w16(b, 5, 2, 4);
	refused(b, NPAGES * BS, "2562");        /* data over the pair table (PAGE_META) */
	w16(b, 5, 2, 490);
	/* an odd word count */
	w16(b, 5, 0, 3);
	refused(b, NPAGES * BS, "2560");
	w16(b, 5, 0, 2);
	/* a chain that loops: page 5 links back to overflow page 3 (page 4) */
	w16(b, 5, 0, 4), w16(b, 5, 3, 3), w16(b, 5, 4, 0);
	refused(b, NPAGES * BS, "2560");
	w16(b, 5, 0, 2);
	/* a big pair's piece outside its page, and a page of no known kind */
	w16(b, 3, 1, 4);
	refused(b, NPAGES * BS, "1536");
	w16(b, 3, 1, 20);
	w16(b, 3, 2, 1); /* PARTIAL_KEY in the data */
	refused(b, NPAGES * BS, "1536");
	w16(b, 3, 2, 2);
	/* a big pair continuing on an empty page, or past the file's end */
	w16(b, 3, 3, 100);
	refused(b, NPAGES * BS, "1536");
	w16(b, 3, 3, 3);
	/* the data's start past the key's on the key's last page */
	w16(b, 2, 4, 450);
	refused(b, NPAGES * BS, "1024");
	w16(b, 2, 4, 20);
	/* a file cut inside a page a chain links to */
	refused(b, 4 * BS + 100, "2048");
	/* a big pair after other pairs of a page */
	w16(b, 5, 0, 4), w16(b, 5, 3, 480), w16(b, 5, 4, 2);
	refused(b, NPAGES * BS, "2560");
	free(b);
}

static void test_record_bounds(void **state)
{
	(void)state;
	unsigned char d[40] = { 8, 1, 0, 0, 0x10, 0, 0, 0, 0, /* DER length */ 0, 20, /* nick */ 0, 3 };
	struct nssdbm_rec rec = { .key = (const unsigned char *)"\x01" "ab", .key_len = 3, .data = d, .data_len = 36,
				  .offset = 77 };
	struct nssdbm_cert c;
	struct excise_err err = { 0 };
	memcpy(d + 33, "ab", 3);
	assert_int_equal(nssdbm_cert(&rec, "cert8.db", &c, &err), 0);
	assert_int_equal(c.der_len, 20);
	assert_int_equal(c.nick_len, 2);
	assert_int_equal(c.ssl, NSSDBM_TRUSTED_CA);
	assert_ptr_equal(c.der, d + 13);
	/* lengths past the record */
	d[10] = 21;
	assert_int_equal(nssdbm_cert(&rec, "cert8.db", &c, &err), -EXCISE_E_CORRUPT);
	assert_non_null(strstr(err.msg, "offset 77:"));
	/* a record longer than its parts by other than whole 64 KiB units */
	d[10] = 19;
	assert_int_equal(nssdbm_cert(&rec, "cert8.db", &c, &err), -EXCISE_E_CORRUPT);
	d[10] = 20;
	/* too short for the header, another version or type */
	rec.data_len = 12;
	assert_int_equal(nssdbm_cert(&rec, "cert8.db", &c, &err), -EXCISE_E_CORRUPT);
	rec.data_len = 36;
	d[0] = 6;
	assert_int_equal(nssdbm_cert(&rec, "cert8.db", &c, &err), -EXCISE_E_CORRUPT);
	d[0] = 8;
	/* a DER of 64 KiB and more: the low 16 bits in the header, the rest from the length */
	size_t big = 13 + 0x10014 + 3;
	unsigned char *r = calloc(1, big);
	memcpy(r, d, 13);
	memcpy(r + 13 + 0x10014, "ab", 3);
	struct nssdbm_rec rb = { .key = rec.key, .key_len = 3, .data = r, .data_len = big };
	assert_int_equal(nssdbm_cert(&rb, "cert8.db", &c, &err), 0);
	assert_int_equal(c.der_len, 0x10014);
	assert_int_equal(c.nick_len, 2);
	free(r);
	/* a blob record's file name: base64 letters only, never a path */
	unsigned char blob[40] = { 8, 8, 0, 0, 0x10, 0x27, 0, 0 };
	memcpy(blob + 8, "AbC+d-e=", 9);
	struct nssdbm_rec rr = { .key = rec.key, .key_len = 3, .data = blob, .data_len = 38 };
	char *path = NULL;
	uint32_t size = 0;
	assert_true(nssdbm_is_blob(&rr));
	assert_int_equal(nssdbm_blob_path(&rr, "/p/cert8.db", &path, &size), 0);
	assert_string_equal(path, "/p/cert8.dir/AbC+d-e=");
	assert_int_equal(size, 10000);
	free(path);
	memcpy(blob + 8, "../../etc", 10);
	assert_int_equal(nssdbm_blob_path(&rr, "/p/cert8.db", &path, &size), -EXCISE_E_CORRUPT);
	assert_null(path);
	memset(blob + 8, 'A', 30); /* no NUL within the record */
	rr.data_len = 38;
	assert_int_equal(nssdbm_blob_path(&rr, "/p/cert8.db", &path, &size), -EXCISE_E_CORRUPT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_certutil),
		cmocka_unit_test(test_big_pair),
		cmocka_unit_test(test_header_bounds),
		cmocka_unit_test(test_page_bounds),
		cmocka_unit_test(test_record_bounds),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
