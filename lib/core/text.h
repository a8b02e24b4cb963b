/* SPDX-License-Identifier: Apache-2.0 */
/* text: small string helpers shared by parsers and writers. */
#ifndef EXCISE_TEXT_H
#define EXCISE_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

/* True when `len` bytes of `s` are valid UTF-8 (no overlongs, no surrogates). */
bool utf8_valid(const char *s, size_t len);

/* Append `s` to `b` as valid UTF-8: each invalid byte becomes U+FFFD. */
void utf8_sanitize(struct buf *b, const char *s, size_t len);

/* Append lowercase hex of `len` bytes. */
void hex_append(struct buf *b, const void *p, size_t len);

/* Lowercase hex (`hlen` digits) back into a malloc'd NUL-terminated copy of the bytes.
 * Returns 0, -EINVAL (odd length, not lowercase hex) or -ENOMEM. */
int hex_decode(const char *h, size_t hlen, char **ret, size_t *ret_len);

/* ASCII lowercase copy into `out` (at least len bytes). */
void ascii_lower(char *out, const char *s, size_t len);

/* Strip ASCII white space on both ends, in place; returns s. */
char *strip(char *s);

/* A random UUID v4 into out[37]. Returns 0 or -errno. */
int uuid_v4(char out[37]);

/* RFC 3339 UTC with milliseconds ("2026-11-22T09:14:03.512Z") into out[32]. */
void time_rfc3339(int64_t ns, char out[32]);

/* Duplicate or NULL (strdup that passes NULL through). Sets *err to -ENOMEM on failure. */
char *strdup_or_null(const char *s, int *err);

#endif
