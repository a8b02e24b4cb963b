/* SPDX-License-Identifier: Apache-2.0 */
/*
 * struct buf: a growable byte buffer with a size cap and a sticky error.
 *
 * Invariants: `p` is never NULL and always NUL-terminated (binary-safe: `n`
 * counts the bytes). Appends return nothing; the first failure (-ENOMEM or
 * -EXCISE_E_TOOBIG when `cap` would be passed) is kept in `err` and later
 * appends do nothing. Ownership leaves only through buf_take().
 */
#ifndef EXCISE_BUF_H
#define EXCISE_BUF_H

#include <stdarg.h>
#include <stddef.h>

#include "core/macro.h"

struct buf {
	char *p;
	size_t n;     /* bytes used, not counting the NUL */
	size_t size;  /* bytes allocated; 0 while p points at the shared empty string */
	size_t cap;   /* most bytes it may hold */
	int err;
};

void buf_init(struct buf *b, size_t cap);
void buf_done(struct buf *b);
void buf_clear(struct buf *b);
void buf_add(struct buf *b, const void *data, size_t len);
/* Room for `len` more bytes now (appends within it do not allocate); an error as an append's. */
void buf_reserve(struct buf *b, size_t len);
void buf_adds(struct buf *b, const char *s);
void buf_addc(struct buf *b, char c);
void buf_addf(struct buf *b, const char *fmt, ...) PRINTF(2, 3);
void buf_vaddf(struct buf *b, const char *fmt, va_list ap) PRINTF(2, 0);
/* Returns the error, or 0 and moves the string out (caller frees; never NULL). */
NODISCARD int buf_take(struct buf *b, char **ret);

#endif
