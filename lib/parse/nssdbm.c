/* SPDX-License-Identifier: Apache-2.0 */
/* nssdbm: the certificates of an NSS cert8.db (see nssdbm.h). */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/limits.h"
#include "parse/nssdbm.h"

/* The header (big-endian 32-bit words) and its fields' offsets */
#define HDR_LEN 260u             /* 17 words, 32 spare words, 32 16-bit bitmap addresses */
#define HDR_MAGIC 0x061561u
#define HDR_LE 1234u
#define HDR_BE 4321u
#define OFF_MAGIC 0
#define OFF_VERSION 4
#define OFF_LORDER 8
#define OFF_BSIZE 12
#define OFF_BSHIFT 16
#define OFF_MAX_BUCKET 40
#define OFF_NKEYS 56
#define OFF_HDRPAGES 60
#define OFF_SPARES 68
#define N_SPARES 32u
#define MIN_BSIZE 128u
#define MAX_BSIZE 65536u         /* dbm reads pages up to 64 KiB (OLD_MAX_BSIZE) */

/* The second word of a pair: what the first one is */
#define OVFLPAGE 0u
#define PARTIAL_KEY 1u
#define FULL_KEY 2u
#define FULL_KEY_DATA 3u
#define REAL_KEY 4u

#define SPLITSHIFT 11u
#define SPLITMASK 0x7ffu

/* NSS's legacy certificate database */
#define ENTRY_CERT 1u
#define ENTRY_BLOB 8u
#define ENTRY_HEADER_LEN 3u      /* version, type, flags */
#define CERT_HEADER_LEN 10u      /* three trust words, DER length, nickname length */

struct walk {
	const unsigned char *b;
	size_t len;
	const char *name;
	struct excise_err *err;
	uint32_t bsize;
	bool le;
	uint64_t hdrpages, npages;
	uint64_t spares[N_SPARES];
	unsigned char *seen;     /* a bit per page of the file */
	nssdbm_fn fn;
	void *ud;
	/* a big pair being gathered */
	unsigned char *key, *data;
	size_t key_len, data_len, key_cap, data_cap;
};

/* A loaded page: NULL words when the page is past the file's end (empty, as dbm
 * reads it) */
struct page {
	const unsigned char *p;
	uint64_t no;
	unsigned n;              /* word 0 */
};

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static unsigned word(const struct walk *w, const struct page *pg, unsigned i)
{
	const unsigned char *q = pg->p + 2 * (size_t)i;
	return w->le ? (unsigned)(q[0] | q[1] << 8) : (unsigned)(q[0] << 8 | q[1]);
}

static int corrupt(struct walk *w, uint64_t off, const char *what)
{
	return err_set(w->err, -EXCISE_E_CORRUPT, "'%s': offset %" PRIu64 ": %s: not a readable NSS legacy (dbm) "
		       "database", w->name, off, what);
}

/* dbm's log2: the smallest i with 2^i >= num */
static unsigned log2_ceil(uint64_t num)
{
	unsigned i = 0;
	while (((uint64_t)1 << i) < num)
		i++;
	return i;
}

static uint64_t bucket_page(const struct walk *w, uint64_t bucket)
{
	uint64_t sp = bucket ? w->spares[log2_ceil(bucket + 1) - 1] : 0;
	return bucket + w->hdrpages + sp;
}

static uint64_t ovfl_page(const struct walk *w, unsigned addr)
{
	return bucket_page(w, ((uint64_t)1 << (addr >> SPLITSHIFT)) - 1) + (addr & SPLITMASK);
}

/* Load page `no` (from a chain that reached it from byte `from`), each page once. */
static int load(struct walk *w, uint64_t no, uint64_t from, struct page *pg)
{
	*pg = (struct page){ .no = no };
	if (no >= w->npages) {
		if (no == w->npages && w->len % w->bsize)
			return corrupt(w, no * w->bsize, "the file ends inside a page the table uses");
		return 0;
	}
	if (w->seen[no / 8] & (1u << (no % 8)))
		return corrupt(w, from, "a page is reached twice (a chain loops or two chains share a page)");
	w->seen[no / 8] |= (unsigned char)(1u << (no % 8));
	pg->p = w->b + no * w->bsize;
	pg->n = word(w, pg, 0);
	/* words 0..n and the two after them (free space, free offset) lie in the page */
	if (((uint64_t)pg->n + 3) * 2 > w->bsize)
		return corrupt(w, no * w->bsize, "the page's pair count runs past the page");
	return 0;
}

static uint64_t page_off(const struct walk *w, const struct page *pg)
{
	return pg->no * w->bsize;
}

static int append(unsigned char **buf, size_t *len, size_t *cap, const unsigned char *src, size_t n)
{
	if (*len + n > *cap) {
		size_t nc = *cap ? *cap : 4096;
		while (nc < *len + n)
			nc *= 2;
		unsigned char *b = realloc(*buf, nc);
		if (!b)
			return -ENOMEM;
		*buf = b;
		*cap = nc;
	}
	if (n)
		memcpy(*buf + *len, src, n);
	*len += n;
	return 0;
}

/* The bytes from word 1's offset to the page's end: a piece of a big pair. */
static int piece(struct walk *w, const struct page *pg, unsigned char **buf, size_t *len, size_t *cap)
{
	unsigned off = word(w, pg, 1);
	if (off < ((size_t)pg->n + 3) * 2 || off > w->bsize)
		return corrupt(w, page_off(w, pg), "a big pair's piece starts outside its page");
	return append(buf, len, cap, pg->p + off, w->bsize - off);
}

/* The next page of a chain from the link at word n-1 of `pg` (n >= 4). */
static int next_page(struct walk *w, const struct page *pg, struct page *out, bool must)
{
	if (pg->n < 4)
		return corrupt(w, page_off(w, pg), "a big pair's page has no link to the next page");
	uint64_t from = page_off(w, pg); /* `out` may be `pg` */
	int r = load(w, ovfl_page(w, word(w, pg, pg->n - 1)), from, out);
	if (r < 0)
		return r;
	if (must && (!out->p || out->n < 2))
		return corrupt(w, from, "a big pair continues on an empty page");
	return 0;
}

/* A big pair starting at `pg`: gather its key and data, pass them on, and leave in
 * `pg` the page the chain goes on with (p NULL: the chain ends). */
static int big_pair(struct walk *w, struct page *pg)
{
	uint64_t start = page_off(w, pg);
	w->key_len = w->data_len = 0;
	int r;
	while (word(w, pg, 2) == PARTIAL_KEY) {
		if ((r = piece(w, pg, &w->key, &w->key_len, &w->key_cap)) < 0 || (r = next_page(w, pg, pg, true)) < 0)
			return r;
	}
	if ((r = piece(w, pg, &w->key, &w->key_len, &w->key_cap)) < 0)
		return r;
	bool more_data = true;
	if (word(w, pg, 2) == FULL_KEY) {
		if ((r = next_page(w, pg, pg, true)) < 0)
			return r;
	} else if (word(w, pg, 2) == FULL_KEY_DATA) {
		if (pg->n < 4)
			return corrupt(w, page_off(w, pg), "a big pair's key page has no data offset");
		unsigned keyoff = word(w, pg, 1), off = word(w, pg, pg->n);
		if (off < ((size_t)pg->n + 3) * 2 || off > keyoff)
			return corrupt(w, page_off(w, pg), "a big pair's data starts outside its page");
		if ((r = append(&w->data, &w->data_len, &w->data_cap, pg->p + off, keyoff - off)) < 0)
			return r;
		/* free space left: the data ended here (dbm's rule) */
		more_data = word(w, pg, pg->n + 1) == 0;
		if ((r = next_page(w, pg, pg, more_data)) < 0)
			return r;
	} else {
		return corrupt(w, page_off(w, pg), "a big pair's page is of no known kind");
	}
	while (more_data) {
		if ((r = piece(w, pg, &w->data, &w->data_len, &w->data_cap)) < 0)
			return r;
		unsigned kind = word(w, pg, 2);
		if (kind == FULL_KEY_DATA) {
			/* the data's last page: the chain goes on from its link, if any */
			if (pg->n == 2)
				pg->p = NULL;
			else if ((r = next_page(w, pg, pg, false)) < 0)
				return r;
			break;
		}
		if (kind != FULL_KEY)
			return corrupt(w, page_off(w, pg), "a big pair's data page is of no known kind");
		if ((r = next_page(w, pg, pg, true)) < 0)
			return r;
	}
	struct nssdbm_rec rec = { .key = w->key, .key_len = w->key_len, .data = w->data, .data_len = w->data_len,
				  .offset = start };
	return w->fn(w->ud, &rec);
}

/* Every pair of the chain of bucket `b`. */
static int chain(struct walk *w, uint64_t b)
{
	struct page pg;
	int r = load(w, bucket_page(w, b), 0, &pg);
	while (r >= 0 && pg.p && pg.n) {
		if (pg.n >= 2 && word(w, &pg, 2) < REAL_KEY && word(w, &pg, 2) != OVFLPAGE) {
			r = big_pair(w, &pg);
			continue;
		}
		unsigned prev = w->bsize > 0xffff ? 0x10000 : w->bsize;
		unsigned meta = (pg.n + 3) * 2;
		uint64_t at = page_off(w, &pg);
		bool linked = false;
		for (unsigned i = 1; i + 1 <= pg.n && r >= 0; i += 2) {
			unsigned k = word(w, &pg, i), d = word(w, &pg, i + 1);
			if (d == OVFLPAGE) {
				if (i + 1 != pg.n)
					return corrupt(w, at, "a link to the next page before the page's last pair");
				r = load(w, ovfl_page(w, k), at, &pg);
				linked = true;
				break;
			}
			if (d < REAL_KEY)
				return corrupt(w, at, "a big pair after other pairs of a page");
			if (k > prev || d > k || d < meta)
				return corrupt(w, at + 2 * (uint64_t)i, "a pair's offsets lie outside its page or overlap");
			struct nssdbm_rec rec = { .key = pg.p + k, .key_len = prev - k, .data = pg.p + d,
						  .data_len = k - d, .offset = at + d };
			r = w->fn(w->ud, &rec);
			prev = d;
		}
		if (r >= 0 && !linked && pg.n % 2)
			return corrupt(w, at, "an odd number of words in the page's pair table");
		if (!linked)
			break;
	}
	return r;
}

int nssdbm_each(const void *buf, size_t len, const char *name, nssdbm_fn fn, void *ud, struct excise_err *err)
{
	struct walk w = { .b = buf, .len = len, .name = name, .err = err, .fn = fn, .ud = ud };
	if (len < HDR_LEN)
		return corrupt(&w, 0, "shorter than the hash header");
	const unsigned char *h = buf;
	uint32_t version = be32(h + OFF_VERSION), lorder = be32(h + OFF_LORDER), bsize = be32(h + OFF_BSIZE);
	uint32_t bshift = be32(h + OFF_BSHIFT), hdrpages = be32(h + OFF_HDRPAGES);
	int32_t max_bucket = (int32_t)be32(h + OFF_MAX_BUCKET), nkeys = (int32_t)be32(h + OFF_NKEYS);
	if (be32(h + OFF_MAGIC) != HDR_MAGIC)
		return corrupt(&w, OFF_MAGIC, "no hash magic (0x061561)");
	if (version != 1 && version != 2)
		return corrupt(&w, OFF_VERSION, "a hash version other than 1 or 2");
	if (lorder != HDR_LE && lorder != HDR_BE)
		return corrupt(&w, OFF_LORDER, "a byte order other than 1234 or 4321");
	if (bsize < MIN_BSIZE || bsize > MAX_BSIZE || (bsize & (bsize - 1)) || bshift > 16 || (1u << bshift) != bsize)
		return corrupt(&w, OFF_BSIZE, "a page size that is not a power of two from 128 to 65536 bytes");
	if (hdrpages < 1 || (uint64_t)hdrpages * bsize < HDR_LEN || hdrpages > len / bsize + 1)
		return corrupt(&w, OFF_HDRPAGES, "a header page count that does not fit the file");
	if (max_bucket < 0 || nkeys < 0)
		return corrupt(&w, OFF_MAX_BUCKET, "a negative bucket or key count");
	for (unsigned i = 0; i < N_SPARES; i++) {
		int32_t s = (int32_t)be32(h + OFF_SPARES + 4 * i);
		if (s < 0)
			return corrupt(&w, OFF_SPARES + 4 * i, "a negative spare page count");
		w.spares[i] = (uint64_t)s;
	}
	w.bsize = bsize;
	w.le = lorder == HDR_LE;
	w.hdrpages = hdrpages;
	w.npages = len / bsize;
	w.seen = calloc(w.npages / 8 + 1, 1);
	if (!w.seen)
		return -ENOMEM;
	/* bucket b's page is at least b + hdrpages: past npages every bucket is empty */
	uint64_t last = (uint64_t)max_bucket < w.npages ? (uint64_t)max_bucket : w.npages;
	int r = 0;
	for (uint64_t b = 0; b <= last && r >= 0; b++)
		r = chain(&w, b);
	free(w.seen);
	free(w.key);
	free(w.data);
	return r;
}

bool nssdbm_is_cert(const struct nssdbm_rec *rec)
{
	return rec->key_len >= 1 && rec->key[0] == ENTRY_CERT;
}

bool nssdbm_is_blob(const struct nssdbm_rec *rec)
{
	return rec->data_len >= 2 && rec->data[1] == ENTRY_BLOB;
}

int nssdbm_blob_path(const struct nssdbm_rec *rec, const char *db_path, char **ret_path, uint32_t *ret_size)
{
	const unsigned char *b = rec->data;
	*ret_path = NULL;
	size_t i = 0;
	for (; i < NSSDBM_BLOB_NAME_MAX && NSSDBM_BLOB_NAME_OFF + i < rec->data_len && b[NSSDBM_BLOB_NAME_OFF + i];
	     i++) {
		unsigned char ch = b[NSSDBM_BLOB_NAME_OFF + i];
		if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '+' ||
		      ch == '-' || ch == '='))
			return -EXCISE_E_CORRUPT;
	}
	if (i == 0 || NSSDBM_BLOB_NAME_OFF + i >= rec->data_len || b[NSSDBM_BLOB_NAME_OFF + i])
		return -EXCISE_E_CORRUPT;
	*ret_size = (uint32_t)b[4] | (uint32_t)b[5] << 8 | (uint32_t)b[6] << 16 | (uint32_t)b[7] << 24;
	size_t dl = strlen(db_path);
	if (dl > 3 && !strcmp(db_path + dl - 3, ".db"))
		dl -= 3;
	char *path = malloc(dl + 5 + i + 1);
	if (!path)
		return -ENOMEM;
	memcpy(path, db_path, dl);
	memcpy(path + dl, ".dir/", 5);
	memcpy(path + dl + 5, b + NSSDBM_BLOB_NAME_OFF, i);
	path[dl + 5 + i] = 0;
	*ret_path = path;
	return 0;
}

int nssdbm_cert(const struct nssdbm_rec *rec, const char *name, struct nssdbm_cert *ret, struct excise_err *err)
{
	const unsigned char *d = rec->data;
	*ret = (struct nssdbm_cert){ 0 };
	if (rec->data_len < ENTRY_HEADER_LEN + CERT_HEADER_LEN)
		return err_set(err, -EXCISE_E_CORRUPT, "'%s': offset %" PRIu64 ": a certificate record of %zu bytes, "
			       "shorter than its header", name, rec->offset, rec->data_len);
	if ((d[0] != 7 && d[0] != 8) || d[1] != ENTRY_CERT)
		return err_set(err, -EXCISE_E_CORRUPT, "'%s': offset %" PRIu64 ": a certificate record of version %u, "
			       "type %u (7 or 8, type 1 expected)", name, rec->offset, d[0], d[1]);
	const unsigned char *c = d + ENTRY_HEADER_LEN;
	size_t body = rec->data_len - ENTRY_HEADER_LEN;
	size_t der = (size_t)c[6] << 8 | c[7], nn = (size_t)c[8] << 8 | c[9];
	if (body < CERT_HEADER_LEN + der + nn)
		return err_set(err, -EXCISE_E_CORRUPT, "'%s': offset %" PRIu64 ": a certificate record's DER (%zu "
			       "bytes) and nickname (%zu) run past its %zu bytes", name, rec->offset, der, nn, body);
	/* NSS keeps only the low 16 bits of a DER of 64 KiB and more: the rest is whole 64 KiB units */
	size_t extra = body - (CERT_HEADER_LEN + der + nn);
	if (extra & 0xffff)
		return err_set(err, -EXCISE_E_CORRUPT, "'%s': offset %" PRIu64 ": a certificate record of %zu bytes "
			       "does not add up to its DER (%zu) and nickname (%zu)", name, rec->offset, body, der, nn);
	der += extra;
	ret->ssl = (uint16_t)(c[0] << 8 | c[1]);
	ret->email = (uint16_t)(c[2] << 8 | c[3]);
	ret->code = (uint16_t)(c[4] << 8 | c[5]);
	ret->der = c + CERT_HEADER_LEN;
	ret->der_len = der;
	if (nn > 1) {
		ret->nick = (const char *)c + CERT_HEADER_LEN + der;
		ret->nick_len = strnlen(ret->nick, nn);
	}
	return 0;
}
