/* SPDX-License-Identifier: Apache-2.0 */
/*
 * hive: a small read-only wrapper over libhivex for Windows registry hives
 * (SOFTWARE, SYSTEM, NTUSER.DAT) found inside a scanned root.
 *
 * The hive's bytes are read into memory (at most EXCISE_MAX_HIVE_SIZE) and
 * handed to hivex as a private copy (a memfd, or an unlinked file in $TMPDIR):
 * the original is never opened read-write nor mapped, so a file that changes
 * or shrinks under the scan cannot fault it. Key names are matched
 * case-insensitively, as Windows does. Values are decoded here, not by hivex:
 * UTF-16LE with surrogate pairs to UTF-8 (U+FFFD for broken units), strings
 * need not be NUL-terminated and may have an odd length. Every walk is
 * bounded (keys visited, depth), and so is every value and string.
 *
 * Errors are -errno or -EXCISE_E_*; messages name the hive file and the key.
 */
#ifndef EXCISE_HIVE_H
#define EXCISE_HIVE_H

#include <stddef.h>
#include <stdint.h>

#include "core/macro.h"
#include "core/root.h"
#include "excise/error.h"

struct hive;
typedef size_t hive_node; /* 0 is no node */

/* Open the hive at `path` inside the root (the last component may not be a
 * symlink). -ENOENT when absent; -EXCISE_E_TOOBIG, -EXCISE_E_CORRUPT, -ELOOP... */
NODISCARD int hive_open_root(const struct root *r, const char *path, struct hive **ret,
			     struct excise_err *err);
/* Open a hive from bytes; `name` is used in messages. */
NODISCARD int hive_open_mem(const char *name, const void *data, size_t len, struct hive **ret,
			    struct excise_err *err);
void hive_close(struct hive *h);
const char *hive_name(const struct hive *h);
hive_node hive_root(struct hive *h);

/* Follow a backslash-separated path of key names below `from` ("" is `from`).
 * -ENOENT when a component is absent, -EXCISE_E_CORRUPT on a broken hive. */
NODISCARD int hive_lookup(struct hive *h, hive_node from, const char *path, hive_node *ret);

/* The subkeys of `n` (0-terminated; free() it), at most EXCISE_MAX_HIVE_KEYS. */
NODISCARD int hive_children(struct hive *h, hive_node n, hive_node **ret);

/* The names of the key's values (UTF-8, "" for the default value), at most
 * EXCISE_MAX_HIVE_KEYS; free() each and the array. */
NODISCARD int hive_value_names(struct hive *h, hive_node n, char ***ret, size_t *ret_n);

/* The key's name as UTF-8; free() it. */
NODISCARD int hive_key_name(struct hive *h, hive_node n, char **ret);

/* A REG_SZ, REG_EXPAND_SZ (expanded: %SystemRoot% -> \Windows...) or
 * REG_LINK value as UTF-8, cut at the first NUL. -ENOENT when the value is
 * absent, -EXCISE_E_UNSUPPORTED for another type, -EXCISE_E_TOOBIG past the
 * value or string limit. */
NODISCARD int hive_string(struct hive *h, hive_node n, const char *value, char **ret);
/* A REG_MULTI_SZ (or REG_SZ) value as a NULL-terminated list; excise_strv_free() it. */
NODISCARD int hive_multi(struct hive *h, hive_node n, const char *value, char ***ret);
/* A REG_DWORD, REG_DWORD_BIG_ENDIAN or REG_QWORD value. */
NODISCARD int hive_u64(struct hive *h, hive_node n, const char *value, uint64_t *ret);
/* The raw bytes of a value of any type (at most EXCISE_MAX_HIVE_VALUE_SIZE); free() it. */
NODISCARD int hive_binary(struct hive *h, hive_node n, const char *value, void **ret, size_t *ret_len);

/* Decode UTF-16LE to UTF-8 (stops at a NUL unit; odd last byte ignored).
 * -EXCISE_E_TOOBIG past `max` output bytes. */
NODISCARD int utf16le_to_utf8(const void *p, size_t len, size_t max, char **ret);
/* Expand the %VARIABLES% whose offline value is known; others are kept. */
NODISCARD int hive_expand(const char *s, char **ret);

/*
 * Walk the keys below `start` (itself included, depth 0), depth first, at most
 * `max_depth` levels below it (capped at EXCISE_MAX_HIVE_DEPTH) and
 * EXCISE_MAX_HIVE_KEYS keys. `path` is start_path plus "\name" for each level.
 * fn returns < 0 to stop, 1 to skip the key's subkeys, 0 to go on.
 * Returns fn's error, or -EXCISE_E_LIMIT (with `err` naming the key) when a
 * limit cut the walk short, or -EXCISE_E_CORRUPT for a key that cannot be
 * read; the keys before were all visited.
 */
typedef int (*hive_visit_fn)(void *ud, struct hive *h, hive_node n, const char *path, unsigned depth);
NODISCARD int hive_walk(struct hive *h, hive_node start, const char *start_path, unsigned max_depth,
			hive_visit_fn fn, void *ud, struct excise_err *err);

static inline void hive_closep(struct hive **h)
{
	if (*h)
		hive_close(*h);
}
#define _cleanup_hive_ _cleanup_(hive_closep)

#endif
