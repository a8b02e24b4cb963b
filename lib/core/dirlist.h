/* SPDX-License-Identifier: Apache-2.0 */
/*
 * dirlist: the one lister of a directory inside a root (root_opendir), for the
 * callers that read the entries of one folder whose names follow a pattern
 * (the .plist files of LaunchDaemons, receipts, kexts, unit files, dpkg's journal...).
 *
 * The matching names are read first (at most `max`, in the directory's order),
 * the directory is closed, the names are sorted when asked, and then `fn` is
 * called for each, so `fn` may list directories itself without holding
 * descriptors open. The error policy:
 *   - the directory cannot be opened: its -errno is returned (-ENOENT or
 *     -ENOTDIR: it is absent), nothing is listed and nothing is reported;
 *   - reading it fails part way, or more than `max` names match: what was read
 *     (the first `max` names) is listed, and the problem goes to o->error;
 *   - -ENOMEM, and a negative return of `fn`, stop the listing and are returned
 *     (any other return goes on).
 */
#ifndef EXCISE_DIRLIST_H
#define EXCISE_DIRLIST_H

#include <stdbool.h>
#include <stddef.h>

#include "core/macro.h"
#include "core/root.h"

struct dirlist {
	const char *suffix;                          /* names ending so (and longer), or NULL: any */
	bool (*match)(const char *name);             /* and for which this holds, or NULL */
	int (*compar)(const void *a, const void *b); /* qsort order of the names (char *), or NULL */
	size_t max;                                  /* names listed at most; 0: EXCISE_MAX_DIR_ENTRIES */
	const char *what;                            /* the names, in the limit's message ("entries") */
	bool dotfiles;                               /* names starting with '.' too ('.' and '..' never) */
	/* A problem that does not stop the listing: `code` is -errno or -EXCISE_E_LIMIT,
	 * `msg` names the directory ("'/x': more than 100 entries, only the first 100 read"). */
	void (*error)(void *userdata, int code, const char *msg);
};

/* Call fn(userdata, path, name) for each matching entry of `dir` (`path` is
 * dir/name; both live until fn returns). Returns 0 once listed; see above. */
NODISCARD int dirlist_each(const struct root *r, const char *dir, const struct dirlist *o,
			   int (*fn)(void *userdata, const char *path, const char *name), void *userdata);

#endif
