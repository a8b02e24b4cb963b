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
 * in the run directory.
 */
#include "excise/remove.h"

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <jansson.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "catalog/match.h"
#include "core/digest.h"
#include "core/err.h"
#include "core/hash.h"
#include "core/limits.h"
#include "core/paths.h"
#include "core/root.h"
#include "core/text.h"
#include "core/x509name.h"
#include "parse/pem.h"
#include "remove/journal.h"
#include "remove/pkgdb.h"
#include "remove/quarantine.h"
#include "parse/dpkg.h"
#include "parse/rpmdb.h"
#include "remove/safety.h"
#include "remove/spawn.h"

#define BACKUPS_FILE "backups.jsonl"
#define KILL_WAIT_MS 5000

/* Bundles that update-ca-certificates / update-ca-trust generate. */
static const char *const generated_bundles[] = {
	"/etc/ssl/certs/ca-certificates.crt",
	"/etc/pki/tls/certs/ca-bundle.crt",
	"/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",
	"/etc/ssl/ca-bundle.pem",
};

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
	char detail[1024];
	char *quarantine_dir;
};

static const char *const outcome_words[] = {
	[EXCISE_STEP_PENDING] = "pending", [EXCISE_STEP_DONE] = "done",
	[EXCISE_STEP_ALREADY] = "already gone", [EXCISE_STEP_SKIPPED] = "skipped",
	[EXCISE_STEP_FAILED] = "failed", [EXCISE_STEP_REFUSED] = "refused",
};

const char *excise_step_outcome_name(enum excise_step_outcome o)
{
	return (unsigned)o < sizeof(outcome_words) / sizeof(outcome_words[0]) ? outcome_words[o] : "?";
}

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void say(struct run *x, const char *fmt, ...) PRINTF(2, 3);
static void say(struct run *x, const char *fmt, ...)
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

static enum pkgdb_kind kind_of(const struct excise_plan_step *s)
{
	return s->action == EXCISE_PLAN_DPKG_PURGE ? PKGDB_DPKG : PKGDB_RPM;
}

/* The vendor rule for a package step, as the package database says now. */
static int check_package(struct run *x, const struct excise_plan_step *s, bool *present, struct excise_err *err)
{
	struct pkg_info pi;
	int r = pkgdb_query(&x->root, kind_of(s), s->target, -1, &pi, err);
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

static bool action_is_linux(enum excise_plan_action a)
{
	return a != EXCISE_PLAN_MSI_UNINSTALL && a != EXCISE_PLAN_VENDOR_REMOVER && a != EXCISE_PLAN_DELETE_REGKEY;
}

static bool acts_on_path(const struct excise_plan_step *s)
{
	return s->action == EXCISE_PLAN_REMOVE_PATH || s->action == EXCISE_PLAN_REMOVE_CERT;
}

static char type_of(mode_t m)
{
	return S_ISREG(m) ? 'f' : S_ISDIR(m) ? 'd' : S_ISLNK(m) ? 'l' : 'o';
}

/* The rules every step must pass just before it runs. */
static int check_step(struct run *x, const struct excise_plan_step *s, struct excise_err *err)
{
	if (!action_is_linux(s->action))
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

/* Everything, before anything is touched. */
static int preflight(struct run *x, struct excise_err *err)
{
	for (size_t i = 0; i < x->p->n_skipped; i++)
		if (x->p->skipped[i].refused)
			return err_set(err, -EXCISE_E_REFUSED,
				       "the plan's evidence names %s as the vendor's, which a safety rule refuses (%s): "
				       "a report or plan that does is not acted on; scan and plan again",
				       x->p->skipped[i].what, x->p->skipped[i].why);
	int r = check_host(x, err);
	if (r == 0)
		r = check_fresh(x, err);
	for (size_t i = 0; r == 0 && i < x->p->n_steps; i++) {
		const struct excise_plan_step *s = &x->p->steps[i];
		r = check_step(x, s, err);
		if (r == 0)
			r = check_seen(x, s, err);
		if (r == 0 && (s->action == EXCISE_PLAN_DPKG_PURGE || s->action == EXCISE_PLAN_RPM_ERASE)) {
			bool present;
			r = check_package(x, s, &present, err);
		}
	}
	return r;
}

/* ---- the steps ---- */

static int run_tool(struct run *x, int log_fd, const char *const argv[], struct excise_err *err)
{
	char tail[256];
	int r = spawn_run(argv, log_fd, tail, sizeof(tail), err);
	if (r > 0)
		say(x, "%s exited with status %d%s%s", argv[0], r, tail[0] ? ": " : "", tail);
	else if (r < 0)
		say(x, "%s", err->msg);
	return r;
}

static enum excise_step_outcome put(struct run *x, const char *path, const struct excise_plan_object *seen,
				    struct excise_err *err)
{
	enum quarantine_state qs;
	int r = quarantine_put(x->q, path, seen, &qs, err);
	if (r < 0) {
		say(x, "%s", err->msg);
		return EXCISE_STEP_FAILED;
	}
	if (strset_add(&x->gone, path, strlen(path)) < 0) {
		say(x, "out of memory");
		return EXCISE_STEP_FAILED;
	}
	if (qs == QUARANTINE_GONE) {
		say(x, "'%s' is not there", path);
		return EXCISE_STEP_ALREADY;
	}
	say(x, "'%s' moved to quarantine", path);
	return EXCISE_STEP_DONE;
}

/* The directory `dir` of the root is the same seen from inside it and from the host
 * (or missing both ways): no symlink on the way leads out of the root. */
static int same_both_ways(struct run *x, const char *dir, const char *pkg, struct excise_err *err)
{
	struct stat in, out;
	int a = root_openat(&x->root, dir, O_PATH | O_DIRECTORY);
	char *host = NULL;
	int b = asprintf(&host, "%s%s", x->root.path, dir) < 0 ? -ENOMEM : open(host, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (b < 0 && host)
		b = -errno;
	free(host);
	bool missing = (a == -ENOENT || a == -ENOTDIR) && (b == -ENOENT || b == -ENOTDIR);
	bool same = a >= 0 && b >= 0 && fstat(a, &in) == 0 && fstat(b, &out) == 0 && in.st_dev == out.st_dev &&
		    in.st_ino == out.st_ino;
	if (a >= 0)
		close(a);
	if (b >= 0)
		close(b);
	if (b == -ENOMEM)
		return err_set(err, -ENOMEM, "out of memory");
	if (missing || same)
		return 0;
	return err_set(err, -EXCISE_E_ESCAPE, "package %s: '%s' is not the same directory seen from the host (a "
		       "symlink that leads out of the root): dpkg would act on the host's files; not removed", pkg, dir);
}

/* A name in dpkg's info directory that belongs to `pkg` (PKG.EXT or PKG:ARCH.EXT). */
static bool info_of(const char *name, const char *pkg, const char *ext)
{
	size_t n = strlen(pkg), e = strlen(ext), l = strlen(name);
	if (l < n + e || strncmp(name, pkg, n) || strcmp(name + l - e, ext))
		return false;
	return l == n + e || (name[n] == ':' && l > n + 1 + e);
}

struct list_check {
	struct run *x;
	const char *pkg;
	struct strset *dirs;     /* checked already */
	struct excise_err *err;
};

static int check_list_dir(void *ud, const char *dir, size_t len)
{
	struct list_check *lc = ud;
	if (strset_has(lc->dirs, dir, len))
		return 0;
	char *d = strndup(dir, len);
	int r = !d || strset_add(lc->dirs, dir, len) < 0 ? err_set(lc->err, -ENOMEM, "out of memory")
							  : same_both_ways(lc->x, d, lc->pkg, lc->err);
	free(d);
	return r;
}

/*
 * Before dpkg --root purges `pkg` in an offline root. dpkg joins the root and each
 * path of the package to act on it, so the host's kernel resolves the symlinks on
 * the way: every directory of dpkg's database and of the package's file list must be
 * the same from inside the root and from the host. And the package's maintainer
 * scripts are programs of the image: they go into the quarantine instead of being
 * run (chrooted, but as root) on this machine; what they would have cleaned up is a
 * leftover for the rescan.
 */
static int dpkg_offline_guard(struct run *x, const char *pkg, struct excise_err *err)
{
	static const char *const admin[] = { "/var", "/var/lib", "/var/lib/dpkg", "/var/lib/dpkg/info" };
	for (size_t i = 0; i < sizeof(admin) / sizeof(admin[0]); i++) {
		int r = same_both_ways(x, admin[i], pkg, err);
		if (r < 0)
			return r;
	}
	DIR *dh = NULL;
	int r = root_opendir(&x->root, "/var/lib/dpkg/info", &dh);
	if (r < 0)
		return err_setc(err, r, "package %s: opening /var/lib/dpkg/info", pkg);
	struct strset dirs;
	strset_init(&dirs);
	struct dirent *de;
	char **scripts = NULL;
	size_t n_scripts = 0;
	while (r == 0 && (de = readdir(dh))) {
		if (info_of(de->d_name, pkg, ".prerm") || info_of(de->d_name, pkg, ".postrm")) {
			char **v = realloc(scripts, (n_scripts + 1) * sizeof(*v));
			char *p = v ? path_join("/var/lib/dpkg/info", de->d_name) : NULL;
			if (v)
				scripts = v;
			if (!p) {
				r = err_set(err, -ENOMEM, "out of memory");
				break;
			}
			scripts[n_scripts++] = p;
			continue;
		}
		if (!info_of(de->d_name, pkg, ".list"))
			continue;
		char *lp = path_join("/var/lib/dpkg/info", de->d_name), *text = NULL;
		size_t len = 0;
		r = lp ? root_read_file(&x->root, lp, EXCISE_MAX_DPKG_LIST_SIZE, &text, &len) : -ENOMEM;
		if (r < 0) {
			r = r == -EXCISE_E_TOOBIG ? err_set(err, r, "'%s': over %u bytes", lp, EXCISE_MAX_DPKG_LIST_SIZE)
						  : err_setc(err, r, "'%s'", lp ? lp : de->d_name);
			free(lp);
			break;
		}
		struct list_check lc = { .x = x, .pkg = pkg, .dirs = &dirs, .err = err };
		r = dpkg_list_dirs(text, len, check_list_dir, &lc);
		free(text);
		free(lp);
	}
	closedir(dh);
	strset_done(&dirs);
	for (size_t i = 0; i < n_scripts; i++) {
		if (r == 0 && put(x, scripts[i], NULL, err) == EXCISE_STEP_FAILED)
			r = err->code ? err->code : -EIO;
		free(scripts[i]);
	}
	free(scripts);
	return r;
}

static enum excise_step_outcome do_package(struct run *x, const struct excise_plan_step *s, int log_fd,
					   struct excise_err *err)
{
	bool present;
	int r = check_package(x, s, &present, err);
	if (r < 0) {
		say(x, "%s", err->msg);
		return r == -EXCISE_E_REFUSED ? EXCISE_STEP_REFUSED : EXCISE_STEP_FAILED;
	}
	if (!present) {
		say(x, "package %s is not installed", s->target);
		return EXCISE_STEP_ALREADY;
	}
	char opt[4200];
	if (s->action == EXCISE_PLAN_DPKG_PURGE) {
		snprintf(opt, sizeof(opt), "--root=%s", x->root.path);
		const char *live[] = { "dpkg", "--purge", "--", s->target, NULL };
		const char *off[] = { "dpkg", opt, "--purge", "--", s->target, NULL };
		if (!x->root.live && (r = dpkg_offline_guard(x, s->target, err)) < 0) {
			say(x, "%s", err->msg);
			return r == -EXCISE_E_ESCAPE ? EXCISE_STEP_REFUSED : EXCISE_STEP_FAILED;
		}
		r = run_tool(x, log_fd, x->root.live ? live : off, err);
	} else {
		const char *db = rpmdb_dir(&x->root);
		/* offline, the package's scriptlets are programs of the image: never run here */
		const char *live[] = { "rpm", "--dbpath", db ? db : "/var/lib/rpm", "-e", "--", s->target, NULL };
		const char *off[] = { "rpm", "--root", x->root.path, "--dbpath", db ? db : "/var/lib/rpm",
				      "--noscripts", "--notriggers", "-e", "--", s->target, NULL };
		r = run_tool(x, log_fd, x->root.live ? live : off, err);
	}
	/* the result is what the database says afterwards, not the exit status */
	struct pkg_info pi;
	int q = pkgdb_query(&x->root, kind_of(s), s->target, log_fd, &pi, err);
	bool gone = q == 0 && !pi.present;
	if (q == 0)
		pkg_info_done(&pi);
	if (gone) {
		say(x, "package %s %s removed (%s)", s->target, s->version ? s->version : "",
		    s->action == EXCISE_PLAN_DPKG_PURGE ? "dpkg --purge" : "rpm -e");
		return EXCISE_STEP_DONE;
	}
	if (r == 0)
		say(x, "package %s is still in the database after removal", s->target);
	return EXCISE_STEP_FAILED;
}

/* Whether the entry is of `type` (S_IFDIR, S_IFLNK): from d_type, or from lstat where
 * the filesystem does not say (DT_UNKNOWN: xfs without ftype, some overlays). */
static bool entry_is(DIR *dh, const struct dirent *de, mode_t type)
{
	if (de->d_type != DT_UNKNOWN)
		return (mode_t)DTTOIF(de->d_type) == type;
	struct stat st;
	return fstatat(dirfd(dh), de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && (st.st_mode & S_IFMT) == type;
}

/* Offline: a unit is disabled by removing the links that enable it. */
static enum excise_step_outcome disable_offline(struct run *x, const struct excise_plan_step *s,
						struct excise_err *err)
{
	static const char *const dirs[] = { "/etc/systemd/system", "/usr/local/lib/systemd/system" };
	size_t moved = 0;
	for (size_t d = 0; d < sizeof(dirs) / sizeof(dirs[0]); d++) {
		DIR *dh;
		if (root_opendir(&x->root, dirs[d], &dh) < 0)
			continue;
		struct dirent *de;
		char **links = NULL;
		size_t n = 0;
		while ((de = readdir(dh))) {
			size_t l = strlen(de->d_name);
			bool sub = (l > 6 && strcmp(de->d_name + l - 6, ".wants") == 0) ||
				   (l > 9 && strcmp(de->d_name + l - 9, ".requires") == 0) ||
				   (l > 8 && strcmp(de->d_name + l - 8, ".upholds") == 0);
			if (!sub || !entry_is(dh, de, S_IFDIR))
				continue;
			char *sd = path_join(dirs[d], de->d_name);
			char *lp = sd ? path_join(sd, s->target) : NULL;
			free(sd);
			struct stat st;
			if (lp && root_lstat(&x->root, lp, &st) == 0 && S_ISLNK(st.st_mode)) {
				char **v = realloc(links, (n + 1) * sizeof(*v));
				if (v) {
					links = v;
					links[n++] = lp;
					lp = NULL;
				}
			}
			free(lp);
		}
		closedir(dh);
		enum excise_step_outcome o = EXCISE_STEP_DONE;
		for (size_t i = 0; i < n; i++) {
			if (o == EXCISE_STEP_DONE && put(x, links[i], NULL, err) == EXCISE_STEP_FAILED)
				o = EXCISE_STEP_FAILED;
			else if (o == EXCISE_STEP_DONE)
				moved++;
			free(links[i]);
		}
		free(links);
		if (o == EXCISE_STEP_FAILED)
			return o;
	}
	if (!moved) {
		say(x, "%s is not enabled", s->target);
		return EXCISE_STEP_ALREADY;
	}
	say(x, "%s disabled: %zu enablement link%s moved to quarantine", s->target, moved, moved == 1 ? "" : "s");
	return EXCISE_STEP_DONE;
}

static enum excise_step_outcome do_kill(struct run *x, const struct excise_plan_step *s)
{
	char proc[64], exe[4096];
	snprintf(proc, sizeof(proc), "/proc/%lld/exe", (long long)s->pid);
	ssize_t k = s->pid > 1 ? readlink(proc, exe, sizeof(exe) - 1) : -1;
	if (k < 0) {
		say(x, "process %lld is gone", (long long)s->pid);
		return EXCISE_STEP_ALREADY;
	}
	exe[k] = 0;
	if (strcmp(exe, s->target) != 0) {
		say(x, "process %lld now runs '%s', not '%s': left alone", (long long)s->pid, exe, s->target);
		return EXCISE_STEP_ALREADY;
	}
	kill((pid_t)s->pid, SIGTERM);
	for (int waited = 0; waited <= KILL_WAIT_MS; waited += 50) {
		if (kill((pid_t)s->pid, 0) < 0 && errno == ESRCH) {
			say(x, "process %lld (%s) ended", (long long)s->pid, s->target);
			return EXCISE_STEP_DONE;
		}
		if (waited == KILL_WAIT_MS / 2)
			kill((pid_t)s->pid, SIGKILL);
		nanosleep(&(struct timespec){ .tv_nsec = 50000000 }, NULL);
	}
	say(x, "process %lld (%s) did not end", (long long)s->pid, s->target);
	return EXCISE_STEP_FAILED;
}

/* ---- trust stores ---- */

struct cert_count {
	const char *const *targets;
	size_t n_targets;
	size_t matched;
	struct buf *keep;            /* when rewriting: the text without the matched blocks */
	const char *text;            /* the text walked, and how far keep has copied it */
	size_t copied;
};

static bool block_matches(const struct pem_block *b, const char *const *targets, size_t n)
{
	BIO *bio = BIO_new_mem_buf(b->data, (int)b->len);
	X509 *c = bio ? (b->trusted ? PEM_read_bio_X509_AUX(bio, NULL, NULL, NULL)
				    : PEM_read_bio_X509(bio, NULL, NULL, NULL)) : NULL;
	BIO_free(bio);
	unsigned char md[32];
	bool hit = false;
	if (c && cert_sha256(c, md)) {
		char hex[65];
		for (int i = 0; i < 32; i++)
			snprintf(hex + 2 * i, 3, "%02x", md[i]);
		for (size_t i = 0; i < n && !hit; i++)
			hit = strcasecmp(hex, targets[i]) == 0;
	}
	X509_free(c);
	return hit;
}

static int count_cb(void *ud, const struct pem_block *b)
{
	struct cert_count *cc = ud;
	bool hit = block_matches(b, cc->targets, cc->n_targets);
	cc->matched += hit;
	/* only the matched block's own bytes go: comments, keys, CRLs and other text stay */
	if (hit && cc->keep) {
		buf_add(cc->keep, cc->text + cc->copied, b->offset - cc->copied);
		cc->copied = b->offset + b->len;
	}
	return 0;
}

static int count_certs(const char *data, size_t len, struct cert_count *cc)
{
	cc->text = data;
	cc->copied = 0;
	int r = pem_cert_blocks(data, len, EXCISE_MAX_CERTS_PER_BUNDLE, count_cb, cc, NULL);
	if (r == 0 && cc->keep)
		buf_add(cc->keep, data + cc->copied, len - cc->copied);
	return r;
}

/* How many times `data` holds the certificate `sha` (< 0 on a parse error); *alone
 * says whether nothing but white space is there besides. */
static int cert_in(const char *data, size_t len, const char *sha, bool *alone)
{
	const char *t[] = { sha };
	struct buf rest;
	buf_init(&rest, EXCISE_MAX_PEM_BUNDLE_SIZE);
	struct cert_count cc = { .targets = t, .n_targets = 1, .keep = &rest };
	int r = count_certs(data, len, &cc);
	*alone = r == 0 && !rest.err;
	for (size_t i = 0; *alone && i < rest.n; i++)
		*alone = strchr(" \t\r\n", rest.p[i]) != NULL;
	buf_done(&rest);
	return r < 0 ? r : (int)cc.matched;
}

/* Record a bundle's original bytes in the run directory before it is rewritten. */
static int save_backup(struct run *x, const char *path, const char *data, size_t len, const struct stat *st,
		       const char *after_hex, struct excise_err *err)
{
	char name[64];
	snprintf(name, sizeof(name), "bundle-%lld.orig", (long long)(now_ns() / 1000));
	int fd = openat(x->j.dir_fd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return err_setc(err, -errno, "'%s/%s': create", x->j.dir, name);
	int r = write_fd_all(fd, data, len);
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	close(fd);
	if (r < 0)
		return err_setc(err, r, "'%s/%s': write", x->j.dir, name);
	json_t *rec = json_pack("{s:s, s:s, s:s, s:I, s:I}", "path", path, "backup", name, "sha256_after", after_hex,
				"atime_ns", (json_int_t)st->st_atim.tv_sec * 1000000000 + st->st_atim.tv_nsec,
				"mtime_ns", (json_int_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec);
	char *line = rec ? json_dumps(rec, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
	json_decref(rec);
	if (!line)
		return err_set(err, -ENOMEM, "out of memory");
	fd = openat(x->j.dir_fd, BACKUPS_FILE, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
	size_t ll = strlen(line);
	line[ll] = '\n';
	r = fd < 0 ? -errno : write_fd_all(fd, line, ll + 1);
	if (r == 0 && fdatasync(fd) < 0)
		r = -errno;
	if (fd >= 0)
		close(fd);
	free(line);
	/* the new names must be on disk before the bundle is rewritten */
	if (r == 0 && fsync(x->j.dir_fd) < 0)
		r = -errno;
	return r < 0 ? err_setc(err, r, "'%s/" BACKUPS_FILE "': write", x->j.dir) : 0;
}

/* Rewrite the bundle at `path` without the target certificates: the original
 * bytes go to the run directory first, the new file replaces it atomically with
 * the same owner and mode. Returns the number of certificates removed, or < 0. */
static int filter_bundle(struct run *x, const char *path, const char *const *targets, size_t n,
			 struct excise_err *err)
{
	char *data = NULL;
	size_t len = 0;
	int fd = root_openat_nofollow(&x->root, path, O_RDONLY);
	/* not there, or reached through a link: the file it leads to has its own name in
	 * the list (RHEL's tls/certs/ca-bundle.crt, Fedora's /etc/ssl/certs) */
	if (fd == -ENOENT || fd == -ENOTDIR || fd == -ELOOP || fd == -EXDEV)
		return 0;
	if (fd < 0)
		return err_setc(err, fd, "'%s': open", path);
	struct stat st;
	int r = fstat(fd, &st) < 0 ? -errno : read_fd_all(fd, EXCISE_MAX_PEM_BUNDLE_SIZE, &data, &len);
	close(fd);
	if (r < 0)
		return err_setc(err, r, "'%s': read", path);
	struct buf keep;
	buf_init(&keep, EXCISE_MAX_PEM_BUNDLE_SIZE);
	struct cert_count cc = { .targets = targets, .n_targets = n, .keep = &keep };
	r = count_certs(data, len, &cc);
	if (r == 0 && keep.err)
		r = err_setc(err, keep.err, "'%s': rewriting the bundle", path);
	if (r == 0 && cc.matched == 0) {
		free(data);
		buf_done(&keep);
		return 0;
	}
	char after[65];
	(void)!sha256_hex(keep.p, keep.n, after);
	if (r == 0)
		r = save_backup(x, path, data, len, &st, after, err);
	free(data);
	/* nothing may have written it since it was read: that write would be lost */
	struct stat now;
	if (r == 0 && (root_lstat(&x->root, path, &now) < 0 || now.st_ino != st.st_ino || now.st_dev != st.st_dev ||
		       now.st_size != st.st_size || now.st_mtim.tv_sec != st.st_mtim.tv_sec ||
		       now.st_mtim.tv_nsec != st.st_mtim.tv_nsec || now.st_ctim.tv_sec != st.st_ctim.tv_sec ||
		       now.st_ctim.tv_nsec != st.st_ctim.tv_nsec))
		r = err_set(err, -EXCISE_E_CHANGED, "'%s' changed while it was being rewritten: left as it is", path);
	if (r == 0) {
		r = root_replace_file(&x->root, path, keep.p, keep.n, &st, NULL);
		if (r < 0)
			r = err_setc(err, r, "'%s': rewrite", path);
	}
	buf_done(&keep);
	return r < 0 ? r : (int)cc.matched;
}

static bool is_generated_bundle(const char *path)
{
	for (size_t i = 0; i < sizeof(generated_bundles) / sizeof(generated_bundles[0]); i++)
		if (strcmp(path, generated_bundles[i]) == 0)
			return true;
	return false;
}

/* Whether the file at `path` holds the certificate `sha` and nothing else but white space. */
static bool cert_alone(struct run *x, const char *path, const char *sha)
{
	char *data = NULL;
	size_t len = 0;
	if (root_read_file(&x->root, path, EXCISE_MAX_PEM_BUNDLE_SIZE, &data, &len) < 0)
		return false;
	bool alone;
	int n = cert_in(data, len, sha, &alone);
	free(data);
	return n > 0 && alone;
}

static enum excise_step_outcome do_cert(struct run *x, const struct excise_plan_step *s, struct excise_err *err)
{
	struct stat st;
	int r = root_lstat(&x->root, s->path, &st);
	if (r == -ENOENT) {
		say(x, "'%s' is not there", s->path);
		return EXCISE_STEP_ALREADY;
	}
	if (r < 0) {
		say(x, "'%s': %s", s->path, excise_strerror(r));
		return EXCISE_STEP_FAILED;
	}
	if (S_ISLNK(st.st_mode)) {
		/* a link to a bundle (RHEL's tls/certs/ca-bundle.crt) follows it; a link to
		 * the vendor's certificate alone, or to nothing, goes */
		char *real = NULL;
		if (root_realpath(&x->root, s->path, &real) == 0 && (is_generated_bundle(real) || !cert_alone(x, real, s->target))) {
			say(x, "'%s' is a link to '%s', which holds more than the certificate: left in place", s->path,
			    real);
			free(real);
			return EXCISE_STEP_DONE;
		}
		free(real);
		return put(x, s->path, NULL, err);
	}
	if (!S_ISREG(st.st_mode)) {
		say(x, "'%s' is not a certificate file", s->path);
		return EXCISE_STEP_REFUSED;
	}
	if (is_generated_bundle(s->path)) {
		say(x, "certificate %.16s… leaves '%s' when the trust store is regenerated", s->target, s->path);
		return EXCISE_STEP_DONE;
	}
	char *data = NULL;
	size_t len = 0;
	r = root_read_file(&x->root, s->path, EXCISE_MAX_PEM_BUNDLE_SIZE, &data, &len);
	if (r < 0) {
		say(x, "'%s': %s", s->path, excise_strerror(r));
		return EXCISE_STEP_FAILED;
	}
	bool alone;
	r = cert_in(data, len, s->target, &alone);
	free(data);
	if (r <= 0) {
		say(x, "'%s' no longer holds certificate %.16s…", s->path, s->target);
		return EXCISE_STEP_ALREADY;
	}
	/* a file of the certificate alone is moved whole; one that holds more is rewritten */
	if (alone)
		return put(x, s->path, NULL, err);
	const char *t[] = { s->target };
	r = filter_bundle(x, s->path, t, 1, err);
	if (r < 0) {
		say(x, "%s", err->msg);
		return EXCISE_STEP_FAILED;
	}
	say(x, "certificate %.16s… cut out of '%s' (original kept in the run directory)", s->target, s->path);
	return EXCISE_STEP_DONE;
}

/* Symlinks in a certificate directory left pointing at a file this run quarantined. */
static int drop_dangling_links(struct run *x, const char *dir, struct excise_err *err)
{
	DIR *dh;
	struct stat dst;
	/* a directory that is a link (Fedora's /etc/ssl/certs) is not walked through */
	if (root_lstat(&x->root, dir, &dst) < 0 || !S_ISDIR(dst.st_mode) || root_opendir(&x->root, dir, &dh) < 0)
		return 0;
	struct dirent *de;
	int r = 0;
	char **v = NULL;
	size_t n = 0;
	while ((de = readdir(dh))) {
		if (!entry_is(dh, de, S_IFLNK))
			continue;
		char *lp = path_join(dir, de->d_name);
		char *target = NULL;
		struct stat st;
		bool drop = false;
		if (lp && root_readlink(&x->root, lp, &target) == 0 && root_stat(&x->root, lp, &st) == -ENOENT) {
			char *abs = target[0] == '/' ? strdup(target) : path_join(dir, target);
			/* only links to what this run moved, or to names inside it */
			if (abs) {
				for (size_t k = 0; k < x->gone.n && !drop; k++) {
					const char *g = x->gone.keys[k];
					size_t gl = strlen(g);
					drop = strncmp(abs, g, gl) == 0 && (abs[gl] == 0 || abs[gl] == '/');
				}
			}
			free(abs);
		}
		free(target);
		if (drop) {
			char **w = realloc(v, (n + 1) * sizeof(*w));
			if (w) {
				v = w;
				v[n++] = lp;
				lp = NULL;
			}
		}
		free(lp);
	}
	closedir(dh);
	for (size_t i = 0; i < n; i++) {
		if (r == 0 && put(x, v[i], NULL, err) == EXCISE_STEP_FAILED)
			r = -EIO;
		free(v[i]);
	}
	free(v);
	return r;
}

static enum excise_step_outcome do_regen(struct run *x, int log_fd, struct excise_err *err)
{
	if (x->root.live) {
		int r;
		if (spawn_have("update-ca-certificates")) {
			const char *argv[] = { "update-ca-certificates", "--fresh", NULL };
			r = run_tool(x, log_fd, argv, err);
		} else {
			const char *argv[] = { "update-ca-trust", "extract", NULL };
			r = run_tool(x, log_fd, argv, err);
		}
		if (r != 0)
			return EXCISE_STEP_FAILED;
	}
	/* Offline, and after the tool as a check: no generated bundle keeps a removed certificate. */
	const char **t = calloc(x->p->n_steps + 1, sizeof(*t));
	if (!t) {
		say(x, "out of memory");
		return EXCISE_STEP_FAILED;
	}
	size_t n = 0;
	for (size_t i = 0; i < x->p->n_steps; i++)
		if (x->p->steps[i].action == EXCISE_PLAN_REMOVE_CERT)
			t[n++] = x->p->steps[i].target;
	size_t cut = 0;
	for (size_t i = 0; i < sizeof(generated_bundles) / sizeof(generated_bundles[0]); i++) {
		int r = filter_bundle(x, generated_bundles[i], t, n, err);
		if (r < 0) {
			free(t);
			say(x, "%s", err->msg);
			return EXCISE_STEP_FAILED;
		}
		cut += (size_t)r;
	}
	free(t);
	if (drop_dangling_links(x, "/etc/ssl/certs", err) < 0) {
		say(x, "%s", err->msg);
		return EXCISE_STEP_FAILED;
	}
	if (x->root.live && cut) {
		say(x, "the regenerated bundles still held %zu removed certificate%s: cut out", cut, cut == 1 ? "" : "s");
		return EXCISE_STEP_DONE;
	}
	say(x, x->root.live ? "trust store regenerated" : "generated bundles rewritten without the removed "
		"certificates (%zu cut)", cut);
	return EXCISE_STEP_DONE;
}

static enum excise_step_outcome act(struct run *x, const struct excise_plan_step *s, int log_fd,
				    struct excise_err *err)
{
	bool live = x->root.live;
	if (s->live_only && !live) {
		say(x, "nothing to do on an offline root");
		return EXCISE_STEP_SKIPPED;
	}
	switch (s->action) {
	case EXCISE_PLAN_STOP_SERVICE: {
		const char *argv[] = { "systemctl", "stop", "--", s->target, NULL };
		int r = run_tool(x, log_fd, argv, err);
		if (r == 5) { /* not loaded */
			say(x, "%s is not loaded", s->target);
			return EXCISE_STEP_ALREADY;
		}
		return r == 0 ? (say(x, "%s stopped", s->target), EXCISE_STEP_DONE) : EXCISE_STEP_FAILED;
	}
	case EXCISE_PLAN_DISABLE_SERVICE: {
		/* the enablement links go into the quarantine first: systemctl disable would
		 * unlink them with no copy to restore */
		enum excise_step_outcome o = disable_offline(x, s, err);
		if (!live || o == EXCISE_STEP_FAILED || o == EXCISE_STEP_REFUSED)
			return o;
		const char *argv[] = { "systemctl", "disable", "--", s->target, NULL };
		int r = run_tool(x, log_fd, argv, err);
		if (r != 0 && o != EXCISE_STEP_DONE)
			return EXCISE_STEP_FAILED;
		return r == 0 ? EXCISE_STEP_DONE : o;
	}
	case EXCISE_PLAN_KILL_PROCESS:
		return do_kill(x, s);
	case EXCISE_PLAN_UNLOAD_MODULE: {
		char sys[320];
		struct stat st;
		snprintf(sys, sizeof(sys), "/sys/module/%s", s->target);
		if (stat(sys, &st) < 0) {
			say(x, "module %s is not loaded", s->target);
			return EXCISE_STEP_ALREADY;
		}
		const char *argv[] = { "modprobe", "-r", "--", s->target, NULL };
		return run_tool(x, log_fd, argv, err) == 0 ? (say(x, "module %s unloaded", s->target), EXCISE_STEP_DONE)
							     : EXCISE_STEP_FAILED;
	}
	case EXCISE_PLAN_DPKG_PURGE:
	case EXCISE_PLAN_RPM_ERASE:
		return do_package(x, s, log_fd, err);
	case EXCISE_PLAN_REMOVE_PATH:
		return put(x, s->target, &s->seen, err);
	case EXCISE_PLAN_REMOVE_CERT:
		return do_cert(x, s, err);
	case EXCISE_PLAN_REGEN_TRUST:
		return do_regen(x, log_fd, err);
	case EXCISE_PLAN_RELOAD_UNITS: {
		const char *argv[] = { "systemctl", "daemon-reload", NULL };
		return run_tool(x, log_fd, argv, err) == 0 ? (say(x, "units reloaded"), EXCISE_STEP_DONE)
							     : EXCISE_STEP_FAILED;
	}
	default:
		say(x, "%s is not a step for Linux", excise_plan_action_name(s->action));
		return EXCISE_STEP_REFUSED;
	}
}

static int open_step_log(struct run *x, unsigned id)
{
	char name[32];
	snprintf(name, sizeof(name), "step-%u.log", id);
	return openat(x->j.dir_fd, name, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
}

static void count(struct excise_remove_result *res, enum excise_step_outcome o)
{
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
		if (o != EXCISE_STEP_PENDING && o != EXCISE_STEP_FAILED) {
			count(res, o);
			continue;
		}
		if (s->fallback && prev != EXCISE_STEP_FAILED && prev != EXCISE_STEP_REFUSED) {
			o = EXCISE_STEP_SKIPPED;
			say(x, "not needed: step %u succeeded", s->id - 1);
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
				say(x, "%s", serr.msg);
			} else {
				int log_fd = open_step_log(x, s->id);
				x->detail[0] = 0;
				o = act(x, s, log_fd, &serr);
				if (log_fd >= 0)
					close(log_fd);
			}
		}
		int r = journal_end(&x->j, s->id, o, x->detail, err);
		if (r < 0)
			return r;
		res->outcomes[i] = o;
		count(res, o);
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
	if (x->root_open)
		root_done(&x->root);
	free(x->quarantine_dir);
}

static int new_result(struct run *x, const char *run_id, struct excise_err *err)
{
	struct excise_remove_result *res = calloc(1, sizeof(*res));
	if (!res || !(res->outcomes = calloc(x->p->n_steps + 1, sizeof(*res->outcomes)))) {
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
	if (x->p->live != x->root.live)
		return err_set(err, -EXCISE_E_REFUSED, "the plan is for %s, not for '%s'",
			       x->p->live ? "the live host" : "an offline root", root);
	r = matcher_new(x->o->catalog, "linux", &x->m, err);
	if (r < 0)
		return r;
	strset_init(&x->gone);
	return 0;
}

static char *host_path(const struct root *r, const char *sub)
{
	return r->live ? strdup(sub) : path_join(r->path, sub);
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
	r = run_setup(&x, p->root, err);
	if (r == 0)
		r = preflight(&x, err);
	if (r == 0)
		r = new_result(&x, run_id, err);
	if (r < 0 || !o->apply)
		goto out;

	/* the run directory and the store, created inside the root (or where the operator said) */
	struct root host = { .fd = -1 };
	const struct root *rr = &x.root;
	if (o->runs_dir || o->quarantine_dir) {
		r = root_open("/", &host, err);
		if (r < 0)
			goto out;
	}
	char *runs = o->runs_dir ? strdup(o->runs_dir) : host_path(&x.root, EXCISE_RUNS_DIR);
	x.quarantine_dir = o->quarantine_dir ? strdup(o->quarantine_dir) : host_path(&x.root, EXCISE_QUARANTINE_DIR);
	int runs_fd = -1;
	if (!runs || !x.quarantine_dir)
		r = err_set(err, -ENOMEM, "out of memory");
	else
		r = runs_fd = mkdir_chain(o->runs_dir ? &host : rr, o->runs_dir ? o->runs_dir : EXCISE_RUNS_DIR, err);
	if (r >= 0 && flock(runs_fd, LOCK_EX | LOCK_NB) < 0)
		r = err_set(err, -EBUSY, "another removal is running on '%s' (%s is locked)", p->root, runs);
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
		r = quarantine_open(&x.root, o->quarantine_dir ? x.quarantine_dir : NULL, run_id, &x.q, err);
	if (r >= 0) {
		x.res->run_dir = strdup(x.j.dir);
		r = run_steps(&x, err);
	}
	if (runs_fd >= 0)
		close(runs_fd);
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

int excise_remove_resume(const char *run_dir, const struct excise_remove_opts *o,
			 struct excise_remove_result **ret, struct excise_err *err)
{
	*ret = NULL;
	if (!run_dir || !o || !o->catalog)
		return err_set(err, -EXCISE_E_USAGE, "excise_remove_resume: run directory and catalog are required");
	struct journal j;
	struct journal_state st;
	char *plan_text = NULL;
	size_t plan_len = 0;
	int lock_fd;
	int r = journal_open_locked(run_dir, &lock_fd, &j, &plan_text, &plan_len, &st, err);
	if (r < 0)
		return r;
	struct excise_plan *p = NULL;
	char name[4200];
	snprintf(name, sizeof(name), "%s/plan.json", run_dir);
	r = excise_plan_read_json(name, plan_text, plan_len, &p, err);
	free(plan_text);
	struct run x = { .o = o, .j = j, .journaled = true, .p = p };
	if (r == 0 && p->n_steps != st.n_steps)
		r = err_set(err, -EXCISE_E_CORRUPT, "'%s': the journal announces %zu steps, the plan has %zu", run_dir,
			    st.n_steps, p->n_steps);
	if (r == 0)
		r = run_setup(&x, st.root, err);
	if (r == 0)
		r = new_result(&x, st.run_id, err);
	if (r == 0) {
		x.quarantine_dir = strdup(st.quarantine);
		r = quarantine_open(&x.root, st.quarantine, st.run_id, &x.q, err);
	}
	if (r == 0) {
		for (size_t i = 0; i < p->n_steps; i++)
			x.res->outcomes[i] = st.outcomes[i];
		x.res->run_dir = strdup(run_dir);
		r = run_steps(&x, err);
	}
	if (r < 0) {
		excise_remove_result_free(x.res);
		x.res = NULL;
	}
	*ret = x.res;
	journal_state_done(&st);
	run_done(&x);
	excise_plan_free(p);
	close(lock_fd);
	return r;
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
