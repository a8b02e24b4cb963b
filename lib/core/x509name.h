/* SPDX-License-Identifier: Apache-2.0 */
/* x509name: the strings of an X.509 name that reports show, as UTF-8. */
#ifndef EXCISE_X509NAME_H
#define EXCISE_X509NAME_H

#include <openssl/x509.h>

#include "core/macro.h"

/* The whole name in RFC 2253 form, UTF-8 left unescaped ("CN=x,O=y,C=RU"); free() it.
 * NULL on OOM. */
char *x509_dn(const X509_NAME *name);

/* The first entry `nid` (NID_commonName, NID_organizationName...) as UTF-8 into *ret
 * (free() it); *ret is NULL when the entry is absent or cannot be decoded.
 * Returns 0 or -ENOMEM. */
NODISCARD int x509_name_entry(const X509_NAME *name, int nid, char **ret);

#endif
