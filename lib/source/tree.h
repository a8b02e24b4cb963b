/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tree: the small directory trees sources read (module trees, certificate
 * directories, application folders), listed with the walker on the calling
 * thread. Symlinked directories are never entered (a symlinked file is an
 * entry the callback may read through the root); other filesystems are.
 * Problems with single directories become item errors of the source, and a
 * directory deeper than `max_depth` levels below `dir` is reported, not read.
 */
#ifndef EXCISE_SOURCE_TREE_H
#define EXCISE_SOURCE_TREE_H

#include "core/dirlist.h"
#include "core/walk.h"
#include "source/source.h"

/*
 * Call `fn` for every entry below `dir` (return WALK_SKIP for a directory not to
 * enter it, < 0 to stop). *ret_found (may be NULL) tells whether `dir` was there.
 * Returns 0 (also when `dir` is absent), -ENOMEM, or fn's negative code.
 */
NODISCARD int source_tree(struct source_ctx *ctx, const char *dir, unsigned max_depth, walk_entry_fn fn,
			  void *userdata, bool *ret_found);

/* A directory that is there and cannot be opened fails the source (source_fail). */
#define SOURCE_LIST_REQUIRED 1u

/*
 * The entries of one directory (core/dirlist.h) with the sources' policy: an
 * absent directory is empty, one that cannot be opened an item error ("'dir':
 * cannot list"; with SOURCE_LIST_REQUIRED the source's failure, returned),
 * problems while listing (a read error, more than o->max names) item errors.
 * Returns 0 when listed, 1 when absent or not opened, -ENOMEM or fn's code.
 */
NODISCARD int source_list(struct source_ctx *ctx, const char *dir, const struct dirlist *o, unsigned flags,
			  int (*fn)(void *userdata, const char *path, const char *name), void *userdata);

#endif
