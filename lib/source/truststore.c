/* SPDX-License-Identifier: Apache-2.0 */
/*
 * source truststore: the certificates of the system trust store inside the
 * root. PEM bundles at the usual places, and the certificate directories
 * (PEM or DER files; hash links "<hash>.<n>" included). Each certificate gives
 * one CERT observation per file it sits in (NAME = subject CN, SUBJECT and
 * ISSUER = RFC 2253 DNs with UTF-8 kept, PUBLISHER = subject O, PATH = the
 * file, state "trusted"); a certificate repeated inside one file is reported
 * once for it. PEM blocks are cut out by lib/parse/pem.c and decoded one at a
 * time, so a corrupt block is reported (file, block index and byte offset) and
 * the rest still read. Observations are made by lib/source/certobs.c.
 * A symlink in a directory is a place of its own (removal needs it gone too).
 */
#include <dirent.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "core/limits.h"
#include "parse/pem.h"
#include "source/certobs.h"
#include "source/source.h"
#include "source/tree.h"

static const char *const bundles[] = {
	"/etc/ssl/certs/ca-certificates.crt",
	"/etc/pki/tls/certs/ca-bundle.crt",
	"/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",
	"/etc/ssl/ca-bundle.pem",
	"/etc/ssl/cert.pem",
};

static const struct {
	const char *path;
	bool recursive;
	bool hash_links; /* also "<hash>.<digit>" names */
} cert_dirs[] = {
	{ "/etc/ssl/certs", false, true },
	{ "/usr/local/share/ca-certificates", true, false },
	{ "/usr/share/ca-certificates", true, false },
	{ "/etc/pki/ca-trust/source/anchors", false, false },
	{ "/etc/pki/trust/anchors", false, false },
};

struct ts {
	struct source_ctx *ctx;
	bool found;
	const char *path;             /* the file being read */
	/* SHA-256 of the certificates seen in the current file */
	unsigned char (*fp)[32];
	size_t nfp, capfp;
};

static bool is_bundle(const char *path)
{
	for (size_t i = 0; i < ARRAY_SIZE(bundles); i++)
		if (strcmp(bundles[i], path) == 0)
			return true;
	return false;
}

/* Emit `x` unless the same certificate was already seen in this file. */
static int emit_cert(struct ts *t, X509 *x)
{
	unsigned char md[32];
	if (cert_sha256(x, md)) {
		for (size_t i = 0; i < t->nfp; i++)
			if (memcmp(t->fp[i], md, 32) == 0)
				return 0;
		if (t->nfp == t->capfp) {
			size_t nc = t->capfp ? t->capfp * 2 : 64;
			unsigned char(*q)[32] = realloc(t->fp, nc * sizeof(*q));
			if (!q)
				return -ENOMEM;
			t->fp = q;
			t->capfp = nc;
		}
		memcpy(t->fp[t->nfp++], md, 32);
	}
	return cert_emit_x509(t->ctx, x, t->path, "trusted", NULL, 0);
}

/* One PEM certificate block: decode it, or say which one is bad. */
static int on_block(void *ud, const struct pem_block *b)
{
	struct ts *t = ud;
	if (!b->complete) {
		source_item_error(t->ctx, EXCISE_E_CORRUPT, "'%s': certificate %zu (byte %zu): no END line",
				  t->path, b->index, b->offset);
		return 0;
	}
	if (b->len > (size_t)0x7fffffff) {
		source_item_error(t->ctx, EXCISE_E_TOOBIG, "'%s': certificate %zu: too large", t->path,
				  b->index);
		return 0;
	}
	BIO *bio = BIO_new_mem_buf(b->data, (int)b->len);
	if (!bio)
		return -ENOMEM;
	X509 *x = b->trusted ? PEM_read_bio_X509_AUX(bio, NULL, NULL, NULL)
			     : PEM_read_bio_X509(bio, NULL, NULL, NULL);
	BIO_free(bio);
	if (!x) {
		unsigned long ec = ERR_peek_last_error();
		char why[160] = "malformed PEM";
		if (ec)
			ERR_error_string_n(ec, why, sizeof(why));
		ERR_clear_error();
		source_item_error(t->ctx, EXCISE_E_CORRUPT,
				  "'%s': certificate %zu (byte %zu): cannot decode: %s", t->path,
				  b->index, b->offset, why);
		return 0;
	}
	int r = emit_cert(t, x);
	X509_free(x);
	return r;
}

static int count_block(void *ud, const struct pem_block *b)
{
	(void)ud, (void)b;
	return 0;
}

/* Parse all certificates of one file; returns < 0 only for -ENOMEM. */
static int parse_file(struct ts *t, const char *path, const char *data, size_t len, bool der_ok)
{
	t->nfp = 0;
	t->path = path;
	/* Count first, so an over-full bundle is said before its blocks' own errors. */
	size_t count = 0;
	int r = pem_cert_blocks(data, len, EXCISE_MAX_CERTS_PER_BUNDLE, count_block, NULL, &count);
	if (count > EXCISE_MAX_CERTS_PER_BUNDLE)
		source_item_error(t->ctx, EXCISE_E_LIMIT,
				  "'%s': more than %u certificates, only the first %u read", path,
				  EXCISE_MAX_CERTS_PER_BUNDLE, EXCISE_MAX_CERTS_PER_BUNDLE);
	if (count > 0)
		return pem_cert_blocks(data, len, EXCISE_MAX_CERTS_PER_BUNDLE, on_block, t, NULL);
	if (!der_ok || len == 0)
		return r;
	const unsigned char *q = (const unsigned char *)data;
	X509 *x = len <= 0x7fffffff ? d2i_X509(NULL, &q, (long)len) : NULL;
	if (!x) {
		ERR_clear_error();
		source_item_error(t->ctx, EXCISE_E_CORRUPT, "'%s': neither PEM nor a DER certificate",
				  path);
		return 0;
	}
	r = emit_cert(t, x);
	X509_free(x);
	return r;
}

static int read_cert_file(struct ts *t, const char *path, bool der_ok)
{
	_cleanup_free_ char *data = NULL;
	size_t len = 0;
	int r = root_read_file(source_root(t->ctx), path, EXCISE_MAX_PEM_BUNDLE_SIZE, &data, &len);
	if (r == -ENOENT || r == -ENOTDIR || r == -ELOOP)
		return 0; /* absent, or a dangling link */
	if (r == -EXCISE_E_TOOBIG) {
		source_item_error(t->ctx, EXCISE_E_TOOBIG, "'%s': larger than %u bytes (EXCISE_MAX_PEM_BUNDLE_SIZE), not read",
				  path, EXCISE_MAX_PEM_BUNDLE_SIZE);
		return 0;
	}
	if (r < 0) {
		if (r == -ENOMEM)
			return r;
		if (r != -EISDIR)
			source_item_error(t->ctx, r, "'%s': cannot read", path);
		return 0;
	}
	t->found = true;
	return parse_file(t, path, data, len, der_ok);
}

static bool hash_link_name(const char *n)
{
	/* 8 hex digits, '.', digits ("5ad8a5d6.0"); CRL links are "<hash>.r<n>". */
	size_t i;
	for (i = 0; i < 8; i++)
		if (!((n[i] >= '0' && n[i] <= '9') || (n[i] >= 'a' && n[i] <= 'f')))
			return false;
	if (n[8] != '.' || !n[9])
		return false;
	return strspn(n + 9, "0123456789") == strlen(n + 9);
}

static bool cert_ext(const char *n, bool *der_ok)
{
	size_t l = strlen(n);
	static const char *const ext[] = { ".pem", ".crt", ".cer", ".der" };
	for (size_t i = 0; i < ARRAY_SIZE(ext); i++)
		if (l > 4 && strcasecmp(n + l - 4, ext[i]) == 0) {
			*der_ok = i > 0;
			return true;
		}
	return false;
}

struct dir_walk {
	struct ts *t;
	bool recursive, hash_links;
};

static int on_dir_entry(void *ud, const struct walk_entry *e)
{
	struct dir_walk *d = ud;
	if (e->type == DT_DIR)
		return d->recursive && e->name[0] != '.' ? WALK_CONTINUE : WALK_SKIP;
	if (e->name[0] == '.' || is_bundle(e->path))
		return WALK_CONTINUE; /* hidden, or read as a bundle */
	bool der_ok = false;
	if (!cert_ext(e->name, &der_ok) && !(d->hash_links && hash_link_name(e->name)))
		return WALK_CONTINUE;
	return read_cert_file(d->t, e->path, der_ok);
}

static int read_dir(struct ts *t, const char *dir, bool recursive, bool hash_links)
{
	struct dir_walk d = { .t = t, .recursive = recursive, .hash_links = hash_links };
	bool found = false;
	int r = source_tree(t->ctx, dir, EXCISE_MAX_SOURCE_DEPTH, on_dir_entry, &d, &found);
	t->found |= found;
	return r;
}

static int run(struct source_ctx *ctx)
{
	struct ts t = { .ctx = ctx };
	int r = 0;
	for (size_t i = 0; r >= 0 && i < ARRAY_SIZE(bundles); i++)
		r = read_cert_file(&t, bundles[i], false);
	for (size_t i = 0; r >= 0 && i < ARRAY_SIZE(cert_dirs); i++)
		r = read_dir(&t, cert_dirs[i].path, cert_dirs[i].recursive, cert_dirs[i].hash_links);
	free(t.fp);
	if (r < 0)
		return source_fail(ctx, r, "trust store: %s", excise_strerror(r));
	return t.found ? 0 : -EXCISE_E_ABSENT;
}

const struct source source_truststore = {
	.name = "truststore",
	.platform = "linux",
	.description = "certificates in the system trust store (PEM bundles and certificate dirs)",
	.run = run,
};
