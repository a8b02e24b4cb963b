/* SPDX-License-Identifier: Apache-2.0 */
/* text: small string helpers shared by parsers and writers. */
#ifndef EXCISE_TEXT_H
#define EXCISE_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdarg.h>
#include <stdio.h>

#include "core/buf.h"
#include "core/macro.h"
#include "excise/error.h"

/* True when `len` bytes of `s` are valid UTF-8 (no overlongs, no surrogates). */
bool utf8_valid(const char *s, size_t len);

/* Append `s` to `b` as valid UTF-8: each invalid byte becomes U+FFFD. */
void utf8_sanitize(struct buf *b, const char *s, size_t len);

/* How text_escape treats what a format may want as it is. */
enum {
	TEXT_ESC_BACKSLASH = EXCISE_ESC_BACKSLASH, /* a backslash doubled: no escape can be forged */
	TEXT_ESC_KEEP_NL = EXCISE_ESC_KEEP_NL,     /* a newline kept (the caller's format made it) */
	TEXT_ESC_KEEP_TAB = 4,                     /* a tab kept (CSV cells) */
	TEXT_ESC_JSON = 8,                         /* every escape as JSON writes it (\u001b, \u202e;
						    * \ufffd for a byte not UTF-8), for JSON text */
};

/*
 * Append `len` bytes of `s` as text safe to show on a terminal: C0 controls
 * (\n, \r, \t by name, the others \xNN) and DEL as \xNN; the C1 controls
 * U+0080-U+009F and the bidirectional controls (U+061C, U+200E, U+200F,
 * U+202A-U+202E, U+2066-U+2069) as \uNNNN; each byte that is not valid UTF-8
 * (a raw 0x9B is a C1 CSI to some terminals) as \xNN. The result is valid UTF-8
 * with none of those characters. The one function every text output and error
 * message of strings from an image goes through.
 */
void text_escape(struct buf *b, const char *s, size_t len, unsigned flags);

/* The character at the start of `len` bytes of `s` (len > 0), as text_escape sees it:
 * its length in bytes into *n (1 for a byte that is not UTF-8) and its code point into
 * *cp (the byte itself when not UTF-8, *valid false); true when text_escape would
 * escape it (a control, DEL, C1 or bidirectional control, a byte not UTF-8). For
 * writers that escape in their own syntax (the sh and ps1 scripts). */
bool text_char_unsafe(const char *s, size_t len, size_t *n, uint32_t *cp, bool *valid);

/* Write `fmt` to `out`, each %s an argument through text_escape (NULL as "(null)");
 * %u, %zu and %% as printf has them, nothing else. Returns -EIO on a write error. */
int text_printf(FILE *out, const char *fmt, ...) PRINTF(2, 3);
int text_vprintf(FILE *out, const char *fmt, va_list ap) PRINTF(2, 0);

/*
 * Append `s` as one CSV cell (RFC 4180), neutralised against formula injection: a
 * cell that starts with = + - @, a tab or a carriage return gets a leading ' (OWASP).
 * Bytes that are not UTF-8 become U+FFFD (as in the JSON report), the rest is escaped
 * as text_escape does (newlines and tabs kept), and the cell is quoted when it holds
 * a comma, a quote, a CR or a LF (quotes doubled). NULL is the empty cell.
 */
void csv_cell(struct buf *b, const char *s);

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
