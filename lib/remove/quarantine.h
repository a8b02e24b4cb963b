/* SPDX-License-Identifier: Apache-2.0 */
/*
 * quarantine: where a removal run puts every file, symlink and directory tree
 * it removes, so that `excise restore` can put each back byte-exact.
 *
 *   <run dir>/manifest.jsonl          one JSON record a line (excise.quarantine/1,
 *                                     docs/removal.md), appended and fdatasync'ed; in
 *                                     the run directory, outside an offline root
 *   <store>/<run id>/data/<n>         the n-th object moved, as it was
 *
 * A put writes an "intent" record listing every entry of the tree (path, type,
 * mode, owner, times, size, sha256, symlink target, xattrs) before the one
 * rename(2) that moves the object; a "moved" record after. A restore renames it
 * back (never over something that now exists) and checks every entry against
 * the intent. Each is idempotent: after a crash at any instant, calling it again
 * completes it. The store must be on the filesystem of what it receives (rename,
 * never copy): the default store lies inside the root for that reason.
 */
#ifndef EXCISE_QUARANTINE_H
#define EXCISE_QUARANTINE_H

#include <stddef.h>

#include "core/macro.h"
#include "core/root.h"
#include "excise/error.h"
#include "excise/plan.h"

struct quarantine;

enum quarantine_state {
	QUARANTINE_DONE,     /* moved now */
	QUARANTINE_ALREADY,  /* an earlier call had moved it */
	QUARANTINE_GONE,     /* not there, and never moved by this run */
};

struct quarantine_report {
	size_t n_restored;   /* objects put back (a tree counts once) */
	size_t n_entries;    /* entries checked after restoring */
	size_t n_conflicts;  /* objects left in the store */
	char **notes;        /* NULL-terminated, or NULL: conflicts and mismatches, each naming the path */
	char **dangling;     /* NULL-terminated, or NULL: "PATH -> TARGET" for each symlink put back whose
			      * target is not in the root now (the package manager took it, say) */
};

/* Open or create the store of run `id` in `store_dir` (a host path), or NULL
 * for <root>/var/lib/excise/quarantine, created inside the root; its manifest in
 * the run directory `man_dir_fd` (-1: beside data/, as runs before kept it). */
NODISCARD int quarantine_open(const struct root *r, const char *store_dir, const char *id, int man_dir_fd,
			      struct quarantine **ret, struct excise_err *err);

/* Move `path` (absolute inside the root; a file, a symlink itself or a tree) into
 * the store. `expect` (may be NULL; used when expect->known) must still describe
 * it: type, device and inode, else -EXCISE_E_CHANGED. No symlink is followed in
 * any component (-EXCISE_E_SYMLINK). */
NODISCARD int quarantine_put(struct quarantine *q, const char *path, const struct excise_plan_object *expect,
			     enum quarantine_state *ret_state, struct excise_err *err);

/* Put every moved object back, newest first; see struct quarantine_report. */
NODISCARD int quarantine_restore(struct quarantine *q, struct quarantine_report *rep, struct excise_err *err);
void quarantine_report_free(struct quarantine_report *rep);

/* The store of run `id` in `store_dir` must exist (for restore); the manifest as
 * for quarantine_open (a live host's run made before: beside data/). */
NODISCARD int quarantine_load(const struct root *r, const char *store_dir, const char *id, int man_dir_fd,
			      struct quarantine **ret, struct excise_err *err);

void quarantine_close(struct quarantine *q);

/* Parse manifest bytes (untrusted: bounded by EXCISE_MAX_QUARANTINE_*). For the fuzz target and tests. */
NODISCARD int quarantine_parse_manifest(const char *name, const char *bytes, size_t len, size_t *ret_objects,
					struct excise_err *err);

#endif
