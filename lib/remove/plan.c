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
#include "remove/pkgdb.h"
#include "remove/plan_int.h"
#include "remove/safety.h"
#include "parse/win.h"

static const char *const action_names[] = {
	[EXCISE_PLAN_STOP_SERVICE] = "stop-service",     [EXCISE_PLAN_DISABLE_SERVICE] = "disable-service",
	[EXCISE_PLAN_KILL_PROCESS] = "kill-process",     [EXCISE_PLAN_UNLOAD_MODULE] = "unload-module",
	[EXCISE_PLAN_DPKG_PURGE] = "dpkg-purge",         [EXCISE_PLAN_RPM_ERASE] = "rpm-erase",
	[EXCISE_PLAN_MSI_UNINSTALL] = "msi-uninstall",   [EXCISE_PLAN_VENDOR_REMOVER] = "vendor-remover",
	[EXCISE_PLAN_REMOVE_PATH] = "remove-path",       [EXCISE_PLAN_REMOVE_CERT] = "remove-cert",
	[EXCISE_PLAN_REGEN_TRUST] = "regenerate-trust",  [EXCISE_PLAN_DELETE_REGKEY] = "delete-registry-key",
	[EXCISE_PLAN_RELOAD_UNITS] = "reload-units",
};

const char *excise_plan_action_name(enum excise_plan_action a)
{
	return (unsigned)a < EXCISE_PLAN_ACTION_MAX ? action_names[a] : "?";
}

int plan_action_from_name(const char *s)
{
	for (int i = 0; i < EXCISE_PLAN_ACTION_MAX; i++)
		if (!strcmp(s, action_names[i]))
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
		/* a vendor's uninstaller runs on its own host: never an image's program on this one */
		st->live_only = a == EXCISE_PLAN_STOP_SERVICE || a == EXCISE_PLAN_KILL_PROCESS ||
				a == EXCISE_PLAN_UNLOAD_MODULE || a == EXCISE_PLAN_RELOAD_UNITS ||
				a == EXCISE_PLAN_VENDOR_REMOVER;
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

static void plan_linux(struct builder *b, const struct excise_finding *f, const struct excise_evidence *e)
{
	const char *src = e->source;
	if (!strcmp(src, "dpkg") || !strcmp(src, "rpm")) {
		plan_package(b, f, e);
	} else if (!strcmp(src, "systemd")) {
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
	} else if (!strcmp(src, "sysv") || !strcmp(src, "files") || !strcmp(src, "walk")) {
		plan_path(b, f, e, e->path);
	} else if (!strcmp(src, "kmod")) {
		const char *name = e->field == EXCISE_F_NAME ? e->value : NULL;
		if (e->active && name) {
			struct excise_plan_step *st = step(b, EXCISE_PLAN_UNLOAD_MODULE, name, f, e);
			if (st)
				st->reboot = true;
		}
		plan_path(b, f, e, e->path);
	} else if (!strcmp(src, "proc")) {
		const char *pid = attr(e, "pid");
		if (pid && e->path) {
			char t[64];
			snprintf(t, sizeof(t), "%s", pid);
			struct excise_plan_step *st = step(b, EXCISE_PLAN_KILL_PROCESS, e->path, f, e);
			if (st)
				st->pid = strtoll(t, NULL, 10);
		}
	} else if (!strcmp(src, "truststore")) {
		const char *sha = attr(e, "sha256");
		if (!sha || !e->path)
			return;
		struct excise_err err = { 0 };
		const char *path = e->path;
		int r = safety_check_path(&b->root, path, &err);
		/* a trust store reached through a directory link (Fedora's /etc/ssl/certs ->
		 * ../pki/tls/certs) is acted on where it really is */
		char *real = r == -EXCISE_E_SYMLINK ? real_dir_path(b, path) : NULL;
		if (real) {
			path = real;
			err = (struct excise_err){ 0 };
			r = safety_check_path(&b->root, path, &err);
		}
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
	} else {
		char what[600];
		what_of(e, what, sizeof(what));
		skipf(b, false, what, "%s evidence: not removed by excise on Linux (remove it through the browser, "
		      "NSS certutil -D or the owning tool)", src);
	}
}

/* Whether any evidence of product `id` carries the MSI product code `code`: an
 * install is often found through a vendor-wide indicator (the publisher), while
 * which product it is shows in another finding of the same uninstall entry. */
static bool product_has_code(const struct excise_scan *s, const char *id, const char *code)
{
	for (size_t i = 0; i < s->n_findings; i++) {
		const struct excise_finding *f = &s->findings[i];
		if (strcmp(f->product_id, id))
			continue;
		for (size_t j = 0; j < f->n_evidence; j++) {
			const char *c = attr(&f->evidence[j], "msi_product_code");
			if (c && !strcasecmp(c, code))
				return true;
		}
	}
	return false;
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

static void plan_windows(struct builder *b, const struct excise_finding *f, const struct excise_evidence *e)
{
	const char *src = e->source;
	const char *code = attr(e, "msi_product_code");
	if (code) {
		struct excise_plan_step *st = step(b, EXCISE_PLAN_MSI_UNINSTALL, code, f, e);
		if (st && !st->args) {
			bool agent = product_has_code(b->s, "klnagent", code);
			st->args = calloc(3, sizeof(*st->args));
			if (!st->args)
				b->err = -ENOMEM;
			else if (agent)
				st->args[0] = dup0("KLUNINSTPASSWD", &b->err);
			else {
				st->args[0] = dup0("KLLOGIN", &b->err);
				st->args[1] = dup0("KLPASSWD", &b->err);
			}
			st->reboot = true;
		}
		step(b, EXCISE_PLAN_VENDOR_REMOVER, "kavremover", f, e);
	}
	if (!strcmp(src, "win-services")) {
		/* a driver's NAME is its image file (klif.sys); the service is the key (klif) */
		const char *svc = attr(e, "service");
		struct excise_plan_step *st = step(b, EXCISE_PLAN_STOP_SERVICE, svc ? svc : e->value, f, e);
		if (st && e->kind == EXCISE_OBS_KMOD)
			st->reboot = true;
	} else if (!strcmp(src, "win-software") || !strcmp(src, "win-users")) {
		if (e->kind == EXCISE_OBS_REGISTRY && e->path && !code)
			step(b, EXCISE_PLAN_DELETE_REGKEY, e->path, f, e);
		const char *product_root = attr(e, "product_root");
		if (product_root)
			plan_win_dir(b, f, e, product_root);
	} else if (!strcmp(src, "win-files") || !strcmp(src, "files") || !strcmp(src, "walk")) {
		plan_path(b, f, e, e->path);
	}
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

static void plan_macos(struct builder *b, const struct excise_finding *f, const struct excise_evidence *e)
{
	const char *src = e->source;
	if (!strcmp(src, "launchd")) {
		const char *label = attr(e, "label");
		if (!label && e->field == EXCISE_F_NAME)
			label = e->value;
		if (label)
			step(b, EXCISE_PLAN_STOP_SERVICE, label, f, e);
		plan_path(b, f, e, e->path);
	} else if (!strcmp(src, "macos-kexts")) {
		const char *id = attr(e, "bundle_id");
		if (id) {
			struct excise_plan_step *st = step(b, EXCISE_PLAN_UNLOAD_MODULE, id, f, e);
			if (st)
				st->reboot = true;
		}
		plan_path(b, f, e, e->path);
	} else if (!strcmp(src, "macos-receipts")) {
		static const char *const scripts[] = {
			"/Library/Application Support/Kaspersky Lab/KAV/Binaries/UninstallScript",
			"/Library/Application Support/Kaspersky Lab/klnagent/Binaries/UninstallScript",
		};
		for (size_t i = 0; i < sizeof(scripts) / sizeof(scripts[0]); i++) {
			char *real = NULL;
			if (root_resolve_nocase(&b->root, scripts[i], &real) == 0) {
				step(b, EXCISE_PLAN_VENDOR_REMOVER, real, f, e);
				free(real);
			}
		}
		forget_receipt(b, f, e);
	} else if (!strcmp(src, "macos-apps") || !strcmp(src, "files") || !strcmp(src, "walk")) {
		plan_path(b, f, e, e->path);
	}
}

/* ---- order ---- */

static int rank(enum excise_plan_action a)
{
	static const int order[] = {
		[EXCISE_PLAN_STOP_SERVICE] = 0, [EXCISE_PLAN_DISABLE_SERVICE] = 1, [EXCISE_PLAN_KILL_PROCESS] = 2,
		[EXCISE_PLAN_UNLOAD_MODULE] = 3, [EXCISE_PLAN_DPKG_PURGE] = 4, [EXCISE_PLAN_RPM_ERASE] = 4,
		[EXCISE_PLAN_MSI_UNINSTALL] = 5, [EXCISE_PLAN_VENDOR_REMOVER] = 6, [EXCISE_PLAN_REMOVE_PATH] = 7,
		[EXCISE_PLAN_DELETE_REGKEY] = 8, [EXCISE_PLAN_REMOVE_CERT] = 9, [EXCISE_PLAN_REGEN_TRUST] = 10,
		[EXCISE_PLAN_RELOAD_UNITS] = 11,
	};
	return order[a];
}

static int cmp_steps(const void *x, const void *y)
{
	const struct excise_plan_step *a = x, *b = y;
	int d = rank(a->action) - rank(b->action);
	if (d)
		return d;
	/* packages keep the dependency order worked out before sorting */
	if (a->action == EXCISE_PLAN_DPKG_PURGE || a->action == EXCISE_PLAN_RPM_ERASE ||
	    a->action == EXCISE_PLAN_MSI_UNINSTALL)
		return a->id < b->id ? -1 : a->id > b->id;
	return strcmp(a->target, b->target);
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
		const char *n = NULL;
		switch (s->action) {
		case EXCISE_PLAN_VENDOR_REMOVER:
			s->fallback = i > 0 && p->steps[i - 1].action == EXCISE_PLAN_MSI_UNINSTALL;
			n = s->fallback ? "only when the MSI uninstall before it fails: Kaspersky's removal tool" :
					  "the vendor's uninstaller bundled with the product";
			break;
		case EXCISE_PLAN_MSI_UNINSTALL:
			n = "managed installs ask for the uninstall password: the script takes it from the operator";
			break;
		case EXCISE_PLAN_DISABLE_SERVICE:
			n = p->live ? "systemctl disable" : "offline root: its enablement links are moved to quarantine";
			break;
		case EXCISE_PLAN_REMOVE_PATH:
			n = "moved into the quarantine store, restorable with excise restore";
			break;
		case EXCISE_PLAN_REGEN_TRUST:
			n = p->live ? "update-ca-certificates --fresh (or update-ca-trust extract)" :
				      "offline root: the generated bundles are rewritten without the removed certificates";
			break;
		default:
			break;
		}
		if (n && !s->note)
			s->note = dup0(n, &b->err);
		if (s->reboot)
			p->reboot_required = true;
	}
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
		r = root_open(p->live ? NULL : p->root, &b.root, err);
	if (r == 0)
		r = matcher_new(o->catalog, p->platform, &b.m, err);
	bool win = !strcmp(p->platform, "windows"), mac = !strcmp(p->platform, "macos");
	for (size_t i = 0; r == 0 && i < s->n_findings && !b.err; i++) {
		const struct excise_finding *f = &s->findings[i];
		for (size_t j = 0; j < f->n_evidence && !b.err; j++) {
			const struct excise_evidence *e = &f->evidence[j];
			if (e->confidence < EXCISE_CONF_STRONG) {
				char what[600];
				what_of(e, what, sizeof(what));
				skipf(&b, false, what, "weak evidence (indicator %s): not acted on", e->indicator_id);
				continue;
			}
			/* a file's evidence is checked where its path is, after the safety rules */
			if (e->kind != EXCISE_OBS_FILE && !evidence_holds(&b, e, NULL)) {
				refuse_unheld(&b, e);
				continue;
			}
			if (win)
				plan_windows(&b, f, e);
			else if (mac)
				plan_macos(&b, f, e);
			else
				plan_linux(&b, f, e);
		}
	}
	if (r == 0 && !b.err)
		note_unseen(&b);
	if (r == 0 && !b.err) {
		drop_nested(&b);
		order_packages(&b);
		if (p->n_steps) /* steps is NULL when there are none: qsort(NULL, 0) is undefined */
			qsort(p->steps, p->n_steps, sizeof(*p->steps), cmp_steps);
		record_seen(&b);
		notes(&b);
	}
	if (r == 0 && b.err)
		r = b.err == -EXCISE_E_LIMIT ? err_set(err, b.err, "the plan would have more than %u steps",
						       EXCISE_MAX_PLAN_STEPS)
					     : err_set(err, b.err, "out of memory");
	matcher_free(b.m);
	strset_done(&b.removed);
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
	free(s->note);
	excise_strv_free(s->args);
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
	free(p->catalog_id);
	free(p->catalog_version);
	free(p->catalog_sha256);
	free(p);
	return NULL;
}
