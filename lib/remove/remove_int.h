/* SPDX-License-Identifier: Apache-2.0 */
/* Internal to lib/remove: the state of one removal run (remove.c), for the actions'
 * steps (action-*.c), and the helpers they share. */
#ifndef EXCISE_REMOVE_INT_H
#define EXCISE_REMOVE_INT_H

#include <dirent.h>
#include <stdbool.h>
#include <sys/stat.h>
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
/* The command that removes the package of a dpkg-purge or rpm-erase step from x's
 * root, as excise remove runs it (NULL-terminated into argv; `opt` is room for an
 * option it builds). */
enum { REMOVE_PACKAGE_ARGV = 12 };
void remove_package_argv(struct run *x, const struct excise_plan_step *s, char *opt, size_t size,
			 const char *argv[REMOVE_PACKAGE_ARGV]);
/* Whether the file `name` of /var/lib/dpkg/info is a maintainer script of `pkg` that
 * an offline purge moves to the quarantine instead of running (prerm, postrm). */
bool remove_dpkg_script(const char *name, const char *pkg);
/* A dry run (lib/remove/dry.c): every step logged with the outcome it would have
 * and, one a line, each command it would run and each path it would move; nothing
 * is changed. */
void remove_dry_steps(struct run *x);
/* The checks a step must pass (preflight, and just before it runs); 0 or the refusal. */
int remove_check_one(struct run *x, const struct excise_plan_step *s, struct excise_err *err);
/* Whether the entry is of `type` (S_IFDIR, S_IFLNK), from d_type or lstat. */
bool remove_entry_is(DIR *dh, const struct dirent *de, mode_t type);
/* The links that enable systemd unit `unit` under the root (action-service.c): owned,
 * NULL-terminated, *n of them; NULL on OOM. */
char **remove_unit_links(struct run *x, const char *unit, size_t *n);
/* lib/remove/action-cert.c: the original bytes of a file the run rewrites (a trust bundle,
 * an NSS database) into the run directory and backups.jsonl, synced, before the rewrite;
 * restore puts them back while the file's sha256 is still `after_hex`. */
int remove_save_backup(struct run *x, const char *path, const char *data, size_t len, const struct stat *st,
		       const char *after_hex, struct excise_err *err);

/* lib/remove/recover.c: a step the journal ended as done or already gone whose effect
 * is not on the target (the package still in the database, the path still there). */
bool remove_undone(struct run *x, const struct excise_plan_step *s, enum excise_step_outcome o);
/* After a resumed run's steps: the package database checked again, dpkg's updates
 * journal of an interrupted run folded in (a dpkg run under the step's offline rules). */
int remove_settle(struct run *x, struct excise_err *err);
/* lib/remove/action-package.c: the checks and quarantined scripts before dpkg --root
 * acts on `pkg` in an offline root. */
int remove_dpkg_guard(struct run *x, const char *pkg, struct excise_err *err);

#endif
