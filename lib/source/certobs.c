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
#include "core/x509name.h"

int cert_emit_x509(struct source_ctx *ctx, X509 *x, const char *path, const char *state,
		   const struct excise_obs_attr *attrs, size_t n_attrs)
{
	const X509_NAME *subj = X509_get_subject_name(x);
	const X509_NAME *iss = X509_get_issuer_name(x);
	_cleanup_free_ char *cn = NULL, *org = NULL;
	if (subj && (x509_name_entry(subj, NID_commonName, &cn) < 0 ||
		     x509_name_entry(subj, NID_organizationName, &org) < 0))
		return -ENOMEM;
	_cleanup_free_ char *sdn = subj ? x509_dn(subj) : NULL;
	_cleanup_free_ char *idn = iss ? x509_dn(iss) : NULL;
	struct excise_obs_attr a[EXCISE_MAX_OBS_ATTRS];
	size_t n = 0;
	for (; n < n_attrs && n < ARRAY_SIZE(a) - 1; n++)
		a[n] = attrs[n];
	unsigned char md[32];
	char hex[65];
	if (cert_sha256(x, md)) {
		for (size_t i = 0; i < sizeof(md); i++)
			snprintf(hex + 2 * i, 3, "%02x", md[i]);
		a[n++] = (struct excise_obs_attr){ "sha256", hex };
	}
	struct excise_obs o = { .kind = EXCISE_OBS_CERT, .state = state, .active = true,
			 .attrs = a, .n_attrs = n };
	o.f[EXCISE_F_NAME] = cn;
	o.f[EXCISE_F_PATH] = path;
	o.f[EXCISE_F_PUBLISHER] = org;
	o.f[EXCISE_F_SUBJECT] = sdn;
	o.f[EXCISE_F_ISSUER] = idn;
	return source_emit(ctx, &o);
}

int cert_emit_der(struct source_ctx *ctx, const void *der, size_t len, const char *path,
		  const char *state, const struct excise_obs_attr *attrs, size_t n_attrs)
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
