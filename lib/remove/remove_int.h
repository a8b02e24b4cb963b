/* SPDX-License-Identifier: Apache-2.0 */
/* Internal to lib/remove: the state of one removal run (remove.c), for the actions'
 * steps (action-*.c), and the helpers they share. */
#ifndef EXCISE_REMOVE_INT_H
#define EXCISE_REMOVE_INT_H

#include <dirent.h>
#include <stdbool.h>
#include <sys/types.h>

#include "catalog/match.h"
#include "core/hash.h"
#include "core/macro.h"
#include "core/root.h"
#include "excise/remove.h"
#include "remove/journal.h"
#include "remove/pkgdb.h"
#include "remove/quarantine.h"

struct run {
	const struct excise_plan *p;
	const struct excise_remove_opts *o;
	struct root root;
	bool root_open;
	struct quarantine *q;
	struct journal j;
	bool journaled;
	struct matcher *m;
	struct excise_remove_result *res;
	struct strset gone;          /* paths this run moved to quarantine */
	char detail[1024];           /* what the step did, for the journal and the log */
	char *quarantine_dir;
	size_t *moved;               /* per step: objects it moved into the quarantine store */
	size_t step_moved;           /* objects the step running now moved */
	bool *interrupted;           /* per step, on --resume: it began and never ended */
	bool step_interrupted;       /* the step running now is one of those */
};

/* The step's detail line. */
void remove_say(struct run *x, const char *fmt, ...) PRINTF(2, 3);
/* Run a tool (lib/remove/spawn.c) with its output in log_fd; > 0 its exit status, said. */
int remove_tool(struct run *x, int log_fd, const char *const argv[], struct excise_err *err);
/* Move `path` into the quarantine store (checked against `seen` when given). */
enum excise_step_outcome remove_put(struct run *x, const char *path, const struct excise_plan_object *seen,
				    struct excise_err *err);
/* The vendor rule for a package step, as the package database says now. */
enum pkgdb_kind remove_pkgdb_kind(const struct excise_plan_step *s);
int remove_check_package(struct run *x, const struct excise_plan_step *s, bool *present, struct excise_err *err);
/* Whether the entry is of `type` (S_IFDIR, S_IFLNK), from d_type or lstat. */
bool remove_entry_is(DIR *dh, const struct dirent *de, mode_t type);

#endif
