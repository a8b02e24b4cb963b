/* SPDX-License-Identifier: Apache-2.0 */
/*
 * plist: property lists (Apple's XML and binary "bplist00" forms) through
 * Debian's libplist, with the checks libplist 2.2 lacks, and typed getters.
 *
 * Before bytes reach libplist:
 *  - at most EXCISE_MAX_PLIST_SIZE bytes (-EXCISE_E_TOOBIG);
 *  - binary: the trailer, the offset table and every object's extent are
 *    checked against the buffer, every reference against the object count
 *    (at most EXCISE_MAX_PLIST_OBJECTS), and the object graph is walked
 *    without recursion: a cycle, more than EXCISE_MAX_PLIST_DEPTH nested
 *    containers, or more than EXCISE_MAX_PLIST_OBJECTS nodes once shared
 *    references are expanded is refused. libplist 2.2 recurses once per
 *    nesting level (a 100000-deep array overflows the stack) and copies a
 *    shared object at every reference (40 objects that each refer twice to
 *    the next expand to 2^40 nodes);
 *  - XML: the nesting of <array> and <dict> is counted the same way.
 * Anything libplist then rejects is -EXCISE_E_CORRUPT. Every error message
 * names the file ("'<name>': ...") and, for the getters, the key.
 *
 * Getters read one key of a dictionary and return 0 (found), 1 (absent: *ret
 * is NULL / unset), -EXCISE_E_CORRUPT (another type, a NUL inside a string),
 * -EXCISE_E_TOOBIG (a string over EXCISE_MAX_PLIST_STRING bytes),
 * -EXCISE_E_LIMIT (an array over EXCISE_MAX_PLIST_ARRAY_ITEMS items) or
 * -ENOMEM. Strings are borrowed from the plist: valid until it is freed.
 */
#ifndef EXCISE_PARSE_PLIST_H
#define EXCISE_PARSE_PLIST_H

#include <plist/plist.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/macro.h"
#include "core/root.h"
#include "excise/error.h"

/* Parse `len` bytes (XML or binary); *ret is the caller's (plist_free). */
NODISCARD int pl_parse(const void *data, size_t len, const char *name, plist_t *ret,
		       struct excise_err *err);

/* Only the pre-checks of pl_parse (for tests and the fuzz target). */
NODISCARD int pl_check_binary(const uint8_t *data, size_t len, const char *name,
			      struct excise_err *err);
NODISCARD int pl_check_xml(const char *data, size_t len, const char *name, struct excise_err *err);

/* Read a file inside the root and parse it; the top object must be a dictionary.
 * A FIFO, a device or a directory is refused before it is read. */
NODISCARD int pl_read_dict(const struct root *r, const char *path, plist_t *ret,
			   struct excise_err *err);

NODISCARD int pl_dict_string(plist_t dict, const char *key, const char *name, const char **ret,
			     struct excise_err *err);
NODISCARD int pl_dict_bool(plist_t dict, const char *key, const char *name, bool *ret,
			   struct excise_err *err);
NODISCARD int pl_dict_dict(plist_t dict, const char *key, const char *name, plist_t *ret,
			   struct excise_err *err);
/* Seconds since 1970 (plist dates count from 2001-01-01 UTC). */
NODISCARD int pl_dict_date(plist_t dict, const char *key, const char *name, int64_t *ret,
			   struct excise_err *err);
/* An array of strings: *ret (free() it; the strings are borrowed) holds *n items. */
NODISCARD int pl_dict_strings(plist_t dict, const char *key, const char *name, const char ***ret,
			      size_t *n, struct excise_err *err);
/* An array of any items, at most EXCISE_MAX_PLIST_ARRAY_ITEMS: *ret is borrowed. */
NODISCARD int pl_dict_array(plist_t dict, const char *key, const char *name, plist_t *ret,
			    uint32_t *n, struct excise_err *err);
/* A string reached through nested dictionaries: keys[0] in dict, keys[1] in that, ... */
NODISCARD int pl_dict_path_string(plist_t dict, const char *const *keys, size_t n_keys,
				  const char *name, const char **ret, struct excise_err *err);

#endif
