/* SPDX-License-Identifier: Apache-2.0 */
/* pe: bounded reader of PE headers, the version resource and the Authenticode signer. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/pkcs7.h>
#include <openssl/x509.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/x509name.h"
#include "parse/pe.h"

#define CORRUPT(pe, err, ...) pe_err(pe, err, -EXCISE_E_CORRUPT, __VA_ARGS__)

#define DIR_RESOURCE 2
#define DIR_SECURITY 4
#define RT_VERSION 16
#define RES_DIR_HDR 16
#define RES_ENTRY 8
#define WIN_CERT_REVISION_2 0x0200
#define WIN_CERT_TYPE_PKCS_SIGNED_DATA 0x0002
#define VS_FIXED_SIGNATURE 0xFEEF04BDu
#define VS_FIXED_SIZE 52u

static uint16_t le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

PRINTF(4, 5)
static int pe_err(const struct pe_file *pe, struct excise_err *err, int code, const char *fmt, ...)
{
	char msg[EXCISE_ERR_MSG];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return err_set(err, code, "'%s': %s", pe->in.name, msg);
}

/* Read `len` bytes at file offset `off`, which must lie inside the file. */
static int pe_read(struct pe_file *pe, uint64_t off, void *buf, size_t len, const char *what,
		   struct excise_err *err)
{
	if (off > pe->in.size || len > pe->in.size - off)
		return CORRUPT(pe, err, "%s at offset 0x%llx (%zu bytes) past the end of the file (%llu bytes)",
			       what, (unsigned long long)off, len, (unsigned long long)pe->in.size);
	pe->bytes_read += len;
	int r = pe->in.read(pe->in.userdata, off, buf, len);
	if (r < 0)
		return pe_err(pe, err, r, "reading %s at offset 0x%llx: %s", what,
			      (unsigned long long)off, excise_strerror(r));
	return 0;
}

/* The file offset of `len` bytes at `rva`: they must lie in one section's raw data. */
static int rva_to_off(const struct pe_file *pe, uint32_t rva, size_t len, uint64_t *ret)
{
	for (unsigned i = 0; i < pe->n_sections; i++) {
		const struct pe_section *s = &pe->sec[i];
		uint32_t span = s->vsize && s->vsize < s->raw_size ? s->vsize : s->raw_size;
		if (rva < s->va || rva - s->va >= span)
			continue;
		if (len > span - (rva - s->va))
			return -EXCISE_E_CORRUPT;
		*ret = (uint64_t)s->raw_off + (rva - s->va);
		return 0;
	}
	return -EXCISE_E_CORRUPT;
}

static int read_rva(struct pe_file *pe, uint32_t rva, void *buf, size_t len, const char *what,
		    struct excise_err *err)
{
	uint64_t off;
	if (rva_to_off(pe, rva, len, &off) < 0)
		return CORRUPT(pe, err, "%s at RVA 0x%x (%zu bytes) is not inside a section's data",
			       what, rva, len);
	return pe_read(pe, off, buf, len, what, err);
}

/* ---- headers ---- */

static int read_sections(struct pe_file *pe, uint64_t off, struct excise_err *err)
{
	uint8_t t[EXCISE_MAX_PE_SECTIONS * 40];
	size_t n = (size_t)pe->n_sections * 40;
	int r = pe_read(pe, off, t, n, "section table", err);
	if (r < 0)
		return r;
	for (unsigned i = 0; i < pe->n_sections; i++) {
		const uint8_t *p = t + i * 40;
		struct pe_section *s = &pe->sec[i];
		memcpy(s->name, p, 8);
		s->name[8] = 0;
		s->vsize = le32(p + 8);
		s->va = le32(p + 12);
		s->raw_size = le32(p + 16);
		s->raw_off = le32(p + 20);
	}
	return 0;
}

int pe_open(const struct pe_reader *in, struct pe_file *pe, struct excise_err *err)
{
	*pe = (struct pe_file){ .in = *in };
	if (!pe->in.name)
		pe->in.name = "PE file";
	uint8_t dos[64];
	if (in->size < sizeof(dos))
		return CORRUPT(pe, err, "not a PE file: %llu bytes, shorter than a DOS header",
			       (unsigned long long)in->size);
	int r = pe_read(pe, 0, dos, sizeof(dos), "DOS header", err);
	if (r < 0)
		return r;
	if (dos[0] != 'M' || dos[1] != 'Z')
		return CORRUPT(pe, err, "not a PE file: no MZ signature at offset 0");
	uint32_t lfanew = le32(dos + 0x3c);
	uint64_t limit = in->size < EXCISE_MAX_PE_HEADER_SIZE ? in->size : EXCISE_MAX_PE_HEADER_SIZE;
	if ((uint64_t)lfanew + 24 > limit)
		return CORRUPT(pe, err, "e_lfanew 0x%x at offset 0x3c points past the %s (%llu bytes)",
			       lfanew, limit == in->size ? "end of the file" : "header limit",
			       (unsigned long long)limit);
	uint8_t nt[24];
	if ((r = pe_read(pe, lfanew, nt, sizeof(nt), "PE header", err)) < 0)
		return r;
	if (memcmp(nt, "PE\0\0", 4) != 0)
		return CORRUPT(pe, err, "no PE signature at offset 0x%x (e_lfanew)", lfanew);
	pe->machine = le16(nt + 4);
	unsigned n_sec = le16(nt + 6);
	unsigned opt_size = le16(nt + 20);
	pe->characteristics = le16(nt + 22);
	if (n_sec > EXCISE_MAX_PE_SECTIONS)
		return pe_err(pe, err, -EXCISE_E_LIMIT, "%u sections in the header at 0x%x, more than %u",
			      n_sec, lfanew, EXCISE_MAX_PE_SECTIONS);
	pe->n_sections = (uint16_t)n_sec;
	uint64_t opt_off = (uint64_t)lfanew + 24;
	uint64_t sec_off = opt_off + opt_size;
	uint64_t end = sec_off + (uint64_t)n_sec * 40;
	if (end > limit)
		return CORRUPT(pe, err, "section table (0x%llx to 0x%llx) past the %s (%llu bytes)",
			       (unsigned long long)sec_off, (unsigned long long)end,
			       limit == in->size ? "end of the file" : "header limit",
			       (unsigned long long)limit);
	if (opt_size < 2)
		return CORRUPT(pe, err, "optional header at 0x%llx: %u bytes, no magic",
			       (unsigned long long)opt_off, opt_size);
	uint8_t opt[240] = { 0 }; /* magic .. data directories of PE32+ */
	size_t want = opt_size < sizeof(opt) ? opt_size : sizeof(opt);
	if ((r = pe_read(pe, opt_off, opt, want, "optional header", err)) < 0)
		return r;
	uint16_t magic = le16(opt);
	if (magic != 0x10b && magic != 0x20b)
		return CORRUPT(pe, err, "optional header at 0x%llx: magic 0x%x is neither PE32 nor PE32+",
			       (unsigned long long)opt_off, magic);
	pe->pe32plus = magic == 0x20b;
	size_t nrva_at = pe->pe32plus ? 108 : 92, dd_at = nrva_at + 4;
	if (want >= dd_at) {
		uint32_t nrva = le32(opt + nrva_at);
		size_t room = (want - dd_at) / 8;
		pe->n_dirs = nrva < room ? nrva : (uint32_t)room;
		if (pe->n_dirs > 16)
			pe->n_dirs = 16;
		for (unsigned i = 0; i < pe->n_dirs; i++) {
			pe->dir[i].va = le32(opt + dd_at + i * 8);
			pe->dir[i].size = le32(opt + dd_at + i * 8 + 4);
		}
	}
	return read_sections(pe, sec_off, err);
}

/* ---- resources ---- */

/*
 * One level of the resource tree: the directory at `dir` (an offset into the
 * resource section) and, in it, the entry with id `id` (or the first entry when
 * id < 0). Returns its OffsetToData word in *ret.
 */
static int res_find(struct pe_file *pe, uint32_t base, uint32_t dir, long id, uint32_t *ret,
		    struct excise_err *err)
{
	uint8_t h[RES_DIR_HDR];
	if ((uint64_t)base + dir > UINT32_MAX)
		return CORRUPT(pe, err, "resource directory at offset 0x%x out of range", dir);
	int r = read_rva(pe, base + dir, h, sizeof(h), "resource directory", err);
	if (r < 0)
		return r;
	unsigned n = (unsigned)le16(h + 12) + le16(h + 14);
	if (n > EXCISE_MAX_PE_RESOURCE_ENTRIES)
		return pe_err(pe, err, -EXCISE_E_LIMIT,
			      "resource directory at offset 0x%x: %u entries, more than %u", dir, n,
			      EXCISE_MAX_PE_RESOURCE_ENTRIES);
	if (n == 0)
		return -EXCISE_E_ABSENT;
	unsigned first_id = le16(h + 12); /* named entries come first */
	uint8_t chunk[64 * RES_ENTRY];
	for (unsigned i = id < 0 ? 0 : first_id; i < n;) {
		unsigned k = n - i < 64 ? n - i : 64;
		uint64_t at = (uint64_t)base + dir + RES_DIR_HDR + (uint64_t)i * RES_ENTRY;
		if (at > UINT32_MAX)
			return CORRUPT(pe, err, "resource directory at offset 0x%x out of range", dir);
		if ((r = read_rva(pe, (uint32_t)at, chunk, k * RES_ENTRY, "resource entries", err)) < 0)
			return r;
		for (unsigned j = 0; j < k; j++) {
			uint32_t name = le32(chunk + j * RES_ENTRY);
			if (id < 0 || (!(name & 0x80000000u) && name == (uint32_t)id)) {
				*ret = le32(chunk + j * RES_ENTRY + 4);
				return 0;
			}
		}
		i += k;
	}
	return -EXCISE_E_ABSENT;
}

/* RT_VERSION -> first name -> first language: the data entry's RVA and size. */
static int find_version(struct pe_file *pe, uint32_t *ret_rva, uint32_t *ret_size,
			struct excise_err *err)
{
	if (pe->n_dirs <= DIR_RESOURCE || !pe->dir[DIR_RESOURCE].va || !pe->dir[DIR_RESOURCE].size)
		return -EXCISE_E_ABSENT;
	uint32_t base = pe->dir[DIR_RESOURCE].va;
	uint32_t visited[EXCISE_MAX_PE_RESOURCE_DEPTH];
	uint32_t off = 0;
	for (unsigned level = 0; level < EXCISE_MAX_PE_RESOURCE_DEPTH; level++) {
		for (unsigned i = 0; i < level; i++)
			if (visited[i] == off)
				return CORRUPT(pe, err,
					       "resource directory at offset 0x%x is its own ancestor (a loop)",
					       off);
		visited[level] = off;
		uint32_t word;
		int r = res_find(pe, base, off, level == 0 ? RT_VERSION : -1, &word, err);
		if (r < 0)
			return r;
		bool subdir = word & 0x80000000u;
		off = word & 0x7fffffffu;
		if (level + 1 < EXCISE_MAX_PE_RESOURCE_DEPTH && !subdir)
			return CORRUPT(pe, err, "version resource: level %u entry is data, not a directory",
				       level + 1);
		if (level + 1 == EXCISE_MAX_PE_RESOURCE_DEPTH && subdir) {
			for (unsigned i = 0; i <= level; i++)
				if (visited[i] == off)
					return CORRUPT(pe, err,
						       "resource directory at offset 0x%x is its own ancestor (a loop)",
						       off);
			return CORRUPT(pe, err, "version resource: more than %u directory levels",
				       EXCISE_MAX_PE_RESOURCE_DEPTH);
		}
	}
	uint8_t d[16];
	if ((uint64_t)base + off > UINT32_MAX)
		return CORRUPT(pe, err, "resource data entry at offset 0x%x out of range", off);
	int r = read_rva(pe, base + off, d, sizeof(d), "resource data entry", err);
	if (r < 0)
		return r;
	*ret_rva = le32(d);
	*ret_size = le32(d + 4);
	return 0;
}

/* ---- VS_VERSIONINFO ---- */

/* One node of the version tree: header, key, value and where its children start. */
struct vnode {
	size_t off, end;          /* [off, end) inside the buffer */
	uint16_t vlen, type;
	size_t key, key_len;      /* key at buffer[key], key_len UTF-16 units */
	size_t val, child;
};

static size_t align4(size_t x)
{
	return (x + 3) & ~(size_t)3;
}

static int vnode_at(const struct pe_file *pe, const uint8_t *b, size_t off, size_t end,
		    struct vnode *n, struct excise_err *err)
{
	if (end - off < 6)
		return CORRUPT(pe, err, "version resource: node at byte %zu: %zu bytes, no header", off,
			       end - off);
	size_t len = le16(b + off);
	if (len < 6 || len > end - off)
		return CORRUPT(pe, err,
			       "version resource: node at byte %zu: length %zu outside its parent (%zu bytes left)",
			       off, len, end - off);
	*n = (struct vnode){ .off = off, .end = off + len, .vlen = le16(b + off + 2),
			     .type = le16(b + off + 4), .key = off + 6 };
	size_t p = n->key;
	while (p + 2 <= n->end && le16(b + p))
		p += 2;
	if (p + 2 > n->end)
		return CORRUPT(pe, err, "version resource: node at byte %zu: key not terminated", off);
	n->key_len = (p - n->key) / 2;
	n->val = align4(p + 2);
	if (n->val > n->end)
		n->val = n->end;
	size_t vbytes = n->type == 1 ? (size_t)n->vlen * 2 : n->vlen;
	n->child = align4(n->val + (vbytes < n->end - n->val ? vbytes : n->end - n->val));
	if (n->child > n->end)
		n->child = n->end;
	return 0;
}

static bool key_is(const uint8_t *b, const struct vnode *n, const char *s)
{
	size_t l = strlen(s);
	if (n->key_len != l)
		return false;
	for (size_t i = 0; i < l; i++)
		if (le16(b + n->key + 2 * i) != (unsigned char)s[i])
			return false;
	return true;
}

static void put_utf8(struct buf *o, uint32_t c)
{
	char u[4];
	size_t k;
	if (c < 0x80) {
		u[0] = (char)c;
		k = 1;
	} else if (c < 0x800) {
		u[0] = (char)(0xC0 | c >> 6);
		u[1] = (char)(0x80 | (c & 0x3F));
		k = 2;
	} else if (c < 0x10000) {
		u[0] = (char)(0xE0 | c >> 12);
		u[1] = (char)(0x80 | ((c >> 6) & 0x3F));
		u[2] = (char)(0x80 | (c & 0x3F));
		k = 3;
	} else {
		u[0] = (char)(0xF0 | c >> 18);
		u[1] = (char)(0x80 | ((c >> 12) & 0x3F));
		u[2] = (char)(0x80 | ((c >> 6) & 0x3F));
		u[3] = (char)(0x80 | (c & 0x3F));
		k = 4;
	}
	buf_add(o, u, k);
}

/* UTF-16LE units [p, p + 2*n) up to a NUL, as UTF-8; lone surrogates become U+FFFD. */
static int utf16_to_utf8(const uint8_t *p, size_t n, char **ret)
{
	struct buf o;
	buf_init(&o, 0);
	for (size_t i = 0; i < n; i++) {
		uint32_t c = le16(p + 2 * i);
		if (c == 0)
			break;
		if (c >= 0xD800 && c < 0xDC00 && i + 1 < n) {
			uint32_t d = le16(p + 2 * i + 2);
			if (d >= 0xDC00 && d < 0xE000) {
				c = 0x10000 + ((c - 0xD800) << 10) + (d - 0xDC00);
				i++;
			}
		}
		if (c >= 0xD800 && c < 0xE000)
			c = 0xFFFD;
		put_utf8(&o, c);
	}
	return buf_take(&o, ret);
}

static const struct {
	const char *key;
	size_t off;
} string_keys[] = {
	{ "CompanyName", offsetof(struct pe_version, company_name) },
	{ "ProductName", offsetof(struct pe_version, product_name) },
	{ "FileDescription", offsetof(struct pe_version, file_description) },
	{ "FileVersion", offsetof(struct pe_version, file_version) },
	{ "ProductVersion", offsetof(struct pe_version, product_version) },
	{ "OriginalFilename", offsetof(struct pe_version, original_filename) },
	{ "InternalName", offsetof(struct pe_version, internal_name) },
	{ "LegalCopyright", offsetof(struct pe_version, legal_copyright) },
};

/* One String node of a StringTable: keep it when its key is one we want (first one wins). */
static int take_string(const uint8_t *b, const struct vnode *s, struct pe_version *v)
{
	for (size_t i = 0; i < ARRAY_SIZE(string_keys); i++) {
		if (!key_is(b, s, string_keys[i].key))
			continue;
		char **slot = (char **)((char *)v + string_keys[i].off);
		if (*slot)
			return 0;
		size_t units = (s->end - s->val) / 2;
		if (s->vlen < units)
			units = s->vlen;
		char *txt = NULL;
		int r = utf16_to_utf8(b + s->val, units, &txt);
		if (r < 0)
			return r;
		if (!txt[0]) {
			free(txt);
			return 0;
		}
		*slot = txt;
		return 0;
	}
	return 0;
}

/* Children of the node `parent`, one at a time: 1 with *c filled, 0 at the end. */
static int next_child(const struct pe_file *pe, const uint8_t *b, const struct vnode *parent,
		      size_t *pos, struct vnode *c, struct excise_err *err)
{
	if (*pos < parent->child)
		*pos = parent->child;
	if (*pos + 6 > parent->end)
		return 0;
	int r = vnode_at(pe, b, *pos, parent->end, c, err);
	if (r < 0)
		return r;
	*pos = align4(c->end); /* progress: every node is at least 6 bytes */
	return 1;
}

static int parse_string_file_info(const struct pe_file *pe, const uint8_t *b, const struct vnode *sfi,
				  struct pe_version *v, struct excise_err *err)
{
	size_t p1 = 0;
	struct vnode table, s;
	int r;
	while ((r = next_child(pe, b, sfi, &p1, &table, err)) > 0) {
		size_t p2 = 0;
		while ((r = next_child(pe, b, &table, &p2, &s, err)) > 0)
			if ((r = take_string(b, &s, v)) < 0)
				return r;
		if (r < 0)
			return r;
	}
	return r;
}

static int parse_version(const struct pe_file *pe, const uint8_t *b, size_t len, struct pe_version *v,
			 struct excise_err *err)
{
	struct vnode root, c;
	int r = vnode_at(pe, b, 0, len, &root, err);
	if (r < 0)
		return r;
	if (!key_is(b, &root, "VS_VERSION_INFO"))
		return CORRUPT(pe, err, "version resource: root key is not VS_VERSION_INFO");
	if (root.vlen >= VS_FIXED_SIZE && root.end - root.val >= VS_FIXED_SIZE &&
	    le32(b + root.val) == VS_FIXED_SIGNATURE) {
		const uint8_t *f = b + root.val;
		uint32_t fm = le32(f + 8), fl = le32(f + 12), pm = le32(f + 16), pl = le32(f + 20);
		v->file_ver[0] = (uint16_t)(fm >> 16), v->file_ver[1] = (uint16_t)fm;
		v->file_ver[2] = (uint16_t)(fl >> 16), v->file_ver[3] = (uint16_t)fl;
		v->product_ver[0] = (uint16_t)(pm >> 16), v->product_ver[1] = (uint16_t)pm;
		v->product_ver[2] = (uint16_t)(pl >> 16), v->product_ver[3] = (uint16_t)pl;
		v->has_fixed = true;
	}
	size_t pos = 0;
	while ((r = next_child(pe, b, &root, &pos, &c, err)) > 0)
		if (key_is(b, &c, "StringFileInfo") && (r = parse_string_file_info(pe, b, &c, v, err)) < 0)
			return r;
	return r;
}

int pe_read_version(struct pe_file *pe, struct pe_version *v, struct excise_err *err)
{
	*v = (struct pe_version){ 0 };
	uint32_t rva = 0, size = 0;
	int r = find_version(pe, &rva, &size, err);
	if (r < 0)
		return r;
	if (size > EXCISE_MAX_PE_VERSION_SIZE)
		return pe_err(pe, err, -EXCISE_E_TOOBIG, "version resource at RVA 0x%x: %u bytes, more than %u",
			      rva, size, EXCISE_MAX_PE_VERSION_SIZE);
	if (size < 6)
		return CORRUPT(pe, err, "version resource at RVA 0x%x: %u bytes", rva, size);
	uint8_t *b = malloc(size);
	if (!b)
		return -ENOMEM;
	r = read_rva(pe, rva, b, size, "version resource", err);
	if (r >= 0)
		r = parse_version(pe, b, size, v, err);
	free(b);
	if (r < 0) {
		if (r == -ENOMEM)
			err_set(err, r, "'%s': out of memory", pe->in.name);
		pe_version_done(v);
		return r;
	}
	return 0;
}

void pe_version_done(struct pe_version *v)
{
	for (size_t i = 0; i < ARRAY_SIZE(string_keys); i++) {
		char **slot = (char **)((char *)v + string_keys[i].off);
		free(*slot);
		*slot = NULL;
	}
}

/* ---- Authenticode ---- */

static int fill_signer(X509 *x, struct pe_signer *s)
{
	const X509_NAME *subj = X509_get_subject_name(x), *iss = X509_get_issuer_name(x);
	int r = 0;
	if (subj) {
		if ((r = x509_name_entry(subj, NID_commonName, &s->cn)) < 0 ||
		    (r = x509_name_entry(subj, NID_organizationName, &s->org)) < 0)
			return r;
		if (!(s->subject = x509_dn(subj)))
			return -ENOMEM;
	}
	if (iss && !(s->issuer = x509_dn(iss)))
		return -ENOMEM;
	BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
	if (bn) {
		char *h = BN_bn2hex(bn);
		BN_free(bn);
		if (!h)
			return -ENOMEM;
		s->serial = strdup(h);
		OPENSSL_free(h);
		if (!s->serial)
			return -ENOMEM;
		for (char *p = s->serial; *p; p++)
			if (*p >= 'A' && *p <= 'F')
				*p = (char)(*p - 'A' + 'a');
	}
	return 0;
}

static int openssl_corrupt(const struct pe_file *pe, struct excise_err *err, uint64_t off,
			   const char *what)
{
	unsigned long ec = ERR_peek_last_error();
	char why[160] = "malformed";
	if (ec)
		ERR_error_string_n(ec, why, sizeof(why));
	ERR_clear_error();
	return CORRUPT(pe, err, "certificate at offset 0x%llx: %s: %s", (unsigned long long)off, what, why);
}

/* Decode one WIN_CERTIFICATE's PKCS#7 SignedData and name its signer. */
static int decode_pkcs7(const struct pe_file *pe, const uint8_t *der, size_t len, uint64_t off,
			struct pe_signer *s, struct excise_err *err)
{
	const unsigned char *q = der;
	PKCS7 *p7 = d2i_PKCS7(NULL, &q, (long)len);
	if (!p7)
		return openssl_corrupt(pe, err, off, "not PKCS#7");
	int r = 0;
	STACK_OF(PKCS7_SIGNER_INFO) *sis = NULL;
	if (!PKCS7_type_is_signed(p7) || !p7->d.sign) {
		r = CORRUPT(pe, err, "certificate at offset 0x%llx: PKCS#7 is not SignedData",
			    (unsigned long long)off);
		goto out;
	}
	sis = PKCS7_get_signer_info(p7);
	PKCS7_SIGNER_INFO *si = sis && sk_PKCS7_SIGNER_INFO_num(sis) > 0 ? sk_PKCS7_SIGNER_INFO_value(sis, 0)
									  : NULL;
	if (!si || !si->issuer_and_serial) {
		r = CORRUPT(pe, err, "certificate at offset 0x%llx: SignedData has no signer",
			    (unsigned long long)off);
		goto out;
	}
	STACK_OF(X509) *certs = p7->d.sign->cert;
	s->n_certs = certs ? (size_t)sk_X509_num(certs) : 0;
	X509 *x = certs ? X509_find_by_issuer_and_serial(certs, si->issuer_and_serial->issuer,
							   si->issuer_and_serial->serial)
			: NULL;
	if (!x) {
		r = CORRUPT(pe, err,
			    "certificate at offset 0x%llx: the signer's certificate is not in the signature",
			    (unsigned long long)off);
		goto out;
	}
	r = fill_signer(x, s);
out:
	PKCS7_free(p7);
	ERR_clear_error();
	return r;
}

int pe_read_signer(struct pe_file *pe, struct pe_signer *s, struct excise_err *err)
{
	*s = (struct pe_signer){ 0 };
	if (pe->n_dirs <= DIR_SECURITY || !pe->dir[DIR_SECURITY].va || !pe->dir[DIR_SECURITY].size)
		return -EXCISE_E_ABSENT;
	uint64_t off = pe->dir[DIR_SECURITY].va; /* a file offset, unlike every other directory */
	uint32_t size = pe->dir[DIR_SECURITY].size;
	if (size > EXCISE_MAX_PE_CERT_TABLE_SIZE)
		return pe_err(pe, err, -EXCISE_E_TOOBIG,
			      "certificate table at offset 0x%llx: %u bytes, more than %u",
			      (unsigned long long)off, size, EXCISE_MAX_PE_CERT_TABLE_SIZE);
	if (off > pe->in.size || size > pe->in.size - off)
		return CORRUPT(pe, err, "certificate table at offset 0x%llx (%u bytes) past the end of the file",
			       (unsigned long long)off, size);
	if (size < 8)
		return CORRUPT(pe, err, "certificate table at offset 0x%llx: %u bytes", (unsigned long long)off,
			       size);
	uint8_t *t = malloc(size);
	if (!t)
		return -ENOMEM;
	int r = pe_read(pe, off, t, size, "certificate table", err);
	size_t pos = 0;
	bool found = false;
	while (r >= 0 && !found && size - pos >= 8) {
		uint32_t len = le32(t + pos);
		uint16_t rev = le16(t + pos + 4), type = le16(t + pos + 6);
		if (len < 8 || len > size - pos) {
			r = CORRUPT(pe, err, "certificate at offset 0x%llx: length %u outside the table",
				    (unsigned long long)(off + pos), len);
			break;
		}
		if (rev == WIN_CERT_REVISION_2 && type == WIN_CERT_TYPE_PKCS_SIGNED_DATA) {
			r = decode_pkcs7(pe, t + pos + 8, len - 8, off + pos, s, err);
			found = true;
		}
		/* Entries are 8-byte aligned, but the last one may end unpadded at the table's end. */
		size_t step = ((size_t)len + 7) & ~(size_t)7;
		pos = step < size - pos ? pos + step : size;
	}
	free(t);
	if (r >= 0 && !found)
		r = CORRUPT(pe, err, "certificate table at offset 0x%llx: no PKCS#7 SignedData entry",
			    (unsigned long long)off);
	if (r < 0) {
		if (r == -ENOMEM)
			err_set(err, r, "'%s': out of memory", pe->in.name);
		pe_signer_done(s);
	}
	return r;
}

void pe_signer_done(struct pe_signer *s)
{
	free(s->cn);
	free(s->org);
	free(s->subject);
	free(s->issuer);
	free(s->serial);
	*s = (struct pe_signer){ 0 };
}
