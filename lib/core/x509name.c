/* SPDX-License-Identifier: Apache-2.0 */
/* x509name: X.509 names as UTF-8 strings, certificate digests (see x509name.h). */
#include "core/x509name.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/evp.h>

char *x509_dn(const X509_NAME *name)
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

int x509_name_entry(const X509_NAME *name, int nid, char **ret)
{
	*ret = NULL;
	int i = X509_NAME_get_index_by_NID(name, nid, -1);
	if (i < 0)
		return 0;
	unsigned char *u = NULL;
	int n = ASN1_STRING_to_UTF8(&u, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i)));
	if (n < 0)
		return 0; /* an undecodable string: left out */
	*ret = strndup((const char *)u, (size_t)n);
	OPENSSL_free(u);
	return *ret ? 0 : -ENOMEM;
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
