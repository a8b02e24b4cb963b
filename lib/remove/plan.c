/* SPDX-License-Identifier: Apache-2.0 */
/*
 * plan: from the findings of a scan, the ordered removal steps (include/excise/plan.h).
 * Each piece of strong or definitive evidence becomes (or joins) the step that
 * removes what it shows; weak evidence and what a safety rule forbids are kept
 * in skipped[] with the reason, so the plan says what it leaves alone.
 */
#include "excise/plan.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#include "catalog/match.h"
#include "core/err.h"
#include "core/hash.h"
#include "core/limits.h"
#include "core/root.h"
#include "remove/action.h"
#include "remove/msicode.h"
#include "remove/pkgdb.h"
#include "remove/plan_int.h"
#include "remove/rematch.h"
#include "remove/safety.h"
#include "parse/win.h"

/* Every action, defined in the file of its kind (lib/remove/action.h). */
static const struct action_ops *const actions[] = {
	[EXCISE_PLAN_STOP_SERVICE] = &action_stop_service,     [EXCISE_PLAN_DISABLE_SERVICE] = &action_disable_service,
	[EXCISE_PLAN_KILL_PROCESS] = &action_kill_process,     [EXCISE_PLAN_UNLOAD_MODULE] = &action_unload_module,
	[EXCISE_PLAN_DPKG_PURGE] = &action_dpkg_purge,         [EXCISE_PLAN_RPM_ERASE] = &action_rpm_erase,
	[EXCISE_PLAN_MSI_UNINSTALL] = &action_msi_uninstall,   [EXCISE_PLAN_VENDOR_REMOVER] = &action_vendor_remover,
	[EXCISE_PLAN_REMOVE_PATH] = &action_remove_path,       [EXCISE_PLAN_REMOVE_CERT] = &action_remove_cert,
	[EXCISE_PLAN_REGEN_TRUST] = &action_regen_trust,       [EXCISE_PLAN_DELETE_REGKEY] = &action_delete_regkey,
	[EXCISE_PLAN_RELOAD_UNITS] = &action_reload_units,     [EXCISE_PLAN_UNINSTALL_STRING] = &action_uninstall_string,
	[EXCISE_PLAN_REMOVE_NSS_CERT] = &action_remove_nss_cert,
};

const struct action_ops *plan_action(enum excise_plan_action a)
{
	return actions[a];
}

const char *excise_plan_action_name(enum excise_plan_action a)
{
	return (unsigned)a < EXCISE_PLAN_ACTION_MAX ? actions[a]->name : "?";
}

int plan_action_from_name(const char *s)
{
	for (int i = 0; i < EXCISE_PLAN_ACTION_MAX; i++)
		if (!strcmp(s, actions[i]->name))
			return i;
	return -1;
}

/* ---- building ---- */

struct builder {
	const struct excise_scan *s;
	const struct excise_plan_opts *o;
	struct excise_plan *p;
	struct root root;
	struct matcher *m;
	struct strset removed;   /* targets of the remove-path steps so far */
	char *us_key, *us_value; /* the last Uninstall entry whose UninstallString was read, and it */
	size_t cap_steps, cap_skipped;
	int err;
};

static char *dup0(const char *s, int *err)
{
	if (!s)
		return NULL;
	char *d = strdup(s);
	if (!d)
		*err = -ENOMEM;
	return d;
}

static void skip_as(struct builder *b, bool refused, const char *what, const char *why)
{
	struct excise_plan *p = b->p;
	for (size_t i = 0; i < p->n_skipped; i++)
		if (!strcmp(p->skipped[i].what, what) && !strcmp(p->skipped[i].why, why))
			return;
	if (p->n_skipped >= EXCISE_MAX_PLAN_STEPS)
		return;
	if (p->n_skipped == b->cap_skipped) {
		size_t cap = b->cap_skipped ? b->cap_skipped * 2 : 16;
		struct excise_plan_skip *v = realloc(p->skipped, cap * sizeof(*v));
		if (!v) {
			b->err = -ENOMEM;
			return;
		}
		p->skipped = v;
		b->cap_skipped = cap;
	}
	struct excise_plan_skip *k = &p->skipped[p->n_skipped++];
	k->what = dup0(what, &b->err);
	k->why = dup0(why, &b->err);
	k->refused = refused;
}

static void skip(struct builder *b, const char *what, const char *why)
{
	skip_as(b, false, what, why);
}

static void skipf(struct builder *b, bool refused, const char *what, const char *fmt, ...) PRINTF(4, 5);
static void skipf(struct builder *b, bool refused, const char *what, const char *fmt, ...)
{
	char why[600];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	skip_as(b, refused, what, why);
}

static int add_evidence(struct excise_plan_step *st, const struct excise_evidence *e)
{
	for (size_t i = 0; i < st->n_evidence; i++) {
		struct excise_plan_evidence *x = &st->evidence[i];
		if (!strcmp(x->indicator, e->indicator_id) && !strcmp(x->value, e->value) &&
		    ((!x->path && !e->path) || (x->path && e->path && !strcmp(x->path, e->path))))
			return 0;
	}
	if (st->n_evidence >= EXCISE_MAX_PLAN_EVIDENCE)
		return 0;
	struct excise_plan_evidence *v = realloc(st->evidence, (st->n_evidence + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	st->evidence = v;
	int err = 0;
	v[st->n_evidence++] = (struct excise_plan_evidence){
		.source = dup0(e->source, &err), .kind = dup0(excise_obs_kind_name(e->kind), &err),
		.value = dup0(e->value, &err), .path = dup0(e->path, &err),
		.indicator = dup0(e->indicator_id, &err), .confidence = e->confidence,
	};
	return err;
}

/* The step (action, target[, path]), made when new; evidence joins it. A
 * certificate is one step per file that holds it (source file, link, bundle). */
static struct excise_plan_step *step_at(struct builder *b, enum excise_plan_action a, const char *target,
					const char *path, const struct excise_finding *f,
					const struct excise_evidence *e)
{
	struct excise_plan *p = b->p;
	struct excise_plan_step *st = NULL;
	for (size_t i = 0; i < p->n_steps && !st; i++)
		if (p->steps[i].action == a && !strcmp(p->steps[i].target, target) &&
		    (!path || (p->steps[i].path && !strcmp(p->steps[i].path, path))))
			st = &p->steps[i];
	if (!st) {
		if (p->n_steps >= EXCISE_MAX_PLAN_STEPS) {
			b->err = -EXCISE_E_LIMIT;
			return NULL;
		}
		if (p->n_steps == b->cap_steps) {
			size_t cap = b->cap_steps ? b->cap_steps * 2 : 16;
			struct excise_plan_step *v = realloc(p->steps, cap * sizeof(*v));
			if (!v) {
				b->err = -ENOMEM;
				return NULL;
			}
			p->steps = v;
			b->cap_steps = cap;
		}
		st = &p->steps[p->n_steps++];
		*st = (struct excise_plan_step){ .action = a, .target = dup0(target, &b->err),
						 .path = dup0(path, &b->err), .product = dup0(f->product_id, &b->err) };
		st->live_only = actions[a]->live_only;
	}
	if (e && add_evidence(st, e) < 0)
		b->err = -ENOMEM;
	return st;
}

static struct excise_plan_step *step(struct builder *b, enum excise_plan_action a, const char *target,
				     const struct excise_finding *f, const struct excise_evidence *e)
{
	return step_at(b, a, target, NULL, f, e);
}

static const char *attr(const struct excise_evidence *e, const char *key)
{
	for (char **a = e->attrs; a && a[0]; a += 2)
		if (!strcmp(a[0], key))
			return a[1];
	return NULL;
}

static const char *base_name(const char *p)
{
	const char *s = p ? strrchr(p, '/') : NULL;
	return s ? s + 1 : p;
}

static void what_of(const struct excise_evidence *e, char *out, size_t size)
{
	snprintf(out, size, "%s %s%s%s", excise_obs_kind_name(e->kind), e->value, e->path ? " at " : "",
		 e->path ? e->path : "");
}

/* Errors of safety_check_path that mean a rule refused the path (not an I/O error). */
static bool is_safety_error(int r)
{
	return r == -EXCISE_E_REFUSED || r == -EXCISE_E_ESCAPE || r == -EXCISE_E_SYMLINK;
}

/* Whether a directory above `path` is removed by a step already planned. */
static bool below_removed(const struct builder *b, const char *path)
{
	for (const char *c = strchr(path + 1, '/'); c; c = strchr(c + 1, '/'))
		if (strset_has(&b->removed, path, (size_t)(c - path)))
			return true;
	return false;
}

static void drop_nested(struct builder *b);

/* `path` with the directory it is in resolved inside the root, its last component
 * kept: a file reached through a directory link (macOS's /var -> private/var,
 * Fedora's /etc/ssl/certs -> ../pki/tls/certs) is acted on where it is, since no
 * path is removed through a symlink. NULL when the directory leads nowhere. */
static char *real_dir_path(struct builder *b, const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir = slash && slash != path ? strndup(path, (size_t)(slash - path)) : strdup("/"), *real = NULL;
	int r = dir ? root_realpath(&b->root, dir, &real) : -ENOMEM;
	free(dir);
	char *p = r == 0 ? path_join(real, slash ? slash + 1 : path) : NULL;
	if (r == -ENOMEM || (r == 0 && !p))
		b->err = -ENOMEM;
	free(real);
	return p;
}

static int same_indicator(void *ud, const struct excise_indicator *ind)
{
	return ind == ud;
}

/* Whether the evidence is what its indicator says: its value matches the indicator
 * again, and a file's name or path is the path acted on. A report is a file anyone
 * may have edited; the catalog is signed. */
static bool evidence_holds(const struct builder *b, const struct excise_evidence *e, const char *path)
{
	const char *v = e->value ? e->value : "";
	if (matcher_match(b->m, e->kind, e->field, v, strlen(v), same_indicator, (void *)e->indicator) != 1)
		return false;
	if (!path || e->kind != EXCISE_OBS_FILE || path != e->path)
		return true;
	bool fold = strcmp(b->p->platform, "linux") != 0;
	const char *want = e->field == EXCISE_F_NAME ? base_name(path) : e->field == EXCISE_F_PATH ? path : NULL;
	return !want || (fold ? strcasecmp(want, v) : strcmp(want, v)) == 0;
}

static void refuse_unheld(struct builder *b, const struct excise_evidence *e)
{
	char what[600];
	what_of(e, what, sizeof(what));
	skipf(b, true, what, "the evidence does not match its indicator %s in catalog %s %s: the report was "
	      "edited or made with another catalog; scan again", e->indicator_id, excise_catalog_id(b->o->catalog),
	      excise_catalog_version(b->o->catalog));
}

/* The evidence observed again on the target (remove/rematch.h): evidence that no longer
 * holds there is refused, evidence whose path is gone is skipped. True when it may be planned. */
static bool evidence_rematches(struct builder *b, const struct excise_evidence *e)
{
	const char *pid = attr(e, "pid");
	long long n = pid ? strtoll(pid, NULL, 10) : 0;
	struct rematch_claim c = {
		.source = e->source, .kind = e->kind, .ind = e->indicator, .value = e->value ? e->value : "",
		.path = e->path, .sha256 = attr(e, "sha256"), .pid = pid ? (n > 0 ? n : -1) : 0,
		.package = e->kind == EXCISE_OBS_PACKAGE ? attr(e, "package") : NULL,
	};
	char why[600], what[600];
	int r = rematch_claim(&b->root, b->m, &c, why, sizeof(why));
	if (r == 0)
		return true;
	if (r == -ENOMEM) {
		b->err = r;
		return false;
	}
	what_of(e, what, sizeof(what));
	if (r == -ENOENT)
		skipf(b, false, what, "%s: nothing to act on", why);
	else
		skipf(b, true, what, "observed again on the target, it does not hold: %s; the report was edited or the "
		      "host changed since the scan: scan again", why);
	return false;
}

static void plan_path(struct builder *b, const struct excise_finding *f, const struct excise_evidence *e,
		      const char *path)
{
	if (!path)
		return;
	char what[600];
	snprintf(what, sizeof(what), "path %s", path);
	if (path[0] != '/') {
		skip_as(b, true, what, "not an absolute path inside the root");
		return;
	}
	struct excise_err err = { 0 };
	int r = safety_check_path(&b->root, path, &err);
	if (r == -ENOENT)
		return; /* gone since the scan; the package removal may have taken it */
	if (r < 0) {
		skip_as(b, is_safety_error(r), what, err.msg);
		return;
	}
	if (e->kind == EXCISE_OBS_FILE && !evidence_holds(b, e, path)) { /* the others were, in the loop */
		refuse_unheld(b, e);
		return;
	}
	/* a product's tree often matches file by file: thousands of paths below one */
	if (below_removed(b, path))
		return; /* removing the directory takes it */
	if (b->p->n_steps >= EXCISE_MAX_PLAN_STEPS)
		drop_nested(b);
	if (step(b, EXCISE_PLAN_REMOVE_PATH, path, f, e) && strset_add(&b->removed, path, strlen(path)) < 0)
		b->err = -ENOMEM;
}

static void plan_package(struct builder *b, const struct excise_finding *f, const struct excise_evidence *e)
{
	bool dpkg = !strcmp(e->source, "dpkg");
	const char *pkg = attr(e, "package");
	if (!pkg && e->field == EXCISE_F_NAME)
		pkg = e->value;
	char what[600];
	if (!pkg) {
		what_of(e, what, sizeof(what));
		skip(b, what, "the package's name is not in the evidence; rescan with this excise");
		return;
	}
	snprintf(what, sizeof(what), "package %s", pkg);
	struct pkg_info pi;
	struct excise_err err = { 0 };
	if (pkgdb_query(&b->root, dpkg ? PKGDB_DPKG : PKGDB_RPM, pkg, -1, &pi, &err) < 0) {
		skip(b, what, err.msg);
		return;
	}
	if (!pi.present) {
		pkg_info_done(&pi);
		return; /* removed since the scan */
	}
	if (!pkgdb_names_vendor(b->m, f->vendor_id, &pi)) {
		skipf(b, true, what, "its metadata (%s '%s') does not name %s: not the vendor's package",
		      dpkg ? "Maintainer" : "Vendor", pi.publisher ? pi.publisher : "", f->vendor_name ? f->vendor_name : f->vendor_id);
		pkg_info_done(&pi);
		return;
	}
	struct excise_plan_step *st = step(b, dpkg ? EXCISE_PLAN_DPKG_PURGE : EXCISE_PLAN_RPM_ERASE, pkg, f, e);
	if (st && !st->version)
		st->version = dup0(pi.version, &b->err);
	pkg_info_done(&pi);
}

static bool is_unit_name(const char *n)
{
	static const char *const sfx[] = { ".service", ".socket", ".timer", ".path", ".target", ".mount" };
	size_t l = n ? strlen(n) : 0;
	for (size_t i = 0; i < sizeof(sfx) / sizeof(sfx[0]); i++) {
		size_t k = strlen(sfx[i]);
		if (l > k && !strcmp(n + l - k, sfx[i]))
			return true;
	}
	return false;
}

/* ---- from evidence to actions: the handlers of the rule table below ---- */

static void plan_evidence_path(struct builder *b, const struct excise_finding *f, const struct excise_evidence *e)
{
	plan_path(b, f, e, e->path);
}

/* A systemd unit: stopped, disabled (its file, or offline its enablement links), reloaded. */
static void plan_unit(struct builder *b, const struct excise_finding *f, const struct excise_evidence *e)
{
	const char *unit = base_name(e->path);
	if (!is_unit_name(unit))
		unit = e->field == EXCISE_F_NAME ? e->value : NULL;
	if (unit && is_unit_name(unit)) {
		step(b, EXCISE_PLAN_STOP_SERVICE, unit, f, e);
		struct excise_plan_step *d = step(b, EXCISE_PLAN_DISABLE_SERVICE, unit, f, e);
		if (d && !d->path && e->path && e->state && strcmp(e->state, "wants") && strcmp(e->state, "requires"))
			d->path = dup0(e->path, &b->err);
		step(b, EXCISE_PLAN_RELOAD_UNITS, "daemon-reload", f, e);
	}
	plan_path(b, f, e, e->path);
}

/* A kernel module (Linux) or a kext (macOS, by its bundle id): unloaded when loaded, then its file. */
static void plan_module(struct builder *b, const struct excise_finding *f, const struct excise_evidence *e)
{
	const char *name = attr(e, "bundle_id");
	if (!name && !strcmp(b->p->platform, "linux") && e->active && e->field == EXCISE_F_NAME)
		name = e->value;
	struct excise_plan_step *st = name ? step(b, EXCISE_PLAN_UNLOAD_MODULE, name, f, e) : NULL;
	if (st)
		st->reboot = true;
	plan_path(b, f, e, e->path);
}

static void plan_process(struct builder *b, const struct excise_finding *f, const struct excise_evidence *e)
{
	const char *pid = attr(e, "pid");
	struct excise_plan_step *st = pid && e->path ? step(b, EXCISE_PLAN_KILL_PROCESS, e->path, f, e) : NULL;
	if (st)
		st->pid = strtoll(pid, NULL, 10);
}

/* `*path` checked by the safety rules; when it is reached through a directory link, its
 * real path inside the root instead (*real, the caller's to free; else NULL), checked. */
static int safe_real_path(struct builder *b, const char **path, char **real, struct excise_err *err)
{
	int r = safety_check_path(&b->root, *path, err);
	*real = r == -EXCISE_E_SYMLINK ? real_dir_path(b, *path) : NULL;
	if (*real) {
		*path = *real;
		*err = (struct excise_err){ 0 };
		r = safety_check_path(&b->root, *path, err);
	}
	return r;
}

static void plan_trust_cert(struct builder *b, const struct excise_finding *f, const struct excise_evidence *e)
{
	const char *sha = attr(e, "sha256");
	if (!sha || !e->path)
		return;
	struct excise_err err = { 0 };
	const char *path = e->path;
	char *real;
	/* a trust store reached through a directory link (Fedora's /etc/ssl/certs ->
	 * ../pki/tls/certs) is acted on where it really is */
	int r = safe_real_path(b, &path, &real, &err);
	char what[600];
	snprintf(what, sizeof(what), "certificate %s in %s", sha, e->path);
	/* a bundle that is itself protected (ca-certificates.crt) is rewritten, not removed */
	if (r < 0 && r != -EXCISE_E_REFUSED) {
		if (r != -ENOENT)
			skip_as(b, is_safety_error(r), what, err.msg);
		free(real);
		return;
	}
	step_at(b, EXCISE_PLAN_REMOVE_CERT, sha, path, f, e);
	free(real);
	step(b, EXCISE_PLAN_REGEN_TRUST, "trust-store", f, e);
}

/* `s` single-quoted for a POSIX shell into `out` (false when it does not fit). */
static bool shell_quote(char *out, size_t size, const char *s)
{
	size_t n = 0;
	if (size < 3)
		return false;
	out[n++] = '\'';
	for (; *s; s++) {
		const char *piece = *s == '\'' ? "'\\''" : NULL;
		size_t k = piece ? 4 : 1;
		if (n + k + 2 > size)
			return false;
		if (piece)
			memcpy(out + n, piece, k);
		else
			out[n] = *s;
		n += k;
	}
	out[n++] = '\'';
	out[n] = 0;
	return true;
}

/* A certificate in an NSS database excise does not change (a legacy cert8.db on any
 * platform; a cert9.db of a Windows or macOS profile): listed with the command that
 * removes it, certutil -D on the profile's folder (dbm: or sql:) by its nickname, to be
 * run with the browser closed. Not a refusal: the plan goes on. */
static void plan_nss_listed(struct builder *b, const struct excise_finding *f, const struct excise_evidence *e)
{
	(void)f;
	char what[600], why[2048], dir[700], nick[700];
	const char *sha = attr(e, "sha256");
	const char *n = attr(e, "nickname");
	/* one line a certificate, whichever of its indicators matched */
	if (sha && e->path)
		snprintf(what, sizeof(what), "certificate '%s' (sha256 %s) in %s", n ? n : "", sha, e->path);
	else
		what_of(e, what, sizeof(what));
	const char *base = e->path ? strrchr(e->path, '/') : NULL;
	bool legacy = base && !strcmp(base, "/cert8.db");
	char *d = base ? strndup(e->path, (size_t)(base - e->path)) : NULL;
	if (base && !d) {
		b->err = -ENOMEM;
		return;
	}
	bool ok = d && *d && n && *n && shell_quote(dir, sizeof(dir), d) && shell_quote(nick, sizeof(nick), n);
	free(d);
	if (ok)
		snprintf(why, sizeof(why), "nss-certs evidence: an NSS %s database, not changed by excise: close the "
			 "browser, keep a copy of the profile's %s, then run certutil -D -d %s%s -n %s (the path inside "
			 "the scanned root)", legacy ? "legacy (cert8.db)" : "(cert9.db)",
			 legacy ? "cert8.db, key3.db and secmod.db" : "cert9.db, key4.db and pkcs11.txt",
			 legacy ? "dbm:" : "sql:", dir, nick);
	else
		snprintf(why, sizeof(why), "nss-certs evidence: not changed by excise: remove it in the browser's "
			 "certificate manager, or with NSS certutil -D -d %sPROFILE -n NICKNAME", legacy ? "dbm:" : "sql:");
	skip(b, what, why);
}

/* A certificate in an NSS database (a Firefox or Thunderbird profile's cert9.db, a user's
 * ~/.pki/nssdb): deleted from the database by its sha256 (action-nss.c). The database is
 * acted on where it really is inside the root (a profile folder reached through a link:
 * its real path); a path the safety rules refuse is refused. */
static char **strv_dup(const char *const *v, size_t n, int *err);
static void plan_nss_cert(struct builder *b, const struct excise_finding *f, const struct excise_evidence *e)
{
	const char *sha = attr(e, "sha256");
	const char *base = e->path ? strrchr(e->path, '/') : NULL;
	char what[600];
	snprintf(what, sizeof(what), "certificate %s in %s", sha ? sha : e->value, e->path ? e->path : "?");
	if (sha && base && !strcmp(base, "/cert8.db")) {
		plan_nss_listed(b, f, e);
		return;
	}
	if (!sha || !base || strcmp(base, "/cert9.db")) {
		skip_as(b, true, what, "not a certificate of an NSS cert9.db (no sha256 or another file): the report was "
			"edited or comes from another excise; scan again");
		return;
	}
	struct excise_err err = { 0 };
	const char *path = e->path;
	char *real;
	int r = safe_real_path(b, &path, &real, &err);
	if (r < 0) {
		if (r != -ENOENT)
			skip_as(b, is_safety_error(r), what, err.msg);
		free(real);
		return;
	}
	struct excise_plan_step *st = step_at(b, EXCISE_PLAN_REMOVE_NSS_CERT, sha, path, f, e);
	const char *nick = attr(e, "nickname");
	if (st && !st->args && nick && *nick) {
		const char *v[] = { nick };
		st->args = strv_dup(v, 1, &b->err);
	}
	free(real);
}

/* The product that an MSI product code belongs to: the first whose own indicator (not a
 * vendor-wide one) matched evidence carrying the code. An install is often found through a
 * vendor-wide indicator (the publisher), while which product it is shows in another finding
 * of the same uninstall entry. NULL when none says. */
static const struct excise_product *code_owner(const struct excise_scan *s, const char *code)
{
	for (size_t i = 0; i < s->n_findings; i++) {
		const struct excise_finding *f = &s->findings[i];
		for (size_t j = 0; j < f->n_evidence; j++) {
			const struct excise_evidence *e = &f->evidence[j];
			const char *c = attr(e, "msi_product_code");
			if (c && !strcasecmp(c, code) && e->indicator && e->indicator->product_id)
				return f->product;
		}
	}
	return NULL;
}

static const struct excise_uninstall *uninstall_of(const struct excise_removal *rm, enum excise_uninstall_kind k)
{
	for (size_t i = 0; rm && i < rm->n_uninstall; i++)
		if (rm->uninstall[i].kind == k)
			return &rm->uninstall[i];
	return NULL;
}

static char **strv_dup(const char *const *v, size_t n, int *err)
{
	char **d = calloc(n + 1, sizeof(*d));
	if (!d)
		*err = -ENOMEM;
	for (size_t i = 0; d && i < n; i++)
		d[i] = dup0(v[i], err);
	return d;
}

/* The vendor's removal tools of a recipe (a tool by name, its file next to the script): run
 * on the host itself, after the MSI uninstall (as its fallback when the recipe says so). */
static void plan_vendor_removers(struct builder *b, const struct excise_finding *f, const struct excise_evidence *e,
				 const struct excise_removal *rm)
{
	for (size_t i = 0; rm && i < rm->n_uninstall; i++) {
		const struct excise_uninstall *u = &rm->uninstall[i];
		if (u->kind != EXCISE_UNINSTALL_VENDOR_REMOVER)
			continue;
		struct excise_plan_step *st = step_at(b, EXCISE_PLAN_VENDOR_REMOVER, u->name, u->file, f, e);
		if (st && !st->args) {
			size_t n = 0;
			while (u->args && u->args[n])
				n++;
			st->args = strv_dup(u->args, n, &b->err);
			st->fallback = u->fallback; /* kept when an MSI step comes before it (notes) */
		}
	}
}

/* An MSI install: msiexec /x with the password properties of the product the code is
 * of, then the vendor's removal tools of that product and of the finding's. */
static void plan_msi(struct builder *b, const struct excise_finding *f, const struct excise_evidence *e,
		     const char *code)
{
	const struct excise_product *owner = code_owner(b->s, code);
	const struct excise_removal *mine = excise_product_removal(f->product, "windows");
	const struct excise_removal *theirs = owner ? excise_product_removal(owner, "windows") : NULL;
	const struct excise_removal *rm = uninstall_of(theirs, EXCISE_UNINSTALL_MSI) ? theirs : mine;
	const struct excise_uninstall *msi = uninstall_of(rm, EXCISE_UNINSTALL_MSI);
	struct excise_plan_step *st = step(b, EXCISE_PLAN_MSI_UNINSTALL, code, f, e);
	if (st && !st->args) {
		size_t n = msi ? msi->n_properties : 0;
		const char *names[EXCISE_MAX_PLAN_ARGS + 1], *forms[EXCISE_MAX_PLAN_ARGS + 1];
		for (size_t i = 0; i < n; i++) {
			names[i] = msi->properties[i].name;
			forms[i] = excise_msi_value_name(msi->properties[i].value);
		}
		st->args = strv_dup(names, n, &b->err);
		st->forms = strv_dup(forms, n, &b->err);
		/* an MSI uninstall of a product with drivers finishes at the next boot unless told otherwise */
		st->reboot = rm ? rm->reboot : true;
		/* a per-user registration: Windows Installer knows it only in that user's context */
		st->user = dup0(attr(e, "user"), &b->err);
	}
	plan_vendor_removers(b, f, e, theirs);
	if (mine != theirs)
		plan_vendor_removers(b, f, e, mine);
}

/* A Windows directory named by the registry (C:\\Program Files (x86)\\...\\), as the path of
 * that directory inside the root, found whatever its case. */
static void plan_win_dir(struct builder *b, const struct excise_finding *f, const struct excise_evidence *e,
			 const char *win_dir)
{
	char *p = win_root_path(win_dir), *real = NULL;
	if (!p) {
		b->err = -ENOMEM;
		return;
	}
	for (size_t n = strlen(p); n > 1 && p[n - 1] == '/'; n--)
		p[n - 1] = 0;
	if (root_resolve_nocase(&b->root, p, &real) == 0)
		plan_path(b, f, e, real);
	free(real);
	free(p);
}

/* The UninstallString of the Uninstall entry `key` (HKLM\SOFTWARE\...\Uninstall\X, or
 * HKU\<user>\Software\...\Uninstall\X: Users/<user>/NTUSER.DAT), read again from the image's
 * hive, not from the report (anyone may have edited it). NULL when the key is no Uninstall
 * entry, or it or its value is gone; the last answer is kept, as evidence of one entry
 * comes together. */
static const char *entry_uninstall_string(struct builder *b, const char *key)
{
	char *hive_path = NULL;
	const char *sub = NULL;
	int r = msicode_uninstall_key(key, &hive_path, &sub);
	if (r != 0) {
		if (r < 0)
			b->err = r;
		return NULL;
	}
	if (b->us_key && !strcmp(b->us_key, key)) {
		free(hive_path);
		return b->us_value;
	}
	free(b->us_key);
	free(b->us_value);
	b->us_key = b->us_value = NULL;
	struct hive *h = NULL;
	struct excise_err err = { 0 };
	hive_node n = 0;
	char *value = NULL;
	r = win_hive_open(&b->root, hive_path, &h, NULL, &err);
	if (r == 0 && hive_lookup(h, hive_root(h), sub, &n) == 0 && hive_string(h, n, "UninstallString", &value) == 0 &&
	    value && !*value) {
		free(value);
		value = NULL;
	}
	if (r == -ENOMEM)
		b->err = r;
	if (h)
		hive_close(h);
	free(hive_path);
	b->us_key = dup0(key, &b->err);
	b->us_value = value;
	return value;
}

/* Whether a registered UninstallString is how the finding's product is removed: its recipe
 * says so, or it is an install the catalog does not list (its registration is all there is). */
static bool uses_uninstall_string(const struct excise_finding *f)
{
	return f->kind == EXCISE_FINDING_UNLISTED ||
	       uninstall_of(excise_product_removal(f->product, "windows"), EXCISE_UNINSTALL_STRING);
}

/* A non-MSI install: the UninstallString its entry registers, run as registered (in the
 * user's context for a per-user entry), then the recipe's removal tools. */
static void plan_uninstall_string(struct builder *b, const struct excise_finding *f, const struct excise_evidence *e,
				  const char *us)
{
	struct excise_plan_step *st = step(b, EXCISE_PLAN_UNINSTALL_STRING, e->path, f, e);
	if (st && !st->args) {
		const char *v[] = { us };
		st->args = strv_dup(v, 1, &b->err);
		st->user = dup0(attr(e, "user"), &b->err);
		const struct excise_removal *rm = excise_product_removal(f->product, "windows");
		st->reboot = rm ? rm->reboot : true;
	}
	plan_vendor_removers(b, f, e, excise_product_removal(f->product, "windows"));
	/* the folder it was installed to, when the uninstaller leaves it */
	const char *loc = attr(e, "install_location");
	if (loc)
		plan_win_dir(b, f, e, loc);
}

/* The registry of software: an MSI install (by its registration's product code, its
 * entry's name or UninstallString), a non-MSI install by its UninstallString, a vendor
 * key, the folder a key names. */
static void plan_win_software(struct builder *b, const struct excise_finding *f, const struct excise_evidence *e)
{
	const char *code = attr(e, "msi_product_code");
	const char *us = NULL;
	char buf[39];
	if (!code && e->path && (e->kind == EXCISE_OBS_PACKAGE || e->kind == EXCISE_OBS_REGISTRY)) {
		us = entry_uninstall_string(b, e->path);
		if (msicode_of(e->path, us, buf))
			code = buf;
	}
	if (code)
		plan_msi(b, f, e, code);
	else if (us && uses_uninstall_string(f))
		plan_uninstall_string(b, f, e, us);
	else if (e->kind == EXCISE_OBS_REGISTRY && e->path)
		step(b, EXCISE_PLAN_DELETE_REGKEY, e->path, f, e);
	const char *product_root = attr(e, "product_root");
	if (product_root)
		plan_win_dir(b, f, e, product_root);
}

/* A Windows service or driver: stopped by its service key (a driver's NAME is its image
 * file, klif.sys; the service is the key, klif). A service matched by another field than
 * its name (its display name, "Agent d'administration de Kaspersky Security Center") is
 * stopped by its key too: the last component of its path under ...\Services\. */
static void plan_win_service(struct builder *b, const struct excise_finding *f, const struct excise_evidence *e)
{
	const char *svc = attr(e, "service");
	if (!svc && e->kind == EXCISE_OBS_SERVICE && e->field != EXCISE_F_NAME && e->path &&
	    !attr(e, "autorun") && strstr(e->path, "\\Services\\") && strrchr(e->path, '\\')[1])
		svc = strrchr(e->path, '\\') + 1;
	struct excise_plan_step *st = step(b, EXCISE_PLAN_STOP_SERVICE, svc ? svc : e->value, f, e);
	if (st && e->kind == EXCISE_OBS_KMOD)
		st->reboot = true;
}

static void plan_launchd(struct builder *b, const struct excise_finding *f, const struct excise_evidence *e)
{
	const char *label = attr(e, "label");
	if (!label && e->field == EXCISE_F_NAME)
		label = e->value;
	if (label)
		step(b, EXCISE_PLAN_STOP_SERVICE, label, f, e);
	plan_path(b, f, e, e->path);
}

/* What `pkgutil --forget` removes: the receipt's .plist and its .bom. The uninstaller
 * forgets them itself on a live host; offline, and when it did not, they are moved. */
static void forget_receipt(struct builder *b, const struct excise_finding *f, const struct excise_evidence *e)
{
	size_t n = e->path ? strlen(e->path) : 0;
	if (n < 7 || strcmp(e->path + n - 6, ".plist") || strncmp(e->path, "/var/db/receipts/", 17))
		return;
	char *plist = real_dir_path(b, e->path);
	if (!plist)
		return;
	plan_path(b, f, e, plist);
	size_t m = strlen(plist);
	char *bom = malloc(m);
	if (bom) {
		memcpy(bom, plist, m - 6);
		memcpy(bom + m - 6, ".bom", 5);
		plan_path(b, f, e, bom);
	} else {
		b->err = -ENOMEM;
	}
	free(bom);
	free(plist);
}

/* The uninstallers a macOS recipe bundles with the product, those that are there. */
static void plan_bundled(struct builder *b, const struct excise_finding *f, const struct excise_evidence *e,
			 const struct excise_removal *rm)
{
	for (size_t i = 0; rm && i < rm->n_uninstall; i++)
		for (const char *const *p = rm->uninstall[i].kind == EXCISE_UNINSTALL_BUNDLED ? rm->uninstall[i].paths
											  : NULL; p && *p; p++) {
			char *real = NULL;
			if (root_resolve_nocase(&b->root, *p, &real) == 0)
				step(b, EXCISE_PLAN_VENDOR_REMOVER, real, f, e);
			free(real);
		}
}

/* A macOS package receipt: the uninstaller of the receipt's product and of the finding's, then the receipt. */
static void plan_receipt(struct builder *b, const struct excise_finding *f, const struct excise_evidence *e)
{
	const struct excise_product *own = e->indicator->product_id ?
		excise_catalog_find_product(b->o->catalog, e->indicator->product_id) : NULL;
	const struct excise_removal *mine = excise_product_removal(f->product, "macos");
	const struct excise_removal *theirs = excise_product_removal(own, "macos");
	plan_bundled(b, f, e, mine);
	if (theirs != mine)
		plan_bundled(b, f, e, theirs);
	forget_receipt(b, f, e);
}

/* A certificate in a machine store of the SOFTWARE hive: its key (…\SystemCertificates\<store>\
 * Certificates\<thumbprint>) is deleted, exported to a .reg file in the quarantine first, so
 * the script takes it out of the store and restoring the .reg puts it back. */
static void plan_win_cert(struct builder *b, const struct excise_finding *f, const struct excise_evidence *e)
{
	static const char prefix[] = "HKLM\\SOFTWARE\\";
	if (e->path && !strncasecmp(e->path, prefix, sizeof(prefix) - 1) && strcasestr(e->path, "\\SystemCertificates\\") &&
	    strcasestr(e->path, "\\Certificates\\"))
		step(b, EXCISE_PLAN_DELETE_REGKEY, e->path, f, e);
	else
		skip(b, e->path ? e->path : e->value, "not a certificate key of a machine store: remove it from the store "
			 "with certutil -delstore");
}

/* A certificate in a user's store (Users/<user>/NTUSER.DAT, shown as HKU\<user>\Software\
 * Microsoft\SystemCertificates\<store>\Certificates\<thumbprint>): its key is deleted from
 * that user's hive, exported to the quarantine first, the step in that user's registry (`user`):
 * the script finds the hive under HKU\<SID> while the user is signed in, else loads it for the
 * step and unloads it after. */
static void plan_win_user_cert(struct builder *b, const struct excise_finding *f, const struct excise_evidence *e)
{
	static const char certs[] = "\\Software\\Microsoft\\SystemCertificates\\";
	const char *u = e->path && !strncasecmp(e->path, "HKU\\", 4) ? e->path + 4 : NULL;
	const char *rest = u ? strchr(u, '\\') : NULL;
	if (!rest || rest == u || strncasecmp(rest, certs, sizeof(certs) - 1) ||
	    !strcasestr(rest + sizeof(certs) - 1, "\\Certificates\\")) {
		skip(b, e->path ? e->path : e->value, "not a certificate key of a user's store: remove it from the "
			 "user's store with certutil -user -delstore");
		return;
	}
	struct excise_plan_step *st = step(b, EXCISE_PLAN_DELETE_REGKEY, e->path, f, e);
	if (st && !st->user && !(st->user = strndup(u, (size_t)(rest - u))))
		b->err = -ENOMEM;
}

typedef void plan_fn(struct builder *b, const struct excise_finding *f, const struct excise_evidence *e);

/* Every kind of evidence the sources report, and what the plan does with it: the first
 * rule naming the plan's platform, the evidence's source and its kind (or any kind,
 * _EXCISE_OBS_KIND_MAX) decides. A rule without a handler is evidence excise leaves to
 * the operator, and `why` says how. Evidence no rule covers is refused. */
static const struct rule {
	const char *platforms;       /* comma-separated */
	const char *source;
	enum excise_obs_kind kind;
	plan_fn *plan;
	const char *why;
} rules[] = {
	{ "linux", "dpkg", _EXCISE_OBS_KIND_MAX, plan_package, NULL },
	{ "linux", "rpm", _EXCISE_OBS_KIND_MAX, plan_package, NULL },
	{ "linux", "systemd", _EXCISE_OBS_KIND_MAX, plan_unit, NULL },
	{ "linux", "sysv", _EXCISE_OBS_KIND_MAX, plan_evidence_path, NULL },
	{ "linux", "kmod", _EXCISE_OBS_KIND_MAX, plan_module, NULL },
	{ "linux", "proc", _EXCISE_OBS_KIND_MAX, plan_process, NULL },
	{ "linux", "truststore", _EXCISE_OBS_KIND_MAX, plan_trust_cert, NULL },
	{ "linux,windows,macos", "files", _EXCISE_OBS_KIND_MAX, plan_evidence_path, NULL },
	{ "linux,windows,macos", "walk", _EXCISE_OBS_KIND_MAX, plan_evidence_path, NULL },
	{ "windows", "win-files", _EXCISE_OBS_KIND_MAX, plan_evidence_path, NULL },
	{ "windows", "win-software", EXCISE_OBS_CERT, plan_win_cert, NULL },
	{ "windows", "win-users", EXCISE_OBS_CERT, plan_win_user_cert, NULL },
	{ "windows", "win-software", _EXCISE_OBS_KIND_MAX, plan_win_software, NULL },
	{ "windows", "win-users", _EXCISE_OBS_KIND_MAX, plan_win_software, NULL },
	{ "windows", "win-services", _EXCISE_OBS_KIND_MAX, plan_win_service, NULL },
	{ "macos", "launchd", _EXCISE_OBS_KIND_MAX, plan_launchd, NULL },
	{ "macos", "macos-kexts", _EXCISE_OBS_KIND_MAX, plan_module, NULL },
	{ "macos", "macos-receipts", _EXCISE_OBS_KIND_MAX, plan_receipt, NULL },
	{ "macos", "macos-apps", _EXCISE_OBS_KIND_MAX, plan_evidence_path, NULL },
	{ "linux,windows,macos", "browser-extensions", _EXCISE_OBS_KIND_MAX, NULL,
	  "remove it through the browser, NSS certutil -D or the owning tool" },
	{ "linux", "nss-certs", EXCISE_OBS_CERT, plan_nss_cert, NULL },
	{ "windows,macos", "nss-certs", EXCISE_OBS_CERT, plan_nss_listed, NULL },
	{ "linux,windows,macos", "nss-certs", _EXCISE_OBS_KIND_MAX, NULL,
	  "remove it in the browser's certificate manager, or with NSS certutil -D -d sql:PROFILE -n NICKNAME" },
};

static bool names_platform(const char *list, const char *platform)
{
	size_t n = strlen(platform);
	for (const char *c = list; c; c = strchr(c, ',') ? strchr(c, ',') + 1 : NULL)
		if (!strncmp(c, platform, n) && (c[n] == ',' || !c[n]))
			return true;
	return false;
}

bool plan_has_rule(const char *platform, const char *source)
{
	for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++)
		if (!strcmp(rules[i].source, source) && names_platform(rules[i].platforms, platform))
			return true;
	return false;
}

static const char *platform_title(const char *platform)
{
	return !strcmp(platform, "linux") ? "Linux" : !strcmp(platform, "windows") ? "Windows" : "macOS";
}

/* The rule for evidence `e` on `platform`, or NULL. */
static const struct rule *rule_of(const struct excise_evidence *e, const char *platform)
{
	for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
		const struct rule *r = &rules[i];
		if (!strcmp(r->source, e->source) && (r->kind == _EXCISE_OBS_KIND_MAX || r->kind == e->kind) &&
		    names_platform(r->platforms, platform))
			return r;
	}
	return NULL;
}

static void plan_evidence(struct builder *b, const struct excise_finding *f, const struct excise_evidence *e)
{
	const char *platform = b->p->platform;
	const struct rule *r = rule_of(e, platform);
	char what[600];
	if (r && r->plan) {
		r->plan(b, f, e);
		return;
	}
	if (r) {
		what_of(e, what, sizeof(what));
		skipf(b, false, what, "%s evidence: not removed by excise on %s (%s)", e->source, platform_title(platform),
		      r->why);
		return;
	}
	/* Evidence of another platform whose markers the root also carried (a Linux image with a
	 * copied Windows hive): the plan acts on its own platform's install; the rest is the
	 * scan's word, not acted on, and no reason to refuse the plan. */
	const char *list = b->s->host.platforms;
	for (const char *c = list; c && *c; c += strcspn(c, ","), c += *c == ',') {
		char other[16];
		snprintf(other, sizeof(other), "%.*s", (int)strcspn(c, ","), c);
		if (!strcmp(other, platform) || !rule_of(e, other))
			continue;
		what_of(e, what, sizeof(what));
		skipf(b, false, what, "%s evidence of %s, in a %s root that also carries %s's markers: not acted on by "
		      "this %s plan; remove it by hand, or on the %s system it came from", e->source,
		      platform_title(other), platform_title(platform), platform_title(other), platform_title(platform),
		      platform_title(other));
		return;
	}
	what_of(e, what, sizeof(what));
	skipf(b, true, what, "no removal rule for %s evidence from source %s on %s: a report of another excise "
	      "version? plan it with the excise that scanned it", excise_obs_kind_name(e->kind), e->source, platform);
}

/* ---- from the catalog's removal recipes ---- */

static bool has_step(const struct excise_plan *p, enum excise_plan_action a, const char *target)
{
	for (size_t i = 0; i < p->n_steps; i++)
		if (p->steps[i].action == a && !strcmp(p->steps[i].target, target))
			return true;
	return false;
}

/* Whether the plan uninstalls product `id` (a package, an MSI, the vendor's tool). */
static bool uninstalls(const struct excise_plan *p, const char *id)
{
	for (size_t i = 0; i < p->n_steps; i++) {
		enum excise_plan_action a = p->steps[i].action;
		if ((a == EXCISE_PLAN_DPKG_PURGE || a == EXCISE_PLAN_RPM_ERASE || a == EXCISE_PLAN_MSI_UNINSTALL ||
		     a == EXCISE_PLAN_UNINSTALL_STRING || a == EXCISE_PLAN_VENDOR_REMOVER) && !strcmp(p->steps[i].product, id))
			return true;
	}
	return false;
}

/* What a product's recipe for this platform names besides its uninstall: the services and
 * drivers to stop before the plan uninstalls it, and the leftovers there are. Only for a
 * product found with strong evidence, on which these steps rest; a step planned from
 * evidence already is kept as it is. */
/* An install the catalog does not know has no recipe: its evidence is planned by the rules
 * above, and the plan says what it cannot know (services, drivers, leftovers; an uninstall
 * when no registration gave one). */
static void plan_unlisted(struct builder *b, const struct excise_finding *f)
{
	const struct excise_evidence *reg = NULL;
	bool strong = false;
	for (size_t j = 0; j < f->n_evidence; j++) {
		const struct excise_evidence *e = &f->evidence[j];
		strong |= e->confidence >= EXCISE_CONF_STRONG;
		if (!reg && e->kind == EXCISE_OBS_PACKAGE && e->path)
			reg = e;
	}
	if (!strong)
		return;
	char what[600];
	snprintf(what, sizeof(what), "%s (%s)", f->product_name ? f->product_name : f->product_id, f->product_id);
	if (uninstalls(b->p, f->product_id))
		skipf(b, false, what, "not in catalog %s: no recipe; the plan uninstalls it through its registration "
		      "and removes the evidence found, but the services, drivers and leftovers a recipe would name "
		      "are not known: scan again afterwards", excise_catalog_id(b->o->catalog));
	else
		skipf(b, false, what, "not in catalog %s: no recipe and no uninstall step; uninstall it with %s%s%s "
		      "or the vendor's removal tool, then scan again", excise_catalog_id(b->o->catalog),
		      strcmp(b->p->platform, "windows") ? "its package manager" : "its UninstallString",
		      reg ? " in " : "", reg ? reg->path : "");
}

static void plan_recipe(struct builder *b, const struct excise_finding *f)
{
	if (f->kind == EXCISE_FINDING_UNLISTED) {
		plan_unlisted(b, f);
		return;
	}
	const struct excise_removal *rm = excise_product_removal(f->product, b->p->platform);
	const struct excise_evidence *e = NULL;
	for (size_t j = 0; rm && j < f->n_evidence && !e; j++)
		if (f->evidence[j].indicator && f->evidence[j].indicator->confidence >= EXCISE_CONF_STRONG)
			e = &f->evidence[j];
	if (!e)
		return;
	bool linux = !strcmp(b->p->platform, "linux"), win = !strcmp(b->p->platform, "windows");
	bool stop = uninstalls(b->p, f->product_id);
	for (const char *const *s = stop ? rm->services : NULL; s && *s && !b->err; s++)
		if ((!linux || is_unit_name(*s)) && !has_step(b->p, EXCISE_PLAN_STOP_SERVICE, *s))
			step(b, EXCISE_PLAN_STOP_SERVICE, *s, f, e);
	enum excise_plan_action stop_driver = win ? EXCISE_PLAN_STOP_SERVICE : EXCISE_PLAN_UNLOAD_MODULE;
	for (const char *const *d = stop ? rm->drivers : NULL; d && *d && !b->err; d++) {
		struct excise_plan_step *st = has_step(b->p, stop_driver, *d) ? NULL : step(b, stop_driver, *d, f, e);
		if (st)
			st->reboot = true;
	}
	for (const char *const *l = rm->leftovers; *l && !b->err; l++) {
		char *real = NULL;
		int r = linux ? ((real = strdup(*l)) ? 0 : -ENOMEM) : root_resolve_nocase(&b->root, *l, &real);
		if (r == -ENOMEM)
			b->err = r;
		struct excise_err err = { 0 };
		int safe = r == 0 ? safety_check_path(&b->root, real, &err) : r;
		/* a leftover the safety rules forbid is the catalog's mistake, not suspect evidence */
		if (safe < 0 && safe != -ENOENT && safe != -ENOMEM && r == 0) {
			char what[600];
			snprintf(what, sizeof(what), "path %s", real);
			skipf(b, false, what, "a leftover of %s in the catalog: %s", f->product_id, err.msg);
		} else if (safe == 0 && !has_step(b->p, EXCISE_PLAN_REMOVE_PATH, real) && !below_removed(b, real)) {
			plan_path(b, f, e, real);
		}
		free(real);
	}
}
/* ---- order ---- */

static int cmp_steps(const void *x, const void *y)
{
	const struct excise_plan_step *a = x, *b = y;
	int d = actions[a->action]->rank - actions[b->action]->rank;
	if (d)
		return d;
	if (actions[a->action]->keeps_order)
		return a->id < b->id ? -1 : a->id > b->id;
	d = strcmp(a->target, b->target);
	/* one certificate in several files or databases: by path, so the order is the same every time */
	return d ? d : strcmp(a->path ? a->path : "", b->path ? b->path : "");
}

static bool needs(const struct pkg_info *a, const char *bname, const struct pkg_info *b)
{
	for (char **n = a->needs; n && *n; n++) {
		if (!strcmp(*n, bname))
			return true;
		for (char **p = b->provides; p && *p; p++)
			if (!strcmp(*n, *p))
				return true;
	}
	return false;
}

/* Number the package steps so that a package comes before those it depends on. */
static void order_packages(struct builder *b)
{
	struct excise_plan *p = b->p;
	size_t n = 0;
	for (size_t i = 0; i < p->n_steps; i++)
		n += p->steps[i].action == EXCISE_PLAN_DPKG_PURGE || p->steps[i].action == EXCISE_PLAN_RPM_ERASE;
	struct excise_plan_step **v = calloc(n + 1, sizeof(*v));
	struct pkg_info *pi = calloc(n + 1, sizeof(*pi));
	bool *done = calloc(n + 1, sizeof(*done));
	if (!v || !pi || !done) {
		b->err = -ENOMEM;
		goto out;
	}
	size_t k = 0;
	for (size_t i = 0; i < p->n_steps; i++) {
		struct excise_plan_step *s = &p->steps[i];
		if (s->action != EXCISE_PLAN_DPKG_PURGE && s->action != EXCISE_PLAN_RPM_ERASE)
			continue;
		struct excise_err err = { 0 };
		if (pkgdb_query(&b->root, s->action == EXCISE_PLAN_DPKG_PURGE ? PKGDB_DPKG : PKGDB_RPM, s->target, -1,
				&pi[k], &err) < 0)
			pi[k] = (struct pkg_info){ 0 };
		v[k++] = s;
	}
	unsigned next = 1;
	for (size_t round = 0; round < n; round++) {
		/* the first (by name) not needed by any other package still to go */
		size_t pick = n;
		for (size_t i = 0; i < n; i++) {
			if (done[i])
				continue;
			bool needed = false;
			for (size_t j = 0; j < n && !needed; j++)
				needed = j != i && !done[j] && needs(&pi[j], v[i]->target, &pi[i]);
			if (!needed && (pick == n || strcmp(v[i]->target, v[pick]->target) < 0))
				pick = i;
		}
		if (pick == n) /* a dependency cycle: the rest by name */
			for (size_t i = 0; i < n; i++)
				if (!done[i] && (pick == n || strcmp(v[i]->target, v[pick]->target) < 0))
					pick = i;
		done[pick] = true;
		v[pick]->id = next++;
	}
out:
	for (size_t i = 0; pi && i < n; i++)
		pkg_info_done(&pi[i]);
	free(pi);
	free(v);
	free(done);
}

/* A path inside another path the plan removes, or a registry key under another key
 * it deletes (names compared without case, as Windows does): removing the outer one
 * takes it too. */
static bool nested_path(const struct excise_plan *p, size_t i)
{
	const struct excise_plan_step *s = &p->steps[i];
	bool key = s->action == EXCISE_PLAN_DELETE_REGKEY;
	if (s->action != EXCISE_PLAN_REMOVE_PATH && !key)
		return false;
	char sep = key ? '\\' : '/';
	size_t l = strlen(s->target);
	for (size_t j = 0; j < p->n_steps; j++) {
		const struct excise_plan_step *o = &p->steps[j];
		size_t ol = strlen(o->target);
		if (j == i || o->action != s->action || ol >= l)
			continue;
		if ((key ? strncasecmp(o->target, s->target, ol) : strncmp(o->target, s->target, ol)) == 0 &&
		    (s->target[ol] == sep || (!key && ol == 1)))
			return true;
	}
	return false;
}

static void drop_nested(struct builder *b)
{
	struct excise_plan *p = b->p;
	bool *drop = calloc(p->n_steps + 1, sizeof(*drop));
	if (!drop) {
		b->err = -ENOMEM;
		return;
	}
	/* decide for all before freeing any: the test reads every target */
	for (size_t i = 0; i < p->n_steps; i++)
		drop[i] = nested_path(p, i);
	size_t w = 0;
	for (size_t i = 0; i < p->n_steps; i++) {
		if (drop[i])
			plan_step_done(&p->steps[i]);
		else
			p->steps[w++] = p->steps[i];
	}
	p->n_steps = w;
	free(drop);
}

static void record_seen(struct builder *b)
{
	for (size_t i = 0; i < b->p->n_steps; i++) {
		struct excise_plan_step *s = &b->p->steps[i];
		if (s->action != EXCISE_PLAN_REMOVE_PATH)
			continue;
		struct stat st;
		if (root_lstat(&b->root, s->target, &st) < 0)
			continue;
		s->seen = (struct excise_plan_object){
			.known = true,
			.type = S_ISREG(st.st_mode) ? 'f' : S_ISDIR(st.st_mode) ? 'd' : S_ISLNK(st.st_mode) ? 'l' : 'o',
			.dev = (uint64_t)st.st_dev, .ino = (uint64_t)st.st_ino,
			.size = S_ISREG(st.st_mode) ? (uint64_t)st.st_size : 0,
			.mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec,
		};
	}
}

static void notes(struct builder *b)
{
	struct excise_plan *p = b->p;
	for (size_t i = 0; i < p->n_steps; i++) {
		struct excise_plan_step *s = &p->steps[i];
		s->id = (unsigned)i + 1;
		/* a removal tool the recipe names as the fallback of the uninstall before it */
		s->fallback = s->fallback && i > 0 && (p->steps[i - 1].action == EXCISE_PLAN_MSI_UNINSTALL ||
						       p->steps[i - 1].action == EXCISE_PLAN_UNINSTALL_STRING);
		char note[600];
		const char *n = actions[s->action]->note ? actions[s->action]->note(p, s, note, sizeof(note)) : NULL;
		if (n && !s->note)
			s->note = dup0(n, &b->err);
		if (s->reboot)
			p->reboot_required = true;
	}
}

/* ---- what the package manager takes ---- */

struct owned {
	size_t n;         /* owned paths at or below the step's target */
	bool itself;      /* the target itself is owned */
	char takers[400]; /* the packages that own them, for the note */
	size_t used;
};

struct owned_scan {
	const struct excise_plan *p;
	struct owned *o;  /* one per step */
	bool *hit;        /* one per step: the package being read owns something there */
};

static int owned_path(void *ud, const char *path, size_t len)
{
	struct owned_scan *os = ud;
	for (size_t i = 0; i < os->p->n_steps; i++) {
		const struct excise_plan_step *s = &os->p->steps[i];
		if (s->action != EXCISE_PLAN_REMOVE_PATH)
			continue;
		size_t tl = strlen(s->target);
		bool same = len == tl && !memcmp(path, s->target, len);
		if (same || (len > tl && !memcmp(path, s->target, tl) && (path[tl] == '/' || tl == 1))) {
			os->o[i].n++;
			os->o[i].itself = os->o[i].itself || same;
			os->hit[i] = true;
		}
	}
	return 0;
}

static void owned_note(struct excise_plan_step *s, const struct owned *o, int *err)
{
	char note[1024];
	if (o->itself && o->n == 1)
		snprintf(note, sizeof(note), "deleted by the package manager, not moved: owned by %s; not restorable "
			 "with excise restore (reinstall the package); this step checks it is gone", o->takers);
	else
		snprintf(note, sizeof(note), "%zu path%s in it deleted by the package manager, not moved: owned by %s; "
			 "not restorable with excise restore (reinstall the package); what is left afterwards is moved "
			 "into the quarantine store, restorable with excise restore", o->n, o->n == 1 ? "" : "s", o->takers);
	free(s->note);
	s->note = dup0(note, err);
}

/*
 * A path the plan removes that a package it purges owns (or holds files of) is not
 * the quarantine's to promise: dpkg --purge and rpm -e delete what they own, conffiles
 * too, before the path's step (rank 7, after the packages) runs. Its note says so,
 * names the package to reinstall, and promises the quarantine only for what the purge
 * leaves. Read from the package manager's own file lists (pkgdb_files), each once.
 */
static int note_owned(struct builder *b, struct excise_err *err)
{
	struct excise_plan *p = b->p;
	struct owned_scan os = { .p = p, .o = calloc(p->n_steps + 1, sizeof(*os.o)),
				 .hit = calloc(p->n_steps + 1, sizeof(*os.hit)) };
	int r = os.o && os.hit ? 0 : err_set(err, -ENOMEM, "out of memory");
	for (size_t j = 0; r == 0 && j < p->n_steps; j++) {
		const struct excise_plan_step *k = &p->steps[j];
		if (k->action != EXCISE_PLAN_DPKG_PURGE && k->action != EXCISE_PLAN_RPM_ERASE)
			continue;
		bool dpkg = k->action == EXCISE_PLAN_DPKG_PURGE;
		memset(os.hit, 0, p->n_steps * sizeof(*os.hit));
		r = pkgdb_files(&b->root, dpkg ? PKGDB_DPKG : PKGDB_RPM, k->target, owned_path, &os, err);
		for (size_t i = 0; r == 0 && i < p->n_steps; i++) {
			struct owned *o = &os.o[i];
			if (!os.hit[i] || o->used >= sizeof(o->takers) - 1)
				continue;
			int w = snprintf(o->takers + o->used, sizeof(o->takers) - o->used, "%s%s %s (%s, step %u)",
					 o->used ? ", " : "", k->target, k->version ? k->version : "",
					 dpkg ? "dpkg --purge" : "rpm -e", k->id);
			o->used = w < 0 || (size_t)w >= sizeof(o->takers) - o->used ? sizeof(o->takers) - 1 : o->used + (size_t)w;
		}
	}
	for (size_t i = 0; r == 0 && i < p->n_steps; i++)
		if (os.o[i].n)
			owned_note(&p->steps[i], &os.o[i], &b->err);
	if (r == 0 && b->err)
		r = err_set(err, b->err, "out of memory");
	free(os.o);
	free(os.hit);
	return r;
}

/* What the scan could not see is not in the plan either: each failed source, and
 * each source with items it could not read, is said among the skipped. */
static void note_unseen(struct builder *b)
{
	for (size_t i = 0; i < b->s->n_sources && !b->err; i++) {
		const struct excise_source_result *r = &b->s->sources[i];
		char what[96];
		snprintf(what, sizeof(what), "source %s", r->name);
		if (r->status == EXCISE_SOURCE_FAILED)
			skipf(b, false, what, "failed (%s): what it reads is not in this plan; fix that and scan again",
			      r->error ? r->error : "no reason given");
		else if (r->n_errors)
			skipf(b, false, what, "%llu item%s not read (first: %s): what they hold is not in this plan",
			      (unsigned long long)r->n_errors, r->n_errors == 1 ? "" : "s",
			      r->errors && r->errors[0] ? r->errors[0] : "not recorded");
	}
}

/* The root the scan was of, which must be the live host exactly when the scan says it was
 * (host.live of a report is as trusted as the rest of it). */
static int open_target(struct builder *b, struct excise_err *err)
{
	const struct excise_plan *p = b->p;
	int r = root_open(p->root, &b->root, err);
	if (r == 0 && b->root.live != p->live)
		r = err_set(err, -EXCISE_E_REFUSED, "the scan says its host %s the live host, but its root '%s' %s: "
			    "the report was edited or comes from elsewhere; refused, scan again", p->live ? "was" : "was not",
			    p->root, b->root.live ? "is this live host" : "is not this live host");
	return r;
}

int excise_plan_build(const struct excise_scan *s, const struct excise_plan_opts *o, struct excise_plan **ret,
		      struct excise_err *err)
{
	*ret = NULL;
	if (!s || !o || !o->catalog)
		return err_set(err, -EXCISE_E_USAGE, "excise_plan_build: a scan and its catalog are required");
	struct excise_plan *p = calloc(1, sizeof(*p));
	if (!p)
		return err_set(err, -ENOMEM, "out of memory");
	struct builder b = { .s = s, .o = o, .p = p, .root = { .fd = -1 } };
	strset_init(&b.removed);
	const struct excise_host *h = &s->host;
	p->report_id = dup0(s->report_id, &b.err);
	p->hostname = dup0(h->hostname ? h->hostname : "", &b.err);
	p->machine_id = dup0(h->machine_id, &b.err);
	p->root = dup0(h->root ? h->root : "/", &b.err);
	p->platform = dup0(h->platform ? h->platform : "linux", &b.err);
	p->platforms = h->platforms ? dup0(h->platforms, &b.err) : NULL;
	p->live = h->live;
	p->scanned_ns = s->finished_ns;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	p->created_ns = o->now_ns ? o->now_ns : (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
	p->catalog_id = dup0(excise_catalog_id(o->catalog), &b.err);
	p->catalog_version = dup0(excise_catalog_version(o->catalog), &b.err);
	p->catalog_sha256 = dup0(excise_catalog_sha256(o->catalog), &b.err);
	int r = b.err ? err_set(err, b.err, "out of memory") : 0;
	if (r == 0)
		r = open_target(&b, err);
	if (r == 0)
		/* the indicators of every platform the scan had: evidence of each is checked against its own */
		r = matcher_new(o->catalog, h->platforms ? h->platforms : p->platform, &b.m, err);
	for (size_t i = 0; r == 0 && i < s->n_findings && !b.err; i++) {
		const struct excise_finding *f = &s->findings[i];
		for (size_t j = 0; j < f->n_evidence && !b.err; j++) {
			const struct excise_evidence *e = &f->evidence[j];
			char what[600];
			if (!e->indicator) { /* a report made with another catalog names an indicator this one lacks */
				what_of(e, what, sizeof(what));
				skipf(&b, true, what, "its indicator is not in catalog %s %s: scan again with this catalog",
				      excise_catalog_id(o->catalog), excise_catalog_version(o->catalog));
				continue;
			}
			/* traces are weak by making: left to the operator, who knows a notes file from a leftover */
			if (f->kind == EXCISE_FINDING_TRACES) {
				what_of(e, what, sizeof(what));
				skipf(&b, false, what, "a weak trace of %s outside every product's place (indicator "
				      "%s): not acted on; remove it by hand if it is the vendor's",
				      f->vendor_name ? f->vendor_name : f->vendor_id, e->indicator_id);
				continue;
			}
			if (e->confidence < EXCISE_CONF_STRONG) {
				what_of(e, what, sizeof(what));
				skipf(&b, false, what, "weak evidence (indicator %s): not acted on", e->indicator_id);
				continue;
			}
			/* a file's evidence is checked where its path is, after the safety rules */
			if (e->kind != EXCISE_OBS_FILE && !evidence_holds(&b, e, NULL)) {
				refuse_unheld(&b, e);
				continue;
			}
			if (e->kind != EXCISE_OBS_FILE && !evidence_rematches(&b, e))
				continue;
			plan_evidence(&b, f, e);
		}
	}
	for (size_t i = 0; r == 0 && i < s->n_findings && !b.err; i++)
		plan_recipe(&b, &s->findings[i]);
	if (r == 0 && !b.err)
		note_unseen(&b);
	if (r == 0 && !b.err) {
		drop_nested(&b);
		order_packages(&b);
		if (p->n_steps) /* steps is NULL when there are none: qsort(NULL, 0) is undefined */
			qsort(p->steps, p->n_steps, sizeof(*p->steps), cmp_steps);
		record_seen(&b);
		notes(&b);
		if (!b.err)
			r = note_owned(&b, err);
	}
	if (r == 0 && b.err)
		r = b.err == -EXCISE_E_LIMIT ? err_set(err, b.err, "the plan would have more than %u steps",
						       EXCISE_MAX_PLAN_STEPS)
					     : err_set(err, b.err, "out of memory");
	matcher_free(b.m);
	strset_done(&b.removed);
	free(b.us_key);
	free(b.us_value);
	if (b.root.fd >= 0)
		root_done(&b.root);
	if (r < 0) {
		excise_plan_free(p);
		return r;
	}
	*ret = p;
	return 0;
}

/* ---- freeing ---- */

void plan_step_done(struct excise_plan_step *s)
{
	free(s->target);
	free(s->version);
	free(s->path);
	free(s->product);
	free(s->user);
	free(s->note);
	excise_strv_free(s->args);
	excise_strv_free(s->forms);
	for (size_t i = 0; i < s->n_evidence; i++) {
		struct excise_plan_evidence *e = &s->evidence[i];
		free(e->source);
		free(e->kind);
		free(e->value);
		free(e->path);
		free(e->indicator);
	}
	free(s->evidence);
	*s = (struct excise_plan_step){ 0 };
}

struct excise_plan *excise_plan_free(struct excise_plan *p)
{
	if (!p)
		return NULL;
	for (size_t i = 0; i < p->n_steps; i++)
		plan_step_done(&p->steps[i]);
	free(p->steps);
	for (size_t i = 0; i < p->n_skipped; i++) {
		free(p->skipped[i].what);
		free(p->skipped[i].why);
	}
	free(p->skipped);
	free(p->report_id);
	free(p->hostname);
	free(p->machine_id);
	free(p->root);
	free(p->platform);
	free(p->platforms);
	free(p->catalog_id);
	free(p->catalog_version);
	free(p->catalog_sha256);
	free(p);
	return NULL;
}
