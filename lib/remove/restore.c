/* SPDX-License-Identifier: Apache-2.0 */
/*
 * restore: undo a removal run as far as files go. Every quarantined entry goes
 * back (lib/remove/quarantine.c does the byte-exact part); every trust bundle
 * the run rewrote gets its original bytes back when it still holds what the run
 * wrote; packages are listed for reinstalling, since a purge cannot be undone by
 * copying files.
 */
#include "excise/remove.h"

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/digest.h"
#include "core/err.h"
#include "core/limits.h"
#include "core/paths.h"
#include "core/root.h"
#include "core/text.h"
#include "remove/journal.h"
#include "remove/quarantine.h"
#include "remove/nssdb.h"
#include "remove/rundir.h"
#include "remove/reinstall.h"

#define BACKUPS_FILE "backups.jsonl"
/* the largest file a backup holds: a trust bundle or an NSS database */
#define BACKUP_MAX (EXCISE_MAX_PEM_BUNDLE_SIZE > EXCISE_MAX_NSSDB_SIZE ? EXCISE_MAX_PEM_BUNDLE_SIZE : EXCISE_MAX_NSSDB_SIZE)

struct strv {
	char **v;
	size_t n;
};

static int strv_addf(struct strv *s, const char *fmt, ...) PRINTF(2, 3);
static int strv_addf(struct strv *s, const char *fmt, ...)
{
	char **v = realloc(s->v, (s->n + 2) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	s->v = v;
	va_list ap;
	va_start(ap, fmt);
	int k = vasprintf(&v[s->n], fmt, ap);
	va_end(ap);
	if (k < 0)
		return -ENOMEM;
	v[++s->n] = NULL;
	return 0;
}

/* Put one rewritten bundle or NSS database back: only when it still holds what the run wrote
 * (and a database only while no browser has it open: nssdb_busy). */
static int restore_bundle(const struct root *r, int run_fd, json_t *rec, struct strv *notes, size_t *restored)
{
	const char *path = json_string_value(json_object_get(rec, "path"));
	const char *backup = json_string_value(json_object_get(rec, "backup"));
	const char *after = json_string_value(json_object_get(rec, "sha256_after"));
	json_t *at = json_object_get(rec, "atime_ns"), *mt = json_object_get(rec, "mtime_ns");
	struct timespec tv[2];
	const struct timespec *times = NULL;
	if (json_is_integer(at) && json_is_integer(mt)) {
		tv[0] = (struct timespec){ json_integer_value(at) / 1000000000, json_integer_value(at) % 1000000000 };
		tv[1] = (struct timespec){ json_integer_value(mt) / 1000000000, json_integer_value(mt) % 1000000000 };
		times = tv;
	}
	const char *base = strrchr(path, '/');
	bool nss = base && !strcmp(base, "/cert9.db");
	const char *what = nss ? "NSS database" : "bundle";
	char why[1200];
	int busy = nss ? nssdb_busy(r, path, why, sizeof(why)) : 0;
	if (busy < 0)
		return busy;
	if (busy)
		return strv_addf(notes, "NSS database %s: not restored: %s; then run excise restore again (its original is "
				 "kept as %s)", path, why, backup);
	char *cur = NULL, *orig = NULL;
	size_t cur_len = 0, orig_len = 0;
	int fd = root_openat_nofollow(r, path, O_RDONLY | O_NONBLOCK | O_NOCTTY);
	struct stat st;
	int e = fd < 0 ? fd : fstat(fd, &st) < 0 ? -errno : read_fd_all(fd, BACKUP_MAX, &cur, &cur_len);
	if (fd >= 0)
		close(fd);
	if (e < 0)
		return strv_addf(notes, "%s %s: not restored: %s", what, path, excise_strerror(e));
	char now[65];
	(void)!sha256_hex(cur, cur_len, now);
	free(cur);
	if (strcmp(now, after) != 0)
		return strv_addf(notes, "%s %s: changed since the removal%s; its original is kept as %s",
				 what, path, nss ? "" : " (regenerated?)", backup);
	int bfd = openat(run_fd, backup, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	e = bfd < 0 ? -errno : read_fd_all(bfd, BACKUP_MAX, &orig, &orig_len);
	if (bfd >= 0)
		close(bfd);
	if (e < 0)
		return strv_addf(notes, "%s %s: its saved original %s cannot be read: %s", what, path, backup,
				 excise_strerror(e));
	e = root_replace_file(r, path, orig, orig_len, &st, times);
	free(orig);
	if (e < 0)
		return strv_addf(notes, "%s %s: not restored: %s", what, path, excise_strerror(e));
	(*restored)++;
	return 0;
}

static int restore_bundles(const struct root *r, int run_fd, const char *run_dir, struct strv *notes,
			   size_t *restored, struct excise_err *err)
{
	int fd = openat(run_fd, BACKUPS_FILE, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return errno == ENOENT ? 0 : err_setc(err, -errno, "'%s/" BACKUPS_FILE "': open", run_dir);
	char *text = NULL;
	size_t len = 0;
	int e = read_fd_all(fd, EXCISE_MAX_JOURNAL_SIZE, &text, &len);
	close(fd);
	if (e < 0)
		return err_setc(err, e, "'%s/" BACKUPS_FILE "': read", run_dir);
	/* newest first, so a bundle rewritten twice ends with its first original */
	size_t n = 0;
	json_t **recs = NULL;
	for (size_t off = 0, line = 1; off < len; line++) {
		const char *nl = memchr(text + off, '\n', len - off);
		if (!nl)
			break; /* torn last record */
		json_t *o = json_loadb(text + off, (size_t)(nl - text - off), 0, NULL);
		off = (size_t)(nl - text) + 1;
		json_t **v = array_full(n) ? realloc(recs, array_cap(n) * sizeof(*v)) : recs;
		if (!v) {
			json_decref(o);
			e = err_set(err, -ENOMEM, "out of memory");
			break;
		}
		recs = v;
		const char *p = json_string_value(json_object_get(o, "path"));
		const char *b = json_string_value(json_object_get(o, "backup"));
		const char *a = json_string_value(json_object_get(o, "sha256_after"));
		if (!p || p[0] != '/' || !b || strchr(b, '/') || !a || strlen(a) != 64) {
			json_decref(o);
			e = err_set(err, -EXCISE_E_CORRUPT, "'%s/" BACKUPS_FILE "': line %zu: needs path, backup and "
				    "sha256_after", run_dir, line);
			break;
		}
		recs[n++] = o;
	}
	for (size_t i = n; i-- > 0;) {
		json_t *o = recs[i];
		if (e == 0)
			e = restore_bundle(r, run_fd, o, notes, restored);
		json_decref(o);
	}
	free(recs);
	free(text);
	if (e == -ENOMEM)
		return err_set(err, e, "out of memory");
	return e;
}

/* The packages the run purged (its plan's package steps the journal says are done). */
static int purged_packages(const char *run_dir, const struct journal_state *st, const char *plan_text,
			   size_t plan_len, struct excise_plan **ret_plan, struct reinstall_pkg **ret, size_t *ret_n,
			   struct excise_err *err)
{
	char name[4200];
	snprintf(name, sizeof(name), "%s/plan.json", run_dir);
	int r = excise_plan_read_json(name, plan_text, plan_len, ret_plan, err);
	if (r < 0)
		return r;
	const struct excise_plan *p = *ret_plan;
	*ret = calloc(p->n_steps ? p->n_steps : 1, sizeof(**ret));
	if (!*ret)
		return err_set(err, -ENOMEM, "out of memory");
	for (size_t i = 0; i < p->n_steps && i < st->n_steps; i++) {
		const struct excise_plan_step *s = &p->steps[i];
		bool dpkg = s->action == EXCISE_PLAN_DPKG_PURGE;
		if ((dpkg || s->action == EXCISE_PLAN_RPM_ERASE) && st->outcomes[i] == EXCISE_STEP_DONE)
			(*ret)[(*ret_n)++] = (struct reinstall_pkg){ .dpkg = dpkg, .name = s->target, .version = s->version };
	}
	return 0;
}

/* The purged packages not reinstalled now: reinstall them; files alone cannot bring them back. */
static int list_packages(const struct reinstall_pkg *purged, size_t n, const struct reinstall_file *re,
			 size_t n_re, struct strv *pk, struct excise_err *err)
{
	for (size_t i = 0; i < n; i++) {
		bool back = false;
		for (size_t j = 0; j < n_re; j++)
			back |= re[j].pkg == &purged[i];
		if (!back && strv_addf(pk, "%s %s %s", purged[i].dpkg ? "dpkg" : "rpm", purged[i].name,
				       purged[i].version ? purged[i].version : "") < 0)
			return err_set(err, -ENOMEM, "out of memory");
	}
	return 0;
}

/* restore --reinstall: the package files, each checked against what the run purged before
 * anything is touched, installed after the files are back (lib/remove/reinstall.c). */
static int reinstall_log(int run_fd)
{
	return openat(run_fd, "reinstall.log", O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0600);
}

/* The root the operator named (none: the live host) and the run directory checked
 * against it (rundir.c), locked and opened: its journal and plan. */
static int restore_open(const char *run_dir, const struct excise_restore_opts *o, struct root *root,
			int *lock_fd, struct journal *j, char **plan_text, size_t *plan_len, struct journal_state *st,
			struct excise_err *err)
{
	if (o->root && !*o->root)
		return err_set(err, -EXCISE_E_USAGE, "--root: empty path");
	int r = root_open(o->root ? o->root : "/", root, err);
	int dfd = r < 0 ? r : rundir_open(run_dir, root, o->root != NULL, o->runs_dir, err);
	if (dfd < 0)
		return dfd;
	r = journal_open_locked_at(dfd, run_dir, lock_fd, j, plan_text, plan_len, st, err);
	close(dfd);
	return r;
}

/* The preflight of a restore: the plan the run carried out is for this root and
 * this machine, as the operator named it. */
static int restore_check(const struct root *root, const char *run_dir, const char *plan_text, size_t plan_len,
			 struct excise_err *err)
{
	struct excise_plan *p = NULL;
	char name[4200];
	snprintf(name, sizeof(name), "%s/plan.json", run_dir);
	int r = excise_plan_read_json(name, plan_text, plan_len, &p, err);
	if (r < 0)
		return r;
	char *real = p->root ? realpath(p->root, NULL) : NULL;
	if (!real || strcmp(real, root->path) != 0 || p->live != root->live)
		r = err_set(err, -EXCISE_E_REFUSED, "run '%s': its plan is for the root '%s', not '%s': refused, nothing "
			    "was touched", run_dir, p->root ? p->root : "?", root->path);
	free(real);
	char *mid = NULL;
	size_t len = 0;
	if (r == 0 && p->machine_id && p->machine_id[0] &&
	    root_read_file(root, "/etc/machine-id", 4096, &mid, &len) == 0 && strcmp(strip(mid), p->machine_id) != 0)
		r = err_set(err, -EXCISE_E_REFUSED, "run '%s' was made on machine %s; '%s' is another machine: refused",
			    run_dir, p->machine_id, root->path);
	free(mid);
	excise_plan_free(p);
	return r;
}

/* The store of the run: inside the root when the journal records the root's default
 * one (opened there, confined), else the host folder given to --quarantine. */
static const char *restore_store(const struct root *root, const char *recorded, char **tmp)
{
	*tmp = root->live ? strdup(EXCISE_QUARANTINE_DIR) : path_join(root->path, EXCISE_QUARANTINE_DIR);
	return *tmp && strcmp(*tmp, recorded) == 0 ? NULL : recorded;
}

int excise_restore_run_opts(const char *run_dir, const struct excise_restore_opts *o,
			    struct excise_restore_result **ret, struct excise_err *err)
{
	*ret = NULL;
	struct journal j = { .dir_fd = -1, .fd = -1 };
	struct journal_state st = { 0 };
	char *plan_text = NULL, *store = NULL;
	size_t plan_len = 0;
	int lock_fd = -1;
	struct root root = { .fd = -1 };
	struct quarantine *q = NULL;
	struct quarantine_report rep = { 0 };
	struct strv notes = { 0 }, pk = { 0 };
	size_t bundles = 0;
	struct excise_plan *plan = NULL;
	struct reinstall_pkg *purged = NULL;
	struct reinstall_file *re = NULL;
	size_t n_purged = 0, n_re = 0;
	char **warnings = NULL, **reinstalled = NULL;
	int r = restore_open(run_dir, o, &root, &lock_fd, &j, &plan_text, &plan_len, &st, err);
	if (r == 0)
		r = restore_check(&root, run_dir, plan_text, plan_len, err);
	if (r == 0)
		r = purged_packages(run_dir, &st, plan_text, plan_len, &plan, &purged, &n_purged, err);
	if (r == 0 && o->reinstall && o->reinstall[0])
		r = reinstall_check(&root, o->reinstall, purged, n_purged, &re, &n_re, &warnings, err);
	if (r == 0)
		r = quarantine_load(&root, restore_store(&root, st.quarantine, &store), st.run_id, j.dir_fd, &q, err);
	if (r == 0)
		r = quarantine_restore(q, &rep, err);
	if (r == 0)
		r = restore_bundles(&root, j.dir_fd, run_dir, &notes, &bundles, err);
	if (r == 0)
		r = list_packages(purged, n_purged, re, n_re, &pk, err);
	if (r == 0)
		r = journal_restore(&j, rep.n_restored + bundles, rep.n_conflicts, err);
	/* the packages last, once the files are back and the restore is in the journal */
	if (r == 0 && n_re) {
		int log_fd = reinstall_log(j.dir_fd);
		r = log_fd < 0 ? err_setc(err, -errno, "'%s/reinstall.log'", run_dir)
			       : reinstall_apply(&root, log_fd, re, n_re, &reinstalled, err);
		if (log_fd >= 0)
			close(log_fd);
	}
	struct excise_restore_result *res = NULL;
	if (r == 0 && !(res = calloc(1, sizeof(*res))))
		r = err_set(err, -ENOMEM, "out of memory");
	if (r == 0) {
		for (size_t i = 0; rep.notes && rep.notes[i] && r == 0; i++)
			if (strv_addf(&notes, "%s", rep.notes[i]) < 0)
				r = err_set(err, -ENOMEM, "out of memory");
		for (size_t i = 0; warnings && warnings[i] && r == 0; i++)
			if (strv_addf(&notes, "%s", warnings[i]) < 0)
				r = err_set(err, -ENOMEM, "out of memory");
		res->n_restored = rep.n_restored + bundles;
		res->n_conflicts = rep.n_conflicts;
		res->notes = notes.v;
		res->packages = pk.v;
		res->dangling = rep.dangling;
		res->reinstalled = reinstalled;
		notes.v = pk.v = rep.dangling = reinstalled = NULL;
	}
	quarantine_report_free(&rep);
	excise_strv_free(warnings);
	excise_strv_free(reinstalled);
	reinstall_files_free(re, n_re);
	free(purged);
	excise_plan_free(plan);
	if (q)
		quarantine_close(q);
	if (root.fd >= 0)
		root_done(&root);
	free(store);
	excise_strv_free(notes.v);
	excise_strv_free(pk.v);
	journal_state_done(&st);
	journal_close(&j);
	free(plan_text);
	if (r < 0)
		res = excise_restore_result_free(res);
	*ret = res;
	if (lock_fd >= 0)
		close(lock_fd);
	return r;
}

int excise_restore_run(const char *run_dir, struct excise_restore_result **ret, struct excise_err *err)
{
	const struct excise_restore_opts o = { 0 };
	return excise_restore_run_opts(run_dir, &o, ret, err);
}

struct excise_restore_result *excise_restore_result_free(struct excise_restore_result *r)
{
	if (r) {
		excise_strv_free(r->notes);
		excise_strv_free(r->packages);
		excise_strv_free(r->dangling);
		excise_strv_free(r->reinstalled);
		free(r);
	}
	return NULL;
}
