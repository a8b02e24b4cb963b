/* SPDX-License-Identifier: Apache-2.0 */
/* x509name: the strings of an X.509 name that reports show, as UTF-8, and the
 * certificate's SHA-256 that names it in reports and trust stores. */
#ifndef EXCISE_X509NAME_H
#define EXCISE_X509NAME_H

#include <stdbool.h>

#include <openssl/x509.h>

#include "core/macro.h"

/* The whole name in RFC 2253 form, UTF-8 left unescaped ("CN=x,O=y,C=RU"); free() it.
 * NULL on OOM. */
char *x509_dn(const X509_NAME *name);

/* The first entry `nid` (NID_commonName, NID_organizationName...) as UTF-8 into *ret
 * (free() it); *ret is NULL when the entry is absent or cannot be decoded.
 * Returns 0 or -ENOMEM. */
NODISCARD int x509_name_entry(const X509_NAME *name, int nid, char **ret);

/* SHA-256 of the DER encoding into out[32]; false when it cannot be computed. */
bool cert_sha256(X509 *x, unsigned char out[32]);

#endif
