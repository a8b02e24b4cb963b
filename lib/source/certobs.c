/* SPDX-License-Identifier: Apache-2.0 */
/* certobs: certificates as observations (see certobs.h). */
#include "source/certobs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>

#include "core/limits.h"

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

bool cert_sha256(X509 *x, unsigned char out[32])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	if (X509_digest(x, EVP_sha256(), md, &mdlen) != 1 || mdlen != 32)
		return false;
	memcpy(out, md, 32);
	return true;
}

int cert_emit_x509(struct source_ctx *ctx, X509 *x, const char *path, const char *state,
		   const struct obs_attr *attrs, size_t n_attrs)
{
	const X509_NAME *subj = X509_get_subject_name(x);
	const X509_NAME *iss = X509_get_issuer_name(x);
	_cleanup_free_ char *cn = subj ? name_entry(subj, NID_commonName) : NULL;
	_cleanup_free_ char *org = subj ? name_entry(subj, NID_organizationName) : NULL;
	_cleanup_free_ char *sdn = subj ? dn_string(subj) : NULL;
	_cleanup_free_ char *idn = iss ? dn_string(iss) : NULL;
	struct obs_attr a[EXCISE_MAX_OBS_ATTRS];
	size_t n = 0;
	for (; n < n_attrs && n < ARRAY_SIZE(a) - 1; n++)
		a[n] = attrs[n];
	unsigned char md[32];
	char hex[65];
	if (cert_sha256(x, md)) {
		for (size_t i = 0; i < sizeof(md); i++)
			snprintf(hex + 2 * i, 3, "%02x", md[i]);
		a[n++] = (struct obs_attr){ "sha256", hex };
	}
	struct obs o = { .kind = EXCISE_OBS_CERT, .state = state, .active = true,
			 .attrs = a, .n_attrs = n };
	o.f[EXCISE_F_NAME] = cn;
	o.f[EXCISE_F_PATH] = path;
	o.f[EXCISE_F_PUBLISHER] = org;
	o.f[EXCISE_F_SUBJECT] = sdn;
	o.f[EXCISE_F_ISSUER] = idn;
	return source_emit(ctx, &o);
}

int cert_emit_der(struct source_ctx *ctx, const void *der, size_t len, const char *path,
		  const char *state, const struct obs_attr *attrs, size_t n_attrs)
{
	const unsigned char *q = der;
	X509 *x = len > 0 && len <= 0x7fffffff ? d2i_X509(NULL, &q, (long)len) : NULL;
	if (!x) {
		ERR_clear_error();
		return -EXCISE_E_CORRUPT;
	}
	int r = cert_emit_x509(ctx, x, path, state, attrs, n_attrs);
	X509_free(x);
	return r;
}
