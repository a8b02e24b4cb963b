/* SPDX-License-Identifier: Apache-2.0 */
/*
 * certobs: one CERT observation per certificate, for every source that holds
 * certificates (trust-store files, registry certificate blobs, NSS databases).
 * NAME = subject CN, PUBLISHER = subject O, SUBJECT and ISSUER = RFC 2253 DNs
 * with UTF-8 kept, PATH = where it sits; attrs: the caller's, then "sha256".
 */
#ifndef EXCISE_SOURCE_CERTOBS_H
#define EXCISE_SOURCE_CERTOBS_H

#include <openssl/x509.h>

#include "core/x509name.h"
#include "source/source.h"

/* Emit `x`. Returns 0 or -ENOMEM. */
NODISCARD int cert_emit_x509(struct source_ctx *ctx, X509 *x, const char *path, const char *state,
			     const struct excise_obs_attr *attrs, size_t n_attrs);

/* Decode `len` bytes of DER and emit them. Returns 0, -ENOMEM, or -EXCISE_E_CORRUPT
 * when the bytes are not one DER certificate (the caller reports where). */
NODISCARD int cert_emit_der(struct source_ctx *ctx, const void *der, size_t len, const char *path,
			    const char *state, const struct excise_obs_attr *attrs, size_t n_attrs);

#endif
