/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target for the X.509 name strings (lib/core/x509name.c) that every
 * certificate observation carries (cert_emit_x509: trust stores, registry blobs,
 * NSS databases) and the PE signer: subject and issuer as RFC 2253 UTF-8, their
 * CN, O, OU and C, and the certificate's SHA-256. Input: DER bytes, capped at 64
 * KiB, decoded as a certificate (as cert_emit_der does) and, whatever that gives,
 * as a bare X.509 name, so names of any string type are reached without a valid
 * certificate around them. Every string is read whole.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/x509.h>

#include "core/x509name.h"
#include "fuzz.h"

#define FUZZ_MAX_INPUT (64u << 10)

static size_t name_strings(const X509_NAME *name)
{
	static const int nids[] = { NID_commonName, NID_organizationName, NID_organizationalUnitName,
				    NID_countryName };
	size_t sum = 0;
	char *dn = x509_dn(name);
	if (!dn)
		__builtin_trap(); /* only out of memory gives NULL */
	sum += strlen(dn);
	free(dn);
	for (size_t i = 0; i < sizeof(nids) / sizeof(nids[0]); i++) {
		char *s = NULL;
		if (x509_name_entry(name, nids[i], &s) < 0)
			__builtin_trap();
		if (s)
			sum += strlen(s);
		free(s);
	}
	return sum;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0 || size > FUZZ_MAX_INPUT)
		return 0;
	size_t sum = 0;
	const unsigned char *q = data;
	X509 *x = d2i_X509(NULL, &q, (long)size);
	if (x) {
		const X509_NAME *subj = X509_get_subject_name(x), *iss = X509_get_issuer_name(x);
		if (subj)
			sum += name_strings(subj);
		if (iss)
			sum += name_strings(iss);
		unsigned char md[32];
		if (cert_sha256(x, md))
			sum += md[0];
		X509_free(x);
	}
	q = data;
	X509_NAME *n = d2i_X509_NAME(NULL, &q, (long)size);
	if (n) {
		sum += name_strings(n);
		X509_NAME_free(n);
	}
	ERR_clear_error();
	return sum == (size_t)-1;
}
