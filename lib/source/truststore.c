/* SPDX-License-Identifier: Apache-2.0 */
/*
 * source truststore: the certificates of the system trust store inside the
 * root. PEM bundles at the usual places, and the certificate directories
 * (PEM or DER files; hash links "<hash>.<n>" included). Each certificate gives
 * one CERT observation per file it sits in (NAME = subject CN, SUBJECT and
 * ISSUER = RFC 2253 DNs with UTF-8 kept, PUBLISHER = subject O, PATH = the
 * file, state "trusted"); a certificate repeated inside one file is reported
 * once for it. PEM blocks are cut out by hand and decoded one at a time, so a
 * corrupt block is reported (file and block index) and the rest still read.
 * A symlink in a directory is a place of its own (removal needs it gone too).
 */
#include <dirent.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "core/limits.h"
#include "source/source.h"

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

#define PEM_BEGIN "-----BEGIN "
#define PEM_DASHES "-----"

struct ts {
	struct source_ctx *ctx;
	bool found;
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

/* A DN in RFC 2253 form with UTF-8 left as is; NULL on failure. */
static char *dn_string(const X509_NAME *name)
{
	BIO *b = BIO_new(BIO_s_mem());
	if (!b)
		return NULL;
	char *out = NULL;
	if (X509_NAME_print_ex(b, name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) >= 0) {
		char *p = NULL;
		long n = BIO_get_mem_data(b, &p);
		/* The BIO's bytes are not NUL-terminated: copy exactly n of them. */
		out = n >= 0 ? malloc((size_t)n + 1) : NULL;
		if (out) {
			if (n > 0)
				memcpy(out, p, (size_t)n);
			out[n] = 0;
		}
	}
	BIO_free(b);
	return out;
}

/* The first entry of `nid` in `name` as UTF-8; NULL when absent. */
static char *name_entry(const X509_NAME *name, int nid)
{
	int i = X509_NAME_get_index_by_NID(name, nid, -1);
	if (i < 0)
		return NULL;
	const X509_NAME_ENTRY *e = X509_NAME_get_entry(name, i);
	unsigned char *u = NULL;
	int n = ASN1_STRING_to_UTF8(&u, X509_NAME_ENTRY_get_data(e));
	if (n < 0)
		return NULL;
	char *s = strndup((const char *)u, (size_t)n);
	OPENSSL_free(u);
	return s;
}

static int emit_cert(struct ts *t, X509 *x, const char *path)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	if (X509_digest(x, EVP_sha256(), md, &mdlen) == 1 && mdlen == 32) {
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
	const X509_NAME *subj = X509_get_subject_name(x);
	const X509_NAME *iss = X509_get_issuer_name(x);
	_cleanup_free_ char *cn = subj ? name_entry(subj, NID_commonName) : NULL;
	_cleanup_free_ char *org = subj ? name_entry(subj, NID_organizationName) : NULL;
	_cleanup_free_ char *sdn = subj ? dn_string(subj) : NULL;
	_cleanup_free_ char *idn = iss ? dn_string(iss) : NULL;
	struct obs o = { .kind = EXCISE_OBS_CERT, .state = "trusted", .active = true };
	o.f[EXCISE_F_NAME] = cn;
	o.f[EXCISE_F_PATH] = path;
	o.f[EXCISE_F_PUBLISHER] = org;
	o.f[EXCISE_F_SUBJECT] = sdn;
	o.f[EXCISE_F_ISSUER] = idn;
	return source_emit(t->ctx, &o);
}

/*
 * Walk the certificate PEM blocks of one file. With `decode` false only counts
 * them (returned in *ret_count); with it, decodes the first `max` and reports
 * each bad one. Returns < 0 only for -ENOMEM.
 */
static int pem_blocks(struct ts *t, const char *path, const char *data, size_t len, bool decode,
		      size_t max, size_t *ret_count)
{
	const char *p = data, *end = data + len;
	size_t index = 0;
	int r = 0;
	while (p < end && index < max) {
		const char *b = memmem(p, (size_t)(end - p), PEM_BEGIN, strlen(PEM_BEGIN));
		if (!b)
			break;
		const char *label = b + strlen(PEM_BEGIN);
		const char *le = memmem(label, (size_t)(end - label), PEM_DASHES, strlen(PEM_DASHES));
		if (!le)
			break;
		if (memchr(label, '\n', (size_t)(le - label))) {
			p = label;
			continue; /* not a BEGIN line */
		}
		size_t ll = (size_t)(le - label);
		bool cert = ll == 11 && memcmp(label, "CERTIFICATE", 11) == 0;
		bool trusted = ll == 19 && memcmp(label, "TRUSTED CERTIFICATE", 19) == 0;
		bool x509 = ll == 16 && memcmp(label, "X509 CERTIFICATE", 16) == 0;
		/* The matching END line. */
		char endline[64];
		int k = snprintf(endline, sizeof(endline), "-----END %.*s-----", (int)(ll < 40 ? ll : 40),
				 label);
		if (k < 0 || (size_t)k >= sizeof(endline))
			break;
		const char *e = memmem(le, (size_t)(end - le), endline, (size_t)k);
		if (!cert && !trusted && !x509) {
			p = e ? e + k : end;
			continue; /* keys, CRLs...: not certificates */
		}
		index++;
		if (!e) {
			if (decode)
				source_item_error(t->ctx, EXCISE_E_CORRUPT,
						  "'%s': certificate %zu (byte %zu): no END line", path,
						  index, (size_t)(b - data));
			break;
		}
		const char *stop = e + k;
		if (stop < end && *stop == '\r')
			stop++;
		if (stop < end && *stop == '\n')
			stop++;
		p = stop;
		if (!decode)
			continue;
		if ((size_t)(stop - b) > (size_t)0x7fffffff) {
			source_item_error(t->ctx, EXCISE_E_TOOBIG, "'%s': certificate %zu: too large",
					  path, index);
			continue;
		}
		BIO *bio = BIO_new_mem_buf(b, (int)(stop - b));
		if (!bio)
			return -ENOMEM;
		X509 *x = trusted ? PEM_read_bio_X509_AUX(bio, NULL, NULL, NULL)
				  : PEM_read_bio_X509(bio, NULL, NULL, NULL);
		BIO_free(bio);
		if (!x) {
			unsigned long ec = ERR_peek_last_error();
			char why[160] = "malformed PEM";
			if (ec)
				ERR_error_string_n(ec, why, sizeof(why));
			ERR_clear_error();
			source_item_error(t->ctx, EXCISE_E_CORRUPT,
					  "'%s': certificate %zu (byte %zu): cannot decode: %s", path,
					  index, (size_t)(b - data), why);
			continue;
		}
		r = emit_cert(t, x, path);
		X509_free(x);
		if (r < 0)
			return r;
	}
	*ret_count = index;
	return 0;
}

/* Parse all certificates of one file; returns < 0 only for -ENOMEM. */
static int parse_file(struct ts *t, const char *path, const char *data, size_t len, bool der_ok)
{
	t->nfp = 0;
	size_t count = 0;
	int r = pem_blocks(t, path, data, len, false, (size_t)EXCISE_MAX_CERTS_PER_BUNDLE + 1, &count);
	if (r < 0)
		return r;
	if (count > EXCISE_MAX_CERTS_PER_BUNDLE)
		source_item_error(t->ctx, EXCISE_E_LIMIT,
				  "'%s': more than %u certificates, only the first %u read", path,
				  EXCISE_MAX_CERTS_PER_BUNDLE, EXCISE_MAX_CERTS_PER_BUNDLE);
	if (count > 0)
		return pem_blocks(t, path, data, len, true, EXCISE_MAX_CERTS_PER_BUNDLE, &count);
	if (!der_ok || len == 0)
		return 0;
	const unsigned char *q = (const unsigned char *)data;
	X509 *x = len <= 0x7fffffff ? d2i_X509(NULL, &q, (long)len) : NULL;
	if (!x) {
		ERR_clear_error();
		source_item_error(t->ctx, EXCISE_E_CORRUPT, "'%s': neither PEM nor a DER certificate",
				  path);
		return 0;
	}
	r = emit_cert(t, x, path);
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
		source_item_error(t->ctx, EXCISE_E_TOOBIG, "'%s': larger than %u bytes, not read",
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

static int read_dir(struct ts *t, const char *dir, bool recursive, bool hash_links, unsigned depth)
{
	const struct root *root = source_root(t->ctx);
	DIR *d = NULL;
	int r = root_opendir(root, dir, &d);
	if (r < 0) {
		if (r != -ENOENT && r != -ENOTDIR)
			source_item_error(t->ctx, r, "'%s': cannot list", dir);
		return r == -ENOMEM ? r : 0;
	}
	t->found = true;
	struct dirent *e;
	r = 0;
	while (r >= 0 && (e = readdir(d))) {
		const char *n = e->d_name;
		if (n[0] == '.')
			continue;
		_cleanup_free_ char *path = path_join(dir, n);
		if (!path) {
			r = -ENOMEM;
			break;
		}
		struct stat st;
		if (root_lstat(root, path, &st) < 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			if (!recursive)
				continue;
			if (depth >= EXCISE_MAX_SOURCE_DEPTH) {
				source_item_error(t->ctx, EXCISE_E_LIMIT,
						  "'%s': more than %u directory levels, not read", path,
						  EXCISE_MAX_SOURCE_DEPTH);
				continue;
			}
			r = read_dir(t, path, recursive, hash_links, depth + 1);
			continue;
		}
		if (is_bundle(path))
			continue; /* read as a bundle */
		bool der_ok = false;
		if (!cert_ext(n, &der_ok) && !(hash_links && hash_link_name(n)))
			continue;
		r = read_cert_file(t, path, der_ok);
	}
	closedir(d);
	return r;
}

static int run(struct source_ctx *ctx)
{
	struct ts t = { .ctx = ctx };
	int r = 0;
	for (size_t i = 0; r >= 0 && i < ARRAY_SIZE(bundles); i++)
		r = read_cert_file(&t, bundles[i], false);
	for (size_t i = 0; r >= 0 && i < ARRAY_SIZE(cert_dirs); i++)
		r = read_dir(&t, cert_dirs[i].path, cert_dirs[i].recursive, cert_dirs[i].hash_links, 0);
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
