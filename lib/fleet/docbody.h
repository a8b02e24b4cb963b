/* SPDX-License-Identifier: Apache-2.0 */
/*
 * docbody: a submitted document's bytes as the collector stores them (schema
 * version 3, docs/storage.md). docbody_pack compresses them (zstd, DOCBODY_LEVEL)
 * in the submitting thread, before the document is queued to the writer; the
 * writer stores the frame in document.body_z with body_codec DOCBODY_CODEC and
 * body_len the bytes' length (document.body then ''). docbody_read is the ONE way
 * back: every reader of a stored body selects DOCBODY_COLS and calls it, so rows
 * stored before version 3 (text in body, body_codec NULL) read as they were.
 */
#ifndef EXCISE_FLEET_DOCBODY_H
#define EXCISE_FLEET_DOCBODY_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "fleet/db.h"

#define DOCBODY_CODEC "zstd"
#define DOCBODY_LEVEL (-1) /* zstd's level: its first "fast" one (bodies are JSON: ~6x smaller, for half level 1's CPU) */
/* The columns docbody_read reads, in this order, from its first column on. */
#define DOCBODY_COLS "body, body_z, body_codec, body_len"

/* Compress `len` bytes of `body` into *ret (malloc'd, the caller's), *ret_len bytes. -ENOMEM. */
int docbody_pack(const void *body, size_t len, void **ret, size_t *ret_len, struct excise_err *err);

/* The bytes of the document `doc_id` (named in errors) from the compressed frame `z`
 * (`z_len` bytes) of codec `codec` that says it holds `len` bytes: *ret (malloc'd,
 * NUL-terminated, the caller's), *ret_len == len. Bounded: `len` is at most
 * EXCISE_MAX_SUBMIT_SIZE (the store's limit on a document), the frame's own content
 * size must be `len`, and the decoder writes into exactly `len` bytes.
 * -EXCISE_E_CORRUPT naming the document (unknown codec, a length out of bounds, a
 * frame that does not decode to exactly `len` bytes), -ENOMEM. */
int docbody_unpack(const char *doc_id, const char *codec, const void *z, size_t z_len, int64_t len, char **ret,
		   size_t *ret_len, struct excise_err *err);

/* The body of the current row of `s`, whose columns from `col` on are DOCBODY_COLS:
 * the text of `body` when `body_codec` is NULL (a row stored before version 3), else
 * docbody_unpack of the others. */
int docbody_read(struct db_stmt *s, int col, const char *doc_id, char **ret, size_t *ret_len,
		 struct excise_err *err);

#endif
