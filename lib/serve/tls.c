/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tls: the collector's certificate and key (include/excise/serve.h): a
 * self-signed pair made with OpenSSL for the first start, and a pair read from
 * files and checked to belong together before a server is given it (a reload
 * with a wrong key is refused while the old pair goes on serving).
 */
#include "excise/serve.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "core/root.h"
#include "core/err.h"
#include "core/limits.h"
#include "core/macro.h"
#include "excise/output.h"

#define CERT_DAYS 825 /* the longest validity current clients accept for a server certificate */

static int ossl_fail(struct excise_err *err, const char *what)
{
	char e[256] = "";
	unsigned long code = ERR_get_error();
	if (code)
		ERR_error_string_n(code, e, sizeof(e));
	ERR_clear_error();
	return err_set(err, -EXCISE_E_UNSUPPORTED, "%s: %s", what, e[0] ? e : "OpenSSL failed");
}

/* A DNS name as a SAN may carry one: letters, digits, '-' and '.', at most 253 bytes. */
static bool dns_name(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > 253 || s[0] == '.' || s[0] == '-')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9') ||
		      s[i] == '-' || s[i] == '.'))
			return false;
	return true;
}

static bool add_ext(X509 *x, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
	X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	if (!e)
		return false;
	bool ok = X509_add_ext(x, e, -1) == 1;
	X509_EXTENSION_free(e);
	return ok;
}

static char *bio_text(BIO *b)
{
	char *p = NULL;
	long n = BIO_get_mem_data(b, &p);
	char *t = n > 0 ? malloc((size_t)n + 1) : NULL; /* the BIO's bytes end with no NUL */
	if (t) {
		memcpy(t, p, (size_t)n);
		t[n] = '\0';
	}
	return t;
}

int excise_serve_cert_generate(const char *cert_file, const char *key_file, const char *hostname,
			       struct excise_err *err)
{
	int r = 0;
	EVP_PKEY *pk = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	BIGNUM *bn = BN_new();
	BIO *cb = BIO_new(BIO_s_mem()), *kb = BIO_new(BIO_s_mem());
	char *cert = NULL, *key = NULL;
	if (!pk || !x || !bn || !cb || !kb) {
		r = ossl_fail(err, "making a key pair");
		goto out;
	}
	char san[600] = "DNS:localhost,IP:127.0.0.1";
	const char *cn = "localhost";
	if (hostname && dns_name(hostname) && strcmp(hostname, "localhost") != 0) {
		snprintf(san, sizeof(san), "DNS:%s,DNS:localhost,IP:127.0.0.1", hostname);
		cn = hostname;
	}
	X509_NAME *name = X509_get_subject_name(x);
	if (!X509_set_version(x, 2) || !BN_rand(bn, 127, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) ||
	    !BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) || !X509_gmtime_adj(X509_getm_notBefore(x), -3600) ||
	    !X509_gmtime_adj(X509_getm_notAfter(x), (long)CERT_DAYS * 86400) || !X509_set_pubkey(x, pk) ||
	    !X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, (const unsigned char *)"excise collector", -1, -1, 0) ||
	    !X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0) ||
	    !X509_set_issuer_name(x, name) ||
	    /* its own trust anchor: agents are given it with excise enroll --ca (or pin its key) */
	    !add_ext(x, NID_basic_constraints, "critical,CA:TRUE,pathlen:0") ||
	    !add_ext(x, NID_key_usage, "critical,digitalSignature,keyCertSign") ||
	    !add_ext(x, NID_ext_key_usage, "serverAuth") || !add_ext(x, NID_subject_key_identifier, "hash") ||
	    !add_ext(x, NID_subject_alt_name, san) || !X509_sign(x, pk, EVP_sha256()) ||
	    !PEM_write_bio_X509(cb, x) || !PEM_write_bio_PrivateKey(kb, pk, NULL, NULL, 0, NULL, NULL) ||
	    !(cert = bio_text(cb)) || !(key = bio_text(kb))) {
		r = ossl_fail(err, "making a self-signed certificate");
		goto out;
	}
	/* the key first: a certificate is never there without its key */
	r = excise_output_write(key_file, 0600, key, strlen(key), err);
	if (r == 0)
		r = excise_output_write(cert_file, 0644, cert, strlen(cert), err);
out:
	if (key)
		explicit_bzero(key, strlen(key));
	free(key);
	free(cert);
	BIO_free(cb);
	BIO_free(kb);
	BN_free(bn);
	X509_free(x);
	EVP_PKEY_free(pk);
	return r;
}

/* A whole PEM file into a string (at most EXCISE_MAX_SERVE_PEM bytes). */
static int read_pem(const char *path, char **ret, struct excise_err *err)
{
	size_t len = 0;
	int r = read_host_file("PEM file", path, EXCISE_MAX_SERVE_PEM, ret, &len, err);
	if (r == 0 && strlen(*ret) != len) {
		free(*ret);
		*ret = NULL;
		return err_set(err, -EXCISE_E_CORRUPT, "'%s': a NUL byte in a PEM file", path);
	}
	return r;
}

int excise_serve_pem_pair(const char *cert_file, const char *key_file, char **ret_cert, char **ret_key,
			  struct excise_err *err)
{
	*ret_cert = *ret_key = NULL;
	char *cert = NULL, *key = NULL;
	int r = read_pem(cert_file, &cert, err);
	if (r == 0)
		r = read_pem(key_file, &key, err);
	if (r < 0)
		goto fail;
	BIO *cb = BIO_new_mem_buf(cert, -1), *kb = BIO_new_mem_buf(key, -1);
	X509 *x = cb ? PEM_read_bio_X509(cb, NULL, NULL, NULL) : NULL;
	EVP_PKEY *pk = kb ? PEM_read_bio_PrivateKey(kb, NULL, NULL, NULL) : NULL;
	if (!x)
		r = ossl_fail(err, cert_file);
	else if (!pk)
		r = ossl_fail(err, key_file);
	else if (X509_check_private_key(x, pk) != 1)
		r = err_set(err, -EXCISE_E_CORRUPT, "'%s' is not the key of the certificate '%s'", key_file, cert_file);
	ERR_clear_error();
	X509_free(x);
	EVP_PKEY_free(pk);
	BIO_free(cb);
	BIO_free(kb);
	if (r < 0)
		goto fail;
	*ret_cert = cert;
	*ret_key = key;
	return 0;
fail:
	if (key)
		explicit_bzero(key, strlen(key));
	free(key);
	free(cert);
	return r;
}
