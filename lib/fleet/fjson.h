/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fjson: the collector's fast reading of a submitted JSON document (ingest_parse).
 *
 * fjson_check is one strict pass over the bytes that refuses whatever jansson's
 * json_loadb (flags JSON_REJECT_DUPLICATES, which every other reader of a stored
 * document uses) refuses, except duplicate members, which fjson_parse finds on the
 * tree. fjson_parse makes the same pass and builds the tree as it goes, as cJSON
 * nodes (read them with cJSON's accessors; never cJSON_Delete them) in an arena of
 * the struct fjson, so that freeing it is one free per chunk. See fjson.c for why.
 */
#ifndef EXCISE_FLEET_FJSON_H
#define EXCISE_FLEET_FJSON_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "excise/error.h"

struct fjson_chunk;

struct fjson {
	cJSON *root;              /* the document: an object or an array; lives until fjson_done */
	size_t member_at;         /* byte offset of the value of the watched top-level member, SIZE_MAX when absent */
	struct fjson_chunk *chunks;
	bool oom;
};

/* Check `s` (`len` bytes, and s[len] must be '\0'): the JSON grammar of RFC 8259 as
 * jansson reads it (an array or object at the top, only whitespace after it, strict
 * UTF-8, no control character in a string, no \u0000 and no unpaired surrogate escape,
 * integers within int64 and reals within double), nested at most
 * EXCISE_MAX_SUBMIT_DEPTH arrays and objects. When `member` is not NULL and the top
 * level is an object with that member, *member_at is where its value starts (else
 * SIZE_MAX). Allocates nothing. 0, or -EXCISE_E_CORRUPT naming the byte offset. */
int fjson_check(const char *s, size_t len, const char *member, size_t *member_at, struct excise_err *err);

/* fjson_check and the tree in one pass, then the same member name twice in any object
 * refused (the message names the object by its JSON pointer). Strings are decoded
 * (valuestring, and string for a member's name); a number's node has the type
 * cJSON_Number but no value (read the watched member's with fjson_int). On error j is
 * left empty. -EXCISE_E_CORRUPT, -ENOMEM. */
int fjson_parse(struct fjson *j, const char *s, size_t len, const char *member, struct excise_err *err);
void fjson_done(struct fjson *j);

/* The integer written at s + at (checked by fjson_check): true when it is an integer
 * (no fraction, no exponent: jansson's json_is_integer), with its value. */
bool fjson_int(const char *s, size_t at, int64_t *ret);

#endif
