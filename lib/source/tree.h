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

#include "core/walk.h"
#include "source/source.h"

/*
 * Call `fn` for every entry below `dir` (return WALK_SKIP for a directory not to
 * enter it, < 0 to stop). *ret_found (may be NULL) tells whether `dir` was there.
 * Returns 0 (also when `dir` is absent), -ENOMEM, or fn's negative code.
 */
NODISCARD int source_tree(struct source_ctx *ctx, const char *dir, unsigned max_depth, walk_entry_fn fn,
			  void *userdata, bool *ret_found);

#endif
