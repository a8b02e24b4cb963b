/* SPDX-License-Identifier: Apache-2.0 */
/*
 * remove: carry out a removal plan on a live Linux host or an offline Linux
 * root (include/excise/remove.h). The order of every step:
 *
 *   check (safety rules, as the host is now) -> journal "begin" (fsynced)
 *     -> act -> check the result -> journal "end" with the outcome (fsynced)
 *
 * Files leave only through the quarantine store; packages only through dpkg
 * and rpm; a trust bundle is rewritten only after its original bytes are saved
 * in the run directory. What each action does is in its file (lib/remove/action.h).
 */
#include "excise/remove.h"

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "catalog/match.h"
#include "core/err.h"
#include "core/hash.h"
#include "core/limits.h"
#include "core/paths.h"
#include "core/root.h"
#include "core/text.h"
#include "remove/action.h"
#include "remove/journal.h"
#include "remove/pkgdb.h"
#include "remove/quarantine.h"
#include "remove/nssdb.h"
#include "remove/rematch.h"
#include "remove/remove_int.h"
#include "remove/rundir.h"
#include "remove/safety.h"
#include "remove/spawn.h"

static const char *const outcome_words[] = {
	[EXCISE_STEP_PENDING] = "pending", [EXCISE_STEP_DONE] = "done",
	[EXCISE_STEP_ALREADY] = "already gone", [EXCISE_STEP_SKIPPED] = "skipped",
	[EXCISE_STEP_FAILED] = "failed", [EXCISE_STEP_REFUSED] = "refused",
};

const char *excise_step_outcome_name(enum excise_step_outcome o)
{
	return (unsigned)o < sizeof(outcome_words) / sizeof(outcome_words[0]) ? outcome_words[o] : "?";
}

void remove_say(struct run *x, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(x->detail, sizeof(x->detail), fmt, ap);
	va_end(ap);
}

/* ---- names and the vendor ---- */

/* systemd unit and kernel module names. */
static bool unit_name_ok(const char *s)
{
	if (!s || !s[0] || s[0] == '-' || s[0] == '.' || strlen(s) > EXCISE_MAX_UNIT_NAME_LEN)
		return false;
	for (const char *c = s; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
		      *c == '.' || *c == '-' || *c == '_' || *c == '@' || *c == ':' || *c == '\\'))
			return false;
	return true;
}

enum pkgdb_kind remove_pkgdb_kind(const struct excise_plan_step *s)
{
	return s->action == EXCISE_PLAN_DPKG_PURGE ? PKGDB_DPKG : PKGDB_RPM;
}

/* The vendor rule for a package step, as the package database says now. */
int remove_check_package(struct run *x, const struct excise_plan_step *s, bool *present, struct excise_err *err)
{
	struct pkg_info pi;
	int r = pkgdb_query(&x->root, remove_pkgdb_kind(s), s->target, -1, &pi, err);
	if (r < 0)
		return r;
	*present = pi.present;
	const struct excise_product *pr = s->product ? excise_catalog_find_product(x->o->catalog, s->product) : NULL;
	if (pi.present && !pkgdb_names_vendor(x->m, pr ? pr->vendor_id : NULL, &pi))
		r = err_set(err, -EXCISE_E_REFUSED,
			    "step %u: package %s: its metadata (%s '%s'%s%s%s) does not name the vendor of %s; "
			    "not removing it", s->id, s->target,
			    s->action == EXCISE_PLAN_DPKG_PURGE ? "Maintainer" : "Vendor", pi.publisher ? pi.publisher : "",
			    pi.packager ? ", Packager '" : "", pi.packager ? pi.packager : "", pi.packager ? "'" : "",
			    s->product ? s->product : "?");
	pkg_info_done(&pi);
	return r;
}

/* ---- checks before acting ---- */

static bool acts_on_path(const struct excise_plan_step *s)
{
	return s->action == EXCISE_PLAN_REMOVE_PATH || s->action == EXCISE_PLAN_REMOVE_CERT ||
	       s->action == EXCISE_PLAN_REMOVE_NSS_CERT;
}

static char type_of(mode_t m)
{
	return S_ISREG(m) ? 'f' : S_ISDIR(m) ? 'd' : S_ISLNK(m) ? 'l' : 'o';
}

/* The rules every step must pass just before it runs. */
static int check_step(struct run *x, const struct excise_plan_step *s, struct excise_err *err)
{
	if (!plan_action(s->action)->apply)
		return err_set(err, -EXCISE_E_REFUSED, "step %u: %s is a Windows step; run the plan's ps1 script there",
			       s->id, excise_plan_action_name(s->action));
	bool strong = false;
	for (size_t i = 0; i < s->n_evidence; i++)
		strong |= s->evidence[i].confidence >= EXCISE_CONF_STRONG;
	if (!strong)
		return err_set(err, -EXCISE_E_REFUSED,
			       "step %u: %s %s rests on no strong or definitive evidence", s->id,
			       excise_plan_action_name(s->action), s->target ? s->target : "");
	if (!s->target || !s->target[0])
		return err_set(err, -EXCISE_E_REFUSED, "step %u: no target", s->id);
	if (acts_on_path(s) || (s->action == EXCISE_PLAN_DISABLE_SERVICE && s->path)) {
		const char *path = s->action == EXCISE_PLAN_REMOVE_PATH ? s->target : s->path;
		if (!path)
			return err_set(err, -EXCISE_E_REFUSED, "step %u: no path", s->id);
		int r = safety_check_path(&x->root, path, err);
		if (r < 0)
			return r == -ENOENT ? 0 : r;
	}
	if ((s->action == EXCISE_PLAN_STOP_SERVICE || s->action == EXCISE_PLAN_DISABLE_SERVICE ||
	     s->action == EXCISE_PLAN_UNLOAD_MODULE) && !unit_name_ok(s->target))
		return err_set(err, -EXCISE_E_REFUSED, "step %u: '%s' is not a unit or module name", s->id, s->target);
	return 0;
}

/* Is the host still as the plan saw it? */
static int check_seen(struct run *x, const struct excise_plan_step *s, struct excise_err *err)
{
	if (s->action != EXCISE_PLAN_REMOVE_PATH)
		return 0;
	struct stat st;
	int r = root_lstat(&x->root, s->target, &st);
	if (r == -ENOENT)
		return 0; /* gone already: nothing to do */
	if (r < 0)
		return err_setc(err, r, "step %u: '%s': lstat", s->id, s->target);
	if (!s->seen.known)
		return err_set(err, -EXCISE_E_CHANGED, "step %u: '%s' appeared after the plan was made; rescan",
			       s->id, s->target);
	if (type_of(st.st_mode) != s->seen.type || (uint64_t)st.st_dev != s->seen.dev ||
	    (uint64_t)st.st_ino != s->seen.ino)
		return err_set(err, -EXCISE_E_CHANGED,
			       "step %u: '%s' is not what the plan saw (now a %s, inode %llu; planned a %s, inode %llu): "
			       "it was replaced after the scan; rescan", s->id, s->target,
			       S_ISLNK(st.st_mode) ? "symlink" : S_ISDIR(st.st_mode) ? "directory" : "file",
			       (unsigned long long)st.st_ino,
			       s->seen.type == 'l' ? "symlink" : s->seen.type == 'd' ? "directory" : "file",
			       (unsigned long long)s->seen.ino);
	return 0;
}

/* A package database changed after the scan means the plan may be stale. */
static int check_fresh(struct run *x, struct excise_err *err)
{
	static const char *const dbs[] = {
		"/var/lib/dpkg/status", "/var/lib/dpkg/updates", "/var/lib/rpm/rpmdb.sqlite",
		"/var/lib/rpm/Packages", "/var/lib/rpm/Packages.db", "/usr/lib/sysimage/rpm/rpmdb.sqlite",
	};
	for (size_t i = 0; i < sizeof(dbs) / sizeof(dbs[0]); i++) {
		struct stat st;
		if (root_stat(&x->root, dbs[i], &st) < 0)
			continue;
		int64_t m = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
		if (m > x->p->scanned_ns)
			return err_set(err, -EXCISE_E_CHANGED,
				       "'%s' changed after the scan the plan was made from (report %s): the plan is older "
				       "than the host's state; scan and plan again", dbs[i],
				       x->p->report_id ? x->p->report_id : "?");
	}
	return 0;
}

static int check_host(struct run *x, struct excise_err *err)
{
	const struct excise_plan *p = x->p;
	if (!p->platform || strcmp(p->platform, "linux") != 0)
		return err_set(err, -EXCISE_E_REFUSED,
			       "the plan is for a %s host: excise remove works on Linux hosts and roots; run the plan's "
			       "script (excise plan --emit %s) there", p->platform ? p->platform : "?",
			       p->platform && strcmp(p->platform, "windows") == 0 ? "ps1" : "sh");
	if (p->machine_id && p->machine_id[0]) {
		char *mid = NULL;
		size_t len = 0;
		if (root_read_file(&x->root, "/etc/machine-id", 4096, &mid, &len) == 0) {
			bool same = strcmp(strip(mid), p->machine_id) == 0;
			free(mid);
			if (!same)
				return err_set(err, -EXCISE_E_REFUSED,
					       "the plan was made for machine %s; '%s' is another machine", p->machine_id,
					       x->root.path);
		}
	}
	return 0;
}

/* Everything, before anything is touched (a resumed run: all but the plan's age,
 * which the run itself changed). */
static int preflight(struct run *x, bool resumed, struct excise_err *err)
{
	for (size_t i = 0; i < x->p->n_skipped; i++)
		if (x->p->skipped[i].refused)
			return err_set(err, -EXCISE_E_REFUSED,
				       "the plan's evidence names %s as the vendor's, which a safety rule refuses (%s): "
				       "a report or plan that does is not acted on; scan and plan again",
				       x->p->skipped[i].what, x->p->skipped[i].why);
	int r = check_host(x, err);
	if (r == 0 && !resumed)
		r = check_fresh(x, err);
	for (size_t i = 0; r == 0 && i < x->p->n_steps; i++)
		r = remove_check_one(x, &x->p->steps[i], err);
	return r;
}

/* Whether `s` is among the NULL-terminated `v`. */
static bool listed(const char *const *v, const char *s)
{
	for (; v && *v; v++)
		if (!strcmp(*v, s))
			return true;
	return false;
}

/* The unit a piece of systemd evidence names, as the planner takes it: its file's name,
 * or the value of a NAME indicator (plan.c, plan_unit). */
static bool names_unit(const struct excise_plan_evidence *e, const struct excise_indicator *ind, const char *unit)
{
	const char *b = e->path ? strrchr(e->path, '/') : NULL;
	return (b && !strcmp(b + 1, unit)) || (ind && ind->field == EXCISE_F_NAME && !strcmp(e->value, unit));
}

/* What a Linux step acts on comes from its evidence or from its product's recipe, as the
 * planner makes it: a plan edited to aim a step elsewhere is refused. */
static int check_target_derived(struct run *x, const struct excise_plan_step *s, struct excise_err *err)
{
	const struct excise_product *pr = s->product ? excise_catalog_find_product(x->o->catalog, s->product) : NULL;
	const struct excise_removal *rm = excise_product_removal(pr, "linux");
	bool ok = false;
	switch (s->action) {
	case EXCISE_PLAN_STOP_SERVICE:
	case EXCISE_PLAN_DISABLE_SERVICE:
		ok = rm && listed(rm->services, s->target);
		for (size_t i = 0; i < s->n_evidence && !ok; i++)
			ok = names_unit(&s->evidence[i], rematch_indicator(x->o->catalog, s->evidence[i].indicator), s->target);
		break;
	case EXCISE_PLAN_UNLOAD_MODULE:
		ok = rm && listed(rm->drivers, s->target);
		for (size_t i = 0; i < s->n_evidence && !ok; i++)
			ok = !strcmp(s->evidence[i].value, s->target);
		break;
	case EXCISE_PLAN_KILL_PROCESS:
	case EXCISE_PLAN_REMOVE_PATH:
		ok = s->action == EXCISE_PLAN_REMOVE_PATH && rm && listed(rm->leftovers, s->target);
		for (size_t i = 0; i < s->n_evidence && !ok; i++)
			ok = s->evidence[i].path && !strcmp(s->evidence[i].path, s->target);
		break;
	case EXCISE_PLAN_REMOVE_NSS_CERT: {
		/* an NSS database of the step's own evidence (source nss-certs), where it really is */
		const char *b = s->path ? strrchr(s->path, '/') : NULL;
		for (size_t i = 0; i < s->n_evidence && !ok && b && !strcmp(b, "/cert9.db"); i++) {
			const struct excise_plan_evidence *e = &s->evidence[i];
			char *real = NULL;
			ok = !strcmp(e->source, "nss-certs") && e->path &&
			     (!strcmp(e->path, s->path) || (root_realpath(&x->root, e->path, &real) == 0 && !strcmp(real, s->path)));
			free(real);
		}
		break;
	}
	default:
		return 0;
	}
	return ok ? 0 : err_set(err, -EXCISE_E_REFUSED, "step %u: %s %s: no evidence of the step names it, nor its "
				"product's recipe: the plan was edited; refused", s->id, excise_plan_action_name(s->action),
				s->target);
}

/* Each piece of evidence a step rests on, observed again on the target (remove/rematch.h): the
 * plan (or the report it was made from) may have been edited since. A path gone is no refusal
 * (the step will find nothing to do); evidence that no longer holds is. */
static int check_evidence(struct run *x, const struct excise_plan_step *s, struct excise_err *err)
{
	bool pkg = s->action == EXCISE_PLAN_DPKG_PURGE || s->action == EXCISE_PLAN_RPM_ERASE;
	for (size_t i = 0; i < s->n_evidence; i++) {
		const struct excise_plan_evidence *e = &s->evidence[i];
		const struct excise_indicator *ind = rematch_indicator(x->o->catalog, e->indicator);
		if (!ind)
			return err_set(err, -EXCISE_E_REFUSED, "step %u: its evidence's indicator %s is not in catalog %s %s; "
				       "refused: plan it again with this catalog", s->id, e->indicator,
				       excise_catalog_id(x->o->catalog), excise_catalog_version(x->o->catalog));
		struct rematch_claim c = {
			.source = e->source, .kind = rematch_kind(e->kind), .ind = ind, .value = e->value, .path = e->path,
			.package = pkg ? s->target : NULL,
		};
		if ((s->action == EXCISE_PLAN_REMOVE_CERT || s->action == EXCISE_PLAN_REMOVE_NSS_CERT) &&
		    c.kind == EXCISE_OBS_CERT) {
			c.sha256 = s->target;
			c.path = s->path ? s->path : e->path;
		}
		if (s->action == EXCISE_PLAN_KILL_PROCESS && c.kind == EXCISE_OBS_PROCESS)
			c.pid = s->pid > 0 ? s->pid : -1;
		char why[600];
		int r = rematch_claim(&x->root, x->m, &c, why, sizeof(why));
		if (r == -ENOMEM)
			return err_set(err, r, "out of memory");
		if (r < 0 && r != -ENOENT)
			return err_set(err, -EXCISE_E_REFUSED, "step %u: %s %s: its evidence (%s %s '%s'%s%s, indicator %s) does "
				       "not hold on the target: %s; refused: scan and plan again", s->id,
				       excise_plan_action_name(s->action), s->target, e->source, e->kind, e->value,
				       e->path ? " at " : "", e->path ? e->path : "", e->indicator, why);
	}
	return check_target_derived(x, s, err);
}

int remove_check_one(struct run *x, const struct excise_plan_step *s, struct excise_err *err)
{
	int r = check_step(x, s, err);
	if (r == 0)
		r = check_seen(x, s, err);
	if (r == 0 && (s->action == EXCISE_PLAN_DPKG_PURGE || s->action == EXCISE_PLAN_RPM_ERASE)) {
		bool present;
		r = remove_check_package(x, s, &present, err);
	}
	if (r == 0)
		r = check_evidence(x, s, err);
	if (r == 0 && s->action == EXCISE_PLAN_REMOVE_NSS_CERT) {
		/* a browser with the database open would lose the change or be corrupted by it: the
		 * whole run is refused before anything is touched (and the step checks again) */
		char why[1200];
		int busy = nssdb_busy(&x->root, s->path, why, sizeof(why));
		if (busy < 0)
			r = err_set(err, busy, "out of memory");
		else if (busy)
			r = err_set(err, -EXCISE_E_REFUSED, "step %u: %s %s: %s", s->id, excise_plan_action_name(s->action),
				    s->path, why);
	}
	return r;
}

/* ---- the steps ---- */

int remove_tool(struct run *x, int log_fd, const char *const argv[], struct excise_err *err)
{
	char tail[256];
	int r = spawn_run_in(&x->root, argv, log_fd, tail, sizeof(tail), err);
	if (r > 0)
		remove_say(x, "%s exited with status %d%s%s", argv[0], r, tail[0] ? ": " : "", tail);
	else if (r < 0)
		remove_say(x, "%s", err->msg);
	return r;
}

enum excise_step_outcome remove_put(struct run *x, const char *path, const struct excise_plan_object *seen,
				    struct excise_err *err)
{
	enum quarantine_state qs;
	int r = quarantine_put(x->q, path, seen, &qs, err);
	if (r < 0) {
		remove_say(x, "%s", err->msg);
		return EXCISE_STEP_FAILED;
	}
	if (strset_add(&x->gone, path, strlen(path)) < 0) {
		remove_say(x, "out of memory");
		return EXCISE_STEP_FAILED;
	}
	if (qs == QUARANTINE_GONE) {
		remove_say(x, "'%s' is not there", path);
		return EXCISE_STEP_ALREADY;
	}
	/* moved by an earlier step of this run; or by this very step before it was interrupted */
	if (qs == QUARANTINE_ALREADY && !x->step_interrupted) {
		remove_say(x, "'%s' is in quarantine already (an earlier step moved it)", path);
		return EXCISE_STEP_DONE;
	}
	x->step_moved++;
	remove_say(x, "'%s' moved to quarantine", path);
	return EXCISE_STEP_DONE;
}


/* Whether the entry is of `type` (S_IFDIR, S_IFLNK): from d_type, or from lstat where
 * the filesystem does not say (DT_UNKNOWN: xfs without ftype, some overlays). */
bool remove_entry_is(DIR *dh, const struct dirent *de, mode_t type)
{
	if (de->d_type != DT_UNKNOWN)
		return (mode_t)DTTOIF(de->d_type) == type;
	struct stat st;
	return fstatat(dirfd(dh), de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && (st.st_mode & S_IFMT) == type;
}

static enum excise_step_outcome act(struct run *x, const struct excise_plan_step *s, int log_fd,
				    struct excise_err *err)
{
	const struct action_ops *ops = plan_action(s->action);
	if (s->live_only && !x->root.live) {
		remove_say(x, "nothing to do on an offline root");
		return EXCISE_STEP_SKIPPED;
	}
	if (!ops->apply) {
		remove_say(x, "%s is not a step for Linux", ops->name);
		return EXCISE_STEP_REFUSED;
	}
	return ops->apply(x, s, log_fd, err);
}

static int open_step_log(struct run *x, unsigned id)
{
	char name[32];
	snprintf(name, sizeof(name), "step-%u.log", id);
	return journal_open_log(&x->j, name);
}

static void count(struct excise_remove_result *res, const struct excise_plan_step *s, enum excise_step_outcome o,
		  size_t moved)
{
	res->n_moved += moved;
	if (o == EXCISE_STEP_DONE && (s->action == EXCISE_PLAN_DPKG_PURGE || s->action == EXCISE_PLAN_RPM_ERASE))
		res->n_purged++;
	switch (o) {
	case EXCISE_STEP_DONE: res->n_done++; break;
	case EXCISE_STEP_ALREADY: res->n_already++; break;
	case EXCISE_STEP_SKIPPED: res->n_skipped++; break;
	case EXCISE_STEP_FAILED: res->n_failed++; break;
	case EXCISE_STEP_REFUSED: res->n_refused++; break;
	default: break;
	}
}

/* Run the steps not yet ended, in order; the first failure that no fallback absorbs stops. */
static int run_steps(struct run *x, struct excise_err *err)
{
	const struct excise_plan *p = x->p;
	struct excise_remove_result *res = x->res;
	for (size_t i = 0; i < p->n_steps; i++) {
		const struct excise_plan_step *s = &p->steps[i];
		enum excise_step_outcome prev = i ? res->outcomes[i - 1] : EXCISE_STEP_DONE;
		enum excise_step_outcome o = res->outcomes[i];
		/* ended by an earlier (interrupted) run: done only if the target agrees */
		if (o != EXCISE_STEP_PENDING && o != EXCISE_STEP_FAILED && !remove_undone(x, s, o)) {
			count(res, s, o, x->moved[i]);
			continue;
		}
		if (s->fallback && prev != EXCISE_STEP_FAILED && prev != EXCISE_STEP_REFUSED) {
			o = EXCISE_STEP_SKIPPED;
			remove_say(x, "not needed: step %u succeeded", s->id - 1);
		} else {
			if (x->o->log)
				x->o->log(x->o->userdata, s, p->n_steps, EXCISE_STEP_PENDING, NULL);
			int r = journal_begin(&x->j, s->id, err);
			if (r < 0)
				return r;
			if (x->o->hook)
				x->o->hook(x->o->userdata, s->id, "begin");
			struct excise_err serr = { 0 };
			r = check_step(x, s, &serr);
			if (r < 0) {
				o = EXCISE_STEP_REFUSED;
				remove_say(x, "%s", serr.msg);
			} else {
				int log_fd = open_step_log(x, s->id);
				x->detail[0] = 0;
				x->step_moved = 0;
				x->step_interrupted = x->interrupted && x->interrupted[i];
				o = act(x, s, log_fd, &serr);
				if (log_fd >= 0)
					close(log_fd);
			}
		}
		/* a step carried out again (failed, or interrupted) keeps what it moved before */
		size_t moved = x->moved[i] + x->step_moved;
		x->step_moved = 0;
		int r = journal_end_moved(&x->j, s->id, o, x->detail, moved, err);
		if (r < 0)
			return r;
		res->outcomes[i] = o;
		x->moved[i] = moved;
		count(res, s, o, moved);
		if (s->reboot && (o == EXCISE_STEP_DONE))
			res->reboot_required = true;
		if (x->o->log)
			x->o->log(x->o->userdata, s, p->n_steps, o, x->detail);
		if (x->o->hook)
			x->o->hook(x->o->userdata, s->id, "end");
		if (o == EXCISE_STEP_FAILED || o == EXCISE_STEP_REFUSED) {
			bool rescued = i + 1 < p->n_steps && p->steps[i + 1].fallback;
			if (!rescued)
				break;
			res->n_failed -= o == EXCISE_STEP_FAILED;
			res->n_refused -= o == EXCISE_STEP_REFUSED;
		} else if (s->fallback && (prev == EXCISE_STEP_FAILED || prev == EXCISE_STEP_REFUSED) &&
			   o != EXCISE_STEP_DONE && o != EXCISE_STEP_ALREADY) {
			break;
		}
	}
	return 0;
}

/* ---- runs ---- */

static int mkdir_chain(const struct root *r, const char *path, struct excise_err *err)
{
	int fd = root_mkdir_p(r, path, 0700);
	if (fd < 0)
		return err_setc(err, fd, "'%s' under '%s': create", path, r->path);
	return fd;
}

static void run_done(struct run *x)
{
	if (x->journaled)
		journal_close(&x->j);
	if (x->q)
		quarantine_close(x->q);
	matcher_free(x->m);
	strset_done(&x->gone);
	free(x->moved);
	free(x->interrupted);
	if (x->root_open)
		root_done(&x->root);
	free(x->quarantine_dir);
}

static int new_result(struct run *x, const char *run_id, struct excise_err *err)
{
	struct excise_remove_result *res = calloc(1, sizeof(*res));
	if (!x->moved)
		x->moved = calloc(x->p->n_steps + 1, sizeof(*x->moved));
	if (!res || !x->moved || !(res->outcomes = calloc(x->p->n_steps + 1, sizeof(*res->outcomes)))) {
		if (res)
			free(res->outcomes);
		free(res);
		return err_set(err, -ENOMEM, "out of memory");
	}
	memcpy(res->run_id, run_id, 37);
	res->n_steps = x->p->n_steps;
	x->res = res;
	return 0;
}

static int run_setup(struct run *x, const char *root, struct excise_err *err)
{
	int r = root_open(root, &x->root, err);
	if (r < 0)
		return r;
	x->root_open = true;
	if (x->p && x->p->live != x->root.live)
		return err_set(err, -EXCISE_E_REFUSED, "the plan is for %s, not for '%s'",
			       x->p->live ? "the live host" : "an offline root", root);
	/* the indicators of the scan's platforms, as the plan re-matched with (plan.c) */
	r = matcher_new(x->o->catalog, x->p && x->p->platforms ? x->p->platforms : "linux", &x->m, err);
	if (r < 0)
		return r;
	strset_init(&x->gone);
	return 0;
}

static char *host_path(const struct root *r, const char *sub)
{
	return r->live ? strdup(sub) : path_join(r->path, sub);
}

/* The runs folder `runs` (a host path; made later) must not lie inside an offline
 * root: what the image can write, it could edit. Its nearest existing directory is
 * what is checked. */
static int runs_outside(const struct root *r, const char *runs, struct excise_err *err)
{
	struct stat top;
	if (r->live)
		return 0;
	if (fstat(r->fd, &top) < 0)
		return err_setc(err, -errno, "root '%s'", r->path);
	char *p = strdup(runs);
	if (!p)
		return err_set(err, -ENOMEM, "out of memory");
	int fd = -1;
	for (char *slash; (fd = open(p, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0 && errno == ENOENT &&
			  (slash = strrchr(p, '/')) && slash != p;)
		*slash = 0;
	if (fd < 0 && errno == ENOENT)
		fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	int e = fd < 0 ? err_setc(err, -errno, "runs folder '%s'", runs) : 0;
	if (e == 0 && rundir_below(fd, &top))
		e = err_set(err, -EXCISE_E_REFUSED,
			    "the runs folder '%s' lies inside the root '%s': a run's records never live in the image "
			    "it acts on; give --runs-dir a folder outside it", runs, r->path);
	if (fd >= 0)
		close(fd);
	free(p);
	return e;
}

int excise_remove_run(const struct excise_plan *p, const struct excise_remove_opts *o,
		      struct excise_remove_result **ret, struct excise_err *err)
{
	*ret = NULL;
	if (!p || !o || !o->catalog || !p->root)
		return err_set(err, -EXCISE_E_USAGE, "excise_remove_run: plan, options and catalog are required");
	struct run x = { .p = p, .o = o };
	char run_id[37];
	int r = uuid_v4(run_id);
	if (r < 0)
		return err_setc(err, r, "run id");
	r = excise_target_check(o->root, p->root, "plan", err);
	if (r == 0)
		r = run_setup(&x, p->root, err);
	if (r == 0 && !o->apply)
		remove_dry_steps(&x);
	if (r == 0)
		r = preflight(&x, false, err);
	if (r == 0)
		r = new_result(&x, run_id, err);
	if (r < 0 || !o->apply)
		goto out;

	/* the run directory on the host, outside an offline root; the store inside the root
	 * (or where the operator said) */
	struct root host = { .fd = -1 };
	r = root_open("/", &host, err);
	if (r < 0)
		goto out;
	char *runs = strdup(o->runs_dir ? o->runs_dir : EXCISE_HOST_RUNS_DIR);
	x.quarantine_dir = o->quarantine_dir ? strdup(o->quarantine_dir) : host_path(&x.root, EXCISE_QUARANTINE_DIR);
	int runs_fd = -1;
	if (!runs || !x.quarantine_dir)
		r = err_set(err, -ENOMEM, "out of memory");
	else
		r = runs_outside(&x.root, runs, err);
	if (r >= 0)
		r = runs_fd = mkdir_chain(&host, runs, err);
	/* one removal at a time per root: the root's own directory is locked (the runs
	 * folder is shared by the runs of every root) */
	int root_lock = r >= 0 ? openat(x.root.fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
	if (r >= 0 && (root_lock < 0 || flock(root_lock, LOCK_EX | LOCK_NB) < 0))
		r = root_lock < 0 ? err_setc(err, -errno, "root '%s': lock", p->root) :
				    err_set(err, -EBUSY, "another removal is running on '%s' (it is locked)", p->root);
	char *plan_json = NULL;
	size_t plan_len = 0;
	if (r >= 0) {
		FILE *f = open_memstream(&plan_json, &plan_len);
		r = f ? excise_plan_write(p, EXCISE_PLAN_JSON, f, err) : err_set(err, -ENOMEM, "out of memory");
		if (f && fclose(f) != 0 && r >= 0)
			r = err_set(err, -ENOMEM, "out of memory");
	}
	if (r >= 0)
		r = journal_create(runs_fd, runs, run_id, plan_json, plan_len, x.root.path, x.quarantine_dir,
				   p->n_steps, &x.j, err);
	x.journaled = r >= 0;
	free(plan_json);
	/* the run directory's lock is the one --resume and restore take */
	if (r >= 0 && flock(x.j.dir_fd, LOCK_EX | LOCK_NB) < 0)
		r = err_setc(err, -errno, "'%s': lock", x.j.dir);
	if (r >= 0)
		r = quarantine_open(&x.root, o->quarantine_dir ? x.quarantine_dir : NULL, run_id, x.j.dir_fd, &x.q, err);
	if (r >= 0) {
		x.res->run_dir = strdup(x.j.dir);
		r = run_steps(&x, err);
	}
	if (runs_fd >= 0)
		close(runs_fd);
	if (root_lock >= 0)
		close(root_lock);
	free(runs);
	if (host.fd >= 0)
		root_done(&host);
out:
	if (r < 0) {
		excise_remove_result_free(x.res);
		x.res = NULL;
	}
	*ret = x.res;
	run_done(&x);
	return r < 0 ? r : 0;
}

/* The store of a resumed run: inside the root when the journal records the root's
 * default one, else the host folder the operator gave --quarantine. */
static const char *resume_store(const struct run *x, const char *recorded, char **tmp)
{
	*tmp = host_path(&x->root, EXCISE_QUARANTINE_DIR);
	return *tmp && strcmp(*tmp, recorded) == 0 ? NULL : recorded;
}

/* The run's plan and journal against the root named: the same root, steps and host. */
static int resume_check(struct run *x, const struct journal_state *st, struct excise_err *err)
{
	if (x->p->n_steps != st->n_steps)
		return err_set(err, -EXCISE_E_CORRUPT, "'%s': the journal announces %zu steps, the plan has %zu",
			       x->j.dir, st->n_steps, x->p->n_steps);
	struct excise_err e2 = { 0 };
	if (excise_target_check(x->root.path, x->p->root, "plan", &e2) < 0)
		return err_set(err, -EXCISE_E_REFUSED, "run '%s': its plan is for the root '%s', not '%s': refused, "
			       "nothing was touched", x->j.dir, x->p->root ? x->p->root : "?", x->root.path);
	return preflight(x, true, err);
}

int excise_remove_resume(const char *run_dir, const struct excise_remove_opts *o,
			 struct excise_remove_result **ret, struct excise_err *err)
{
	*ret = NULL;
	if (!run_dir || !o || !o->catalog)
		return err_set(err, -EXCISE_E_USAGE, "excise_remove_resume: run directory and catalog are required");
	if (o->root && !*o->root)
		return err_set(err, -EXCISE_E_USAGE, "--root: empty path");
	struct journal_state st = { 0 };
	char *plan_text = NULL, *store = NULL;
	size_t plan_len = 0;
	int lock_fd = -1;
	struct run x = { .o = o, .j = { .dir_fd = -1, .fd = -1 } };
	/* the root is the one named (none: the live host), the records are checked against it */
	int r = run_setup(&x, o->root ? o->root : "/", err), dfd = -1;
	if (r == 0)
		r = dfd = rundir_open(run_dir, &x.root, o->root != NULL, o->runs_dir, err);
	if (r >= 0)
		r = journal_open_locked_at(dfd, run_dir, &lock_fd, &x.j, &plan_text, &plan_len, &st, err);
	if (dfd >= 0)
		close(dfd);
	x.journaled = r >= 0;
	struct excise_plan *p = NULL;
	char name[4200];
	snprintf(name, sizeof(name), "%s/plan.json", run_dir);
	if (r >= 0)
		r = excise_plan_read_json(name, plan_text, plan_len, &p, err);
	free(plan_text);
	x.p = p;
	if (r >= 0 && p->live != x.root.live)
		r = err_set(err, -EXCISE_E_REFUSED, "the plan is for %s, not for '%s'",
			    p->live ? "the live host" : "an offline root", x.root.path);
	if (r >= 0)
		r = resume_check(&x, &st, err);
	if (r >= 0)
		r = new_result(&x, st.run_id, err);
	if (r >= 0) {
		x.quarantine_dir = strdup(st.quarantine);
		const char *where = resume_store(&x, st.quarantine, &store);
		r = quarantine_open(&x.root, where, st.run_id, x.j.dir_fd, &x.q, err);
	}
	if (r >= 0) {
		for (size_t i = 0; i < p->n_steps; i++) {
			x.res->outcomes[i] = st.outcomes[i];
			x.moved[i] = st.moved[i];
		}
		x.interrupted = calloc(p->n_steps + 1, sizeof(*x.interrupted));
		for (size_t i = 0; x.interrupted && i < p->n_steps; i++)
			x.interrupted[i] = st.begun[i] && st.outcomes[i] == EXCISE_STEP_PENDING;
		x.res->run_dir = strdup(run_dir);
		r = x.interrupted ? run_steps(&x, err) : err_set(err, -ENOMEM, "out of memory");
	}
	if (r >= 0 && !x.res->n_failed && !x.res->n_refused)
		r = remove_settle(&x, err);
	if (r < 0) {
		excise_remove_result_free(x.res);
		x.res = NULL;
	}
	*ret = x.res;
	free(store);
	journal_state_done(&st);
	run_done(&x);
	excise_plan_free(p);
	if (lock_fd >= 0)
		close(lock_fd);
	return r < 0 ? r : 0;
}

struct excise_remove_result *excise_remove_result_free(struct excise_remove_result *r)
{
	if (r) {
		free(r->outcomes);
		free(r->run_dir);
		free(r);
	}
	return NULL;
}
