/* SPDX-License-Identifier: Apache-2.0 */
/*
 * recover: a removal run killed at any moment, a package manager run included, made
 * whole by excise remove --resume (see remove_int.h).
 *
 * A step counts as done only when its effect is on the target: the journal's "end"
 * of a package step or a path step is checked against the package database and the
 * file system, and the step runs again when the target disagrees.
 *
 * dpkg killed midway leaves the package half-installed, half-configured or with its
 * wanted state only ("pH", "pF", "pi", "pc": lib/remove/pkgdb.c reads them as present,
 * so the step runs again) and its updates journal (/var/lib/dpkg/updates) not yet
 * folded into the status file. The repair is the purge again with the same options
 * and offline rules the step uses (dpkg --root, maintainer scripts of the image in the
 * quarantine, never run): dpkg resumes a removal from any of these states, and any
 * dpkg run that opens the database for writing folds the updates journal in first
 * (dpkg(1), "--purge"; dpkg's database is journaled, the journal replayed on the next
 * write). `dpkg --configure -a` is not used: it configures, which runs postinst
 * scripts of the image's packages on this machine, and it does not finish a removal.
 *
 * rpm killed midway: its transaction lock is a fcntl lock the kernel drops with the
 * process, and its database (sqlite or bdb) rolls its own journal back when next
 * opened for writing; the package still in the database is the step not done, run
 * again (rpm -e, and offline --noscripts --notriggers, as the step does).
 *
 * After the steps, the database is checked again: no target present, none midway,
 * no dpkg updates journal left.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/err.h"
#include "core/root.h"
#include "remove/pkgdb.h"
#include "remove/remove_int.h"

static bool package_step(const struct excise_plan_step *s)
{
	return s->action == EXCISE_PLAN_DPKG_PURGE || s->action == EXCISE_PLAN_RPM_ERASE;
}

bool remove_undone(struct run *x, const struct excise_plan_step *s, enum excise_step_outcome o)
{
	if (o != EXCISE_STEP_DONE && o != EXCISE_STEP_ALREADY)
		return false;
	if (package_step(s)) {
		struct excise_err err = { 0 };
		struct pkg_info pi;
		if (pkgdb_query(&x->root, remove_pkgdb_kind(s), s->target, -1, &pi, &err) < 0)
			return true; /* the step again says why the database cannot be read */
		bool present = pi.present;
		pkg_info_done(&pi);
		return present;
	}
	if (s->action == EXCISE_PLAN_REMOVE_PATH) {
		struct stat st;
		return root_lstat(&x->root, s->target, &st) != -ENOENT;
	}
	return false;
}

/* Entries in dpkg's updates journal (numbered records and its tmp.i scratch file). */
static int dpkg_updates(struct run *x, size_t *ret, struct excise_err *err)
{
	*ret = 0;
	DIR *dh = NULL;
	int r = root_opendir(&x->root, "/var/lib/dpkg/updates", &dh);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return err_setc(err, r, "'%s/var/lib/dpkg/updates': open", x->root.live ? "" : x->root.path);
	struct dirent *de;
	while ((de = readdir(dh)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			++*ret;
	closedir(dh);
	return 0;
}

static int open_log(struct run *x)
{
	return journal_open_log(&x->j, "recover.log");
}

/* dpkg's updates journal folded in: a purge of a plan target (already gone, so dpkg
 * only says so) opens the database for writing, which replays the journal. */
static int dpkg_fold(struct run *x, const struct excise_plan_step *s, struct excise_err *err)
{
	int r = 0;
	if (!x->root.live)
		r = remove_dpkg_guard(x, s->target, err);
	if (r < 0)
		return r;
	char opt[4200];
	const char *argv[REMOVE_PACKAGE_ARGV];
	remove_package_argv(x, s, opt, sizeof(opt), argv);
	int log_fd = open_log(x);
	r = remove_tool(x, log_fd, argv, err);
	if (log_fd >= 0)
		close(log_fd);
	if (r > 0)
		r = err_set(err, -EIO, "resume: folding in dpkg's updates journal under '%s': %s", x->root.path, x->detail);
	return r;
}

int remove_settle(struct run *x, struct excise_err *err)
{
	const struct excise_plan_step *dpkg_step = NULL;
	for (size_t i = 0; i < x->p->n_steps; i++) {
		const struct excise_plan_step *s = &x->p->steps[i];
		enum excise_step_outcome o = x->res->outcomes[i];
		if (!package_step(s) || (o != EXCISE_STEP_DONE && o != EXCISE_STEP_ALREADY))
			continue;
		if (s->action == EXCISE_PLAN_DPKG_PURGE && !dpkg_step)
			dpkg_step = s;
		struct pkg_info pi;
		int r = pkgdb_query(&x->root, remove_pkgdb_kind(s), s->target, -1, &pi, err);
		if (r < 0)
			return r;
		bool present = pi.present, midway = pi.unsettled;
		pkg_info_done(&pi);
		if (present)
			return err_set(err, -EXCISE_E_CHANGED,
				       "resume: step %u: package %s is still in the database under '%s'%s after the "
				       "step ended; run --resume again, or see the step's log", s->id, s->target,
				       x->root.path, midway ? ", left midway by an interrupted run," : "");
	}
	size_t n = 0;
	int r = dpkg_step ? dpkg_updates(x, &n, err) : 0;
	if (r < 0 || n == 0)
		return r;
	r = dpkg_fold(x, dpkg_step, err);
	if (r == 0)
		r = dpkg_updates(x, &n, err);
	if (r == 0 && n)
		r = err_set(err, -EXCISE_E_CHANGED,
			    "resume: dpkg's updates journal under '%s' still holds %zu entr%s after a dpkg run "
			    "(see recover.log in the run directory)", x->root.path, n, n == 1 ? "y" : "ies");
	return r;
}
