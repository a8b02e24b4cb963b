/* SPDX-License-Identifier: Apache-2.0 */
/*
 * excise error values.
 *
 * Library functions return int: >= 0 is success, < 0 is failure. A failure is
 * either -errno (a system error, as received) or -EXCISE_E_* (a domain error).
 * Domain codes start above any errno and are never renumbered or reused.
 *
 * Where a caller needs more than a code (which file, which byte, which entry),
 * functions take a `struct excise_err *` that is filled only on failure, with a
 * message that names the place. The library never prints it; front ends do.
 */
#ifndef EXCISE_ERROR_H
#define EXCISE_ERROR_H

#include <stddef.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

#define EXCISE_API __attribute__((visibility("default")))

enum excise_errcode {
	EXCISE_E_CORRUPT = 1000,   /* input bytes do not follow their format */
	EXCISE_E_TOOBIG = 1001,    /* input exceeds a named limit (size) */
	EXCISE_E_LIMIT = 1002,     /* a count or depth limit was reached */
	EXCISE_E_BADSIG = 1003,    /* signature does not verify */
	EXCISE_E_UNTRUSTED = 1004, /* signed by a key the operator does not trust */
	EXCISE_E_UNSIGNED = 1005,  /* a signature was required and is missing */
	EXCISE_E_CATALOG = 1006,   /* catalog content is invalid (lint) */
	EXCISE_E_ESCAPE = 1007,    /* a path would leave the scanned root */
	EXCISE_E_UNSUPPORTED = 1008,
	EXCISE_E_USAGE = 1009,     /* bad arguments to an API call */
	EXCISE_E_ABSENT = 1010,    /* the thing to read does not exist here */
	EXCISE_E_SYMLINK = 1011,   /* a symlink where none may be */
	EXCISE_E_REFUSED = 1012,   /* a safety rule refused the action; nothing was changed */
	EXCISE_E_CHANGED = 1013,   /* the host changed since it was scanned or planned */
	EXCISE_E_NOTOS = 1014,     /* a root to scan holds no operating system that excise recognises */
	EXCISE_E_SPECIAL = 1015,   /* a device, FIFO or socket where a regular file was expected: not opened */
	EXCISE_E_AUTH = 1016,      /* a request's credentials (secret, key, signature, time) were refused */
	EXCISE_E_BUSY = 1017,      /* a bounded queue is full: try again later */
};

/* Room for one message; longer messages are cut at a character boundary. */
#define EXCISE_ERR_MSG 512

struct excise_err {
	int code;                  /* the negative value that was returned */
	char msg[EXCISE_ERR_MSG];  /* "file 'x': line 3: ...", never empty when set */
};

/* A static, human description of a return value (errno or domain code). */
EXCISE_API const char *excise_strerror(int code);

/* Flags of excise_text_escape. */
enum {
	EXCISE_ESC_BACKSLASH = 1, /* double every backslash, so an escape shown is never the data's */
	EXCISE_ESC_KEEP_NL = 2,   /* keep newlines: `s` is lines the caller's format made */
};

/* `s` made safe to show on a terminal (lib/core/text.h, text_escape): C0 controls,
 * DEL, C1 controls, bidirectional controls and bytes that are not UTF-8 shown as
 * visible escapes (\x1b, \u202e). Front ends print every message that may quote an
 * image's strings (excise_err.msg among them) through it. A new string the caller
 * frees; NULL in gives NULL, and NULL on out of memory. */
EXCISE_API char *excise_text_escape(const char *s, unsigned flags);

/* Write `fmt` to `out`, each %s argument through excise_text_escape (no flags; NULL as
 * "(null)"); only %u, %zu and %% besides. 0, or -EIO on a write error. */
EXCISE_API int excise_text_printf(FILE *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#ifdef __cplusplus
}
#endif
#endif
