/* SPDX-License-Identifier: Apache-2.0 */
/*
 * group: the evidence of a scan into findings (engine_group), the state of each
 * finding and their order. The rules are those of docs/report-format.md,
 * "State" and "Findings"; the head comment of engine.c gives the state model.
 *
 * Attribution, in this order:
 *
 * 1. By artifact. Evidence with one artifact number came from one observation.
 *    Each piece of product evidence first names its indicator's product. A
 *    piece whose indicator is generic (weak, or strong with a glob or regex) and
 *    whose path lies in another product's place more specific than any place of
 *    its own product moves to that other product; a definitive or exact strong
 *    indicator keeps its product. The artifact then belongs to the target of its
 *    strongest product evidence (not generic before generic), and so do its
 *    generic product evidence and all its vendor-wide evidence of that vendor.
 * 2. Unlisted. A package artifact (an Uninstall entry, an MSI registration, a
 *    dpkg/rpm package, a receipt) with no product evidence, matched on its
 *    publisher by a strong vendor-wide indicator, is the product of its twin
 *    when the same key (the entry's REGISTRY observation, named by its product
 *    code) has product evidence; else an install the catalog does not know:
 *    finding <vendor>:unlisted:<slug of its name>, named
 *    "<name> <version>, not in catalog".
 * 3. By place. Other evidence with a path goes to the finding whose place holds
 *    the path, the most specific place winning (more components, then more
 *    literal characters). Places are the catalog's (excise_product_places) and
 *    those the scan observed from strong artifacts attributed in 1, 2 and 4: an
 *    Uninstall or MSI entry's install_location and its own key, a service's or
 *    driver's key, a service's image (its folder when that is not a system or
 *    shared vendor folder), a driver's or module's image file, a macOS bundle.
 *    A weak artifact gives only its own key and file.
 * 4. The rest. Vendor-wide evidence of no product's artifact in no place joins
 *    the found product whose removal recipe names it as a service or driver (a
 *    shared driver goes with the product that installs it), else the vendor's
 *    most serious finding (not its traces), strong artifacts first;
 *    with none, strong evidence makes <vendor>:unidentified, weak the traces.
 * 5. Traces. A weak file (no strong evidence) no place holds goes to
 *    <vendor>:traces, never under a product: a file named after the vendor in a
 *    home folder is not an install. Weak product evidence that is not a file
 *    stays with its product.
 *
 * Kept evidence (a report read back) stays in the finding it was in.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/hash.h"
#include "core/limits.h"
#include "core/macro.h"
#include "core/text.h"
#include "engine/engine_int.h"

/* Every placed string: a catalog place (borrowed) or an observed one (owned by the grouper). */
struct place {
	const char *pattern;
	const char *owner;          /* the finding's id */
	enum excise_finding_kind kind;
	const char *name;           /* an unlisted finding's name, else NULL */
};

/* Where one piece of evidence goes. */
struct dest {
	const char *id;             /* the finding's id; NULL: not decided yet */
	enum excise_finding_kind kind;
	const char *name;           /* an unlisted finding's name */
};

struct grouper {
	const struct excise_catalog *c;
	const char *platform;
	bool fold;                  /* file paths compare without case (windows, macos) */
	struct engine_ev *ev;
	size_t n;
	size_t *order;              /* indices of ev, by artifact */
	struct dest *to;            /* per piece of evidence */
	struct place *pl;
	size_t n_pl;
	char **pool;                /* owned strings */
	size_t n_pool;
	struct excise_scan *s;
};

static const char *pool_add(struct grouper *g, char *str)
{
	if (!str)
		return NULL;
	if (array_full(g->n_pool)) {
		char **v = realloc(g->pool, array_cap(g->n_pool) * sizeof(*v));
		if (!v) {
			free(str);
			return NULL;
		}
		g->pool = v;
	}
	return g->pool[g->n_pool++] = str;
}

/* ---- places ---- */

static bool is_registry(const char *p)
{
	return p && (!strncmp(p, "HKLM\\", 5) || !strncmp(p, "HKU\\", 4) || !strncmp(p, "HKCU\\", 5) ||
		     !strncmp(p, "HKCR\\", 5));
}

static char lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* One component against one component of a place: '*' any run, '?' one byte. */
static bool component_match(const char *p, size_t pn, const char *s, size_t sn, bool fold)
{
	size_t i = 0, j = 0, star = SIZE_MAX, mark = 0;
	while (j < sn) {
		if (i < pn && p[i] != '*' && (p[i] == '?' || p[i] == s[j] || (fold && lower(p[i]) == lower(s[j])))) {
			i++, j++;
		} else if (i < pn && p[i] == '*') {
			star = i++;
			mark = j;
		} else if (star != SIZE_MAX) {
			i = star + 1;
			j = ++mark;
		} else {
			return false;
		}
	}
	while (i < pn && p[i] == '*')
		i++;
	return i == pn;
}

/* How specifically place `pat` holds `path` (the path at or under the place): 0 when it does
 * not; else 1000 for each component plus the count of literal characters. A place of no
 * component holds nothing. */
static size_t place_holds(const char *pat, const char *path, bool fold)
{
	bool reg = is_registry(pat);
	if (!path || reg != is_registry(path))
		return 0;
	const char *sep = reg ? "\\" : "/";
	fold = fold || reg;
	size_t spec = 0;
	for (const char *p = pat, *s = path;;) {
		p += strspn(p, sep);
		s += strspn(s, sep);
		if (!*p)
			return spec;
		if (!*s)
			return 0;
		size_t pn = strcspn(p, sep), sn = strcspn(s, sep);
		if (!component_match(p, pn, s, sn, fold))
			return 0;
		spec += 1000;
		for (size_t i = 0; i < pn; i++)
			spec += p[i] != '*' && p[i] != '?';
		p += pn;
		s += sn;
	}
}

/* The most specific place holding `path`, of `owner` only when not NULL; *spec its specificity. */
static const struct place *best_place(const struct grouper *g, const char *path, const char *owner, size_t *spec)
{
	const struct place *best = NULL;
	size_t bs = 0;
	for (size_t i = 0; path && i < g->n_pl; i++) {
		const struct place *pl = &g->pl[i];
		if (owner && strcmp(pl->owner, owner))
			continue;
		size_t k = place_holds(pl->pattern, path, g->fold);
		if (k > bs)
			best = pl, bs = k;
	}
	*spec = bs;
	return best;
}

static int place_add(struct grouper *g, const char *pattern, const char *owner, enum excise_finding_kind kind,
		     const char *name)
{
	if (!pattern)
		return -ENOMEM;
	if (array_full(g->n_pl)) {
		struct place *v = realloc(g->pl, array_cap(g->n_pl) * sizeof(*v));
		if (!v)
			return -ENOMEM;
		g->pl = v;
	}
	g->pl[g->n_pl++] = (struct place){ .pattern = pattern, .owner = owner, .kind = kind, .name = name };
	return 0;
}

static size_t n_components(const char *p)
{
	size_t n = 0;
	const char *sep = is_registry(p) ? "\\" : "/";
	for (p += strspn(p, sep); *p; p += strspn(p, sep), n++)
		p += strcspn(p, sep);
	return n;
}

/* A Windows path (C:\Program Files\X\, "\??\C:\...", \SystemRoot\..., system32\...) as a
 * root-relative path; up to the end, a closing quote, or (unquoted) the first space
 * after ".exe"/".sys", or for a Unix command its first option (" -"). NULL on OOM. */
static char *root_path_of(const char *w, bool windows)
{
	while (*w == ' ' || *w == '\t')
		w++;
	bool quoted = *w == '"';
	w += quoted;
	if (!strncmp(w, "\\??\\", 4) || !strncmp(w, "\\\\?\\", 4))
		w += 4;
	const char *pre = "";
	if (windows) {
		if (((*w | 0x20) >= 'a' && (*w | 0x20) <= 'z') && w[1] == ':')
			w += 2;
		else if (!strncasecmp(w, "\\SystemRoot\\", 12))
			w += 11, pre = "/Windows";
		else if (!strncasecmp(w, "%SystemRoot%\\", 13))
			w += 12, pre = "/Windows";
		else if (!strncasecmp(w, "system32\\", 9))
			pre = "/Windows/";
	}
	size_t n = strlen(w);
	if (quoted) {
		const char *q = strchr(w, '"');
		n = q ? (size_t)(q - w) : n;
	} else if (windows) {
		for (size_t i = 0; i + 4 <= n; i++)
			if (!strncasecmp(w + i, ".exe", 4) || !strncasecmp(w + i, ".sys", 4))
				if (w + i + 4 == w + n || w[i + 4] == ' ') {
					n = i + 4;
					break;
				}
	} else { /* a Unix command: up to its first option (launchd's paths have spaces) */
		const char *o = strstr(w, " -");
		n = o ? (size_t)(o - w) : n;
	}
	struct buf b;
	buf_init(&b, 0);
	buf_adds(&b, pre);
	if (!*pre && (n == 0 || (w[0] != '\\' && w[0] != '/')))
		buf_addc(&b, '/');
	for (size_t i = 0; i < n; i++)
		buf_addc(&b, w[i] == '\\' && windows ? '/' : w[i]);
	while (!b.err && b.n > 1 && b.p[b.n - 1] == '/')
		b.p[--b.n] = 0;
	char *r = NULL;
	if (buf_take(&b, &r) < 0)
		return NULL;
	return r;
}

static bool has_suffix(const char *s, const char *sfx)
{
	size_t n = strlen(s), k = strlen(sfx);
	return n > k && !strcasecmp(s + n - k, sfx);
}

/* Folders that hold other programs than one product's: a service whose image is there
 * gives the image file as its place, not the folder. System folders, and a vendor's
 * folder its products share (/opt/vendor, /Program Files/Vendor, /Library/Application
 * Support/Vendor). */
static bool shared_folder(const char *dir)
{
	static const char *const sys[] = { "/Windows", "/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/etc",
					   "/System", "/boot", "/dev", "/proc", "/tmp" };
	for (size_t i = 0; i < ARRAY_SIZE(sys); i++) {
		size_t k = strlen(sys[i]);
		if (!strncasecmp(dir, sys[i], k) && (dir[k] == '/' || !dir[k]))
			return true;
	}
	bool deep = !strncasecmp(dir, "/Library/", 9) || !strncasecmp(dir, "/Users/", 7) ||
		    !strncmp(dir, "/home/", 6);
	return n_components(dir) < (deep ? 4u : 3u);
}

/* The places an artifact's evidence `v` shows for the finding it goes to. Of an artifact with
 * no strong evidence only its own key and image file, never a folder. */
static int observed_places(struct grouper *g, const struct engine_ev *v, const struct dest *d, bool weak)
{
	const struct excise_evidence *e = &v->e;
	bool windows = !strcmp(g->platform, "windows");
	int r = 0;
	const char *svc = NULL;
	for (char **a = e->attrs; a && a[0] && a[1]; a += 2)
		if (!strcmp(a[0], "service") && a[1][0] && !strchr(a[1], '\\'))
			svc = a[1];
	if (e->kind == EXCISE_OBS_KMOD && svc) { /* a driver's service key */
		char *k = NULL;
		if (asprintf(&k, "HKLM\\SYSTEM\\CurrentControlSet\\Services\\%s", svc) < 0)
			k = NULL;
		r = place_add(g, pool_add(g, k), d->id, d->kind, d->name);
	}
	if (r == 0 && (e->kind == EXCISE_OBS_PACKAGE || e->kind == EXCISE_OBS_SERVICE) && is_registry(e->path) &&
	    n_components(e->path) >= 4) /* an Uninstall entry's or a service's own key */
		r = place_add(g, e->path, d->id, d->kind, d->name);
	if (r == 0 && e->kind == EXCISE_OBS_KMOD && e->path && e->path[0] == '/' && n_components(e->path) >= 2)
		r = place_add(g, e->path, d->id, d->kind, d->name); /* a driver's or module's file */
	if (weak)
		return r;
	for (char **a = e->attrs; a && a[0] && a[1] && r == 0; a += 2)
		if (!strcmp(a[0], "install_location") && a[1][0]) {
			char *p = root_path_of(a[1], windows);
			if (p && shared_folder(p)) /* "C:\Program Files\Vendor", "C:\Windows" place nothing */
				free(p);
			else
				r = place_add(g, pool_add(g, p), d->id, d->kind, d->name);
		}
	if (r == 0 && v->obs_image && v->obs_image[0] && (windows || v->obs_image[0] == '/')) {
		char *img = root_path_of(v->obs_image, windows);
		char *slash = img ? strrchr(img, '/') : NULL;
		if (slash && slash != img) {
			*slash = 0;
			if (shared_folder(img))
				*slash = '/';
		}
		if (img && n_components(img) < 2)
			free(img);
		else
			r = place_add(g, pool_add(g, img), d->id, d->kind, d->name);
	}
	if (r == 0 && !strcmp(g->platform, "macos") && e->path && e->path[0] == '/' &&
	    (e->kind == EXCISE_OBS_BUNDLE || e->kind == EXCISE_OBS_FILE) &&
	    (has_suffix(e->path, ".app") || has_suffix(e->path, ".kext") || has_suffix(e->path, ".systemextension")))
		r = place_add(g, e->path, d->id, d->kind, d->name);
	return r;
}

/* ---- findings ---- */

/* The state one piece of evidence shows (docs/report-format.md, "State"). */
static enum excise_state evidence_state(const struct excise_evidence *e)
{
	if (e->confidence < EXCISE_CONF_STRONG)
		return EXCISE_STATE_REMNANT;
	if (e->kind == EXCISE_OBS_CERT) /* trusted, never installed: it is active wherever it sits */
		return e->state && !strcmp(e->state, "trusted") ? EXCISE_STATE_TRUST : EXCISE_STATE_REMNANT;
	if (!e->active || e->kind == EXCISE_OBS_SIGNER || e->kind == EXCISE_OBS_DOMAIN)
		return EXCISE_STATE_REMNANT;
	if (e->kind == EXCISE_OBS_PROCESS || (e->kind == EXCISE_OBS_KMOD && e->state && !strcmp(e->state, "loaded")))
		return EXCISE_STATE_RUNNING;
	return EXCISE_STATE_INSTALLED;
}

static void finding_update(struct excise_finding *f, const struct excise_evidence *e)
{
	if (e->confidence > f->confidence)
		f->confidence = e->confidence;
	enum excise_state s = evidence_state(e);
	if (excise_state_rank(s) > excise_state_rank(f->state))
		f->state = s;
}

static int add_to_finding(struct excise_finding *f, struct excise_evidence *e)
{
	/* a finding of 100000 pieces of evidence is not copied 100000 times */
	size_t n = f->n_evidence;
	if (array_full(n)) {
		struct excise_evidence *v = realloc(f->evidence, array_cap(n) * sizeof(*v));
		if (!v)
			return -ENOMEM;
		f->evidence = v;
	}
	f->evidence[f->n_evidence++] = *e;
	finding_update(f, e);
	/* ownership of the evidence's strings moved to the finding */
	*e = (struct excise_evidence){ 0 };
	return 0;
}

/* The finding `d` names, made when there is none yet: names from the catalog, else from the
 * kept evidence `v` (NULL for matched evidence), else made up by kind. */
static int find_or_add(struct grouper *g, const struct dest *d, const char *vendor_id, const struct engine_ev *v,
		       struct excise_finding **ret)
{
	struct excise_scan *s = g->s;
	for (size_t i = 0; i < s->n_findings; i++)
		if (strcmp(s->findings[i].product_id, d->id) == 0) {
			*ret = &s->findings[i];
			return 0;
		}
	struct excise_finding *fs = realloc(s->findings, (s->n_findings + 1) * sizeof(*fs));
	if (!fs)
		return -ENOMEM;
	s->findings = fs;
	struct excise_finding *f = &fs[s->n_findings++];
	const struct excise_product *p = excise_catalog_find_product(g->c, d->id);
	vendor_id = p ? p->vendor_id : v && v->kept ? v->vendor_id : vendor_id;
	const struct excise_vendor *vd = vendor_id ? excise_catalog_find_vendor(g->c, vendor_id) : NULL;
	const char *vname = vd ? vd->name : v && v->kept ? v->vendor_name : NULL;
	int r = 0;
	*f = (struct excise_finding){ .product = p, .vendor = vd, .state = EXCISE_STATE_REMNANT, .kind = d->kind };
	f->product_id = strdup_or_null(d->id, &r);
	if (p)
		f->product_name = strdup_or_null(p->name, &r);
	else if (v && v->kept)
		f->product_name = strdup_or_null(v->product_name, &r);
	else if (d->kind == EXCISE_FINDING_UNLISTED)
		f->product_name = strdup_or_null(d->name, &r);
	else if (d->kind == EXCISE_FINDING_TRACES && asprintf((char **)&f->product_name, "%s: traces (no product)",
							      vname ? vname : vendor_id) < 0)
		f->product_name = NULL, r = -ENOMEM;
	f->vendor_id = strdup_or_null(vendor_id, &r);
	f->vendor_name = strdup_or_null(vname, &r);
	*ret = f;
	return r;
}

/* Higher is more important: the state's rank, then confidence. */
static int finding_weight(const struct excise_finding *f)
{
	return excise_state_rank(f->state) * 8 + (int)f->confidence;
}

static int cmp_findings(const void *a, const void *b)
{
	const struct excise_finding *x = a, *y = b;
	int d = finding_weight(y) - finding_weight(x);
	return d ? d : strcmp(x->product_name ? x->product_name : "", y->product_name ? y->product_name : "");
}

static int cmp_evidence(const void *a, const void *b)
{
	const struct excise_evidence *x = a, *y = b;
	int d = (int)y->confidence - (int)x->confidence;
	if (d)
		return d;
	d = strcmp(x->source, y->source);
	if (d)
		return d;
	d = strcmp(x->path ? x->path : "", y->path ? y->path : "");
	return d ? d : strcmp(x->value, y->value);
}

static int version_rank(const struct excise_evidence *e)
{
	/* An installed package knows its version best. */
	return (e->kind == EXCISE_OBS_PACKAGE ? 4 : 0) + (e->active ? 2 : 0) + (int)e->confidence;
}

/* The parts of a version: of two equally trusted, the more precise wins (an MSI
 * registration's packed Version holds major.minor.build, its DisplayVersion all four). */
static size_t version_parts(const char *v)
{
	size_t n = 1;
	for (; *v; v++)
		n += *v == '.';
	return n;
}

static bool version_better(const struct excise_evidence *e, const struct excise_evidence *best)
{
	int d = version_rank(e) - version_rank(best);
	return d > 0 || (d == 0 && version_parts(e->version) > version_parts(best->version));
}

static int finding_finish(struct excise_finding *f, const struct excise_catalog *c)
{
	qsort(f->evidence, f->n_evidence, sizeof(*f->evidence), cmp_evidence);
	const struct excise_evidence *best = NULL;
	for (size_t k = 0; k < f->n_evidence; k++)
		if (f->evidence[k].version && (!best || version_better(&f->evidence[k], best)))
			best = &f->evidence[k];
	if (best && !(f->version = strdup(best->version)))
		return -ENOMEM;
	size_t nd = excise_catalog_n_directives(c);
	f->directives = calloc(nd ? nd : 1, sizeof(*f->directives));
	if (!f->directives)
		return -ENOMEM;
	/* a finding of no catalog product (unlisted, traces, a report's) is the vendor's own */
	struct excise_product own = { .id = f->product_id, .vendor_id = f->vendor_id, .branded = true };
	const struct excise_product *p = f->product ? f->product : f->vendor_id ? &own : NULL;
	for (size_t k = 0; p && k < nd; k++) {
		const struct excise_directive *d = excise_catalog_directive(c, k);
		if (excise_directive_covers(d, p))
			f->directives[f->n_directives++] = d;
	}
	return 0;
}

/* The vendor's most serious finding, not its traces, or NULL. */
static struct excise_finding *vendor_best(struct grouper *g, const char *vendor_id)
{
	struct excise_finding *f = NULL;
	for (size_t k = 0; k < g->s->n_findings; k++) {
		struct excise_finding *x = &g->s->findings[k];
		if (x->kind != EXCISE_FINDING_TRACES && x->vendor_id && !strcmp(x->vendor_id, vendor_id) &&
		    (!f || finding_weight(x) > finding_weight(f)))
			f = x;
	}
	return f;
}

/* The finding strong vendor-wide evidence outside every place joins: the vendor's most
 * serious (not its traces), else <vendor>:unidentified. */
static int vendor_finding(struct grouper *g, const char *vendor_id, struct excise_finding **ret)
{
	if ((*ret = vendor_best(g, vendor_id)))
		return 0;
	char id[256];
	snprintf(id, sizeof(id), "%s:unidentified", vendor_id);
	return find_or_add(g, &(struct dest){ .id = id }, vendor_id, NULL, ret);
}

/* ---- attribution ---- */

/* A product indicator that names the vendor more than the product: weak, or strong and
 * matching by pattern (a vendor-wide path such as /opt/vendor/ *). */
static bool generic(const struct engine_ev *v)
{
	const struct excise_indicator *ind = v->e.indicator;
	if (v->kept || !ind)
		return false;
	return ind->confidence == EXCISE_CONF_WEAK ||
	       (ind->confidence == EXCISE_CONF_STRONG && ind->match != EXCISE_MATCH_EXACT);
}

static int cmp_artifact(const void *a, const void *b, void *ud)
{
	const struct engine_ev *ev = ud;
	uint32_t x = ev[*(const size_t *)a].e.artifact, y = ev[*(const size_t *)b].e.artifact;
	if (x != y)
		return x < y ? -1 : 1;
	return *(const size_t *)a < *(const size_t *)b ? -1 : 1;
}

/* "Kaspersky Foo" -> "kaspersky-foo"; a name of no ASCII letter or digit -> its hash in hex. */
static char *slug(const char *name)
{
	struct buf b;
	buf_init(&b, 0);
	bool gap = false;
	for (const char *p = name; *p && b.n < 64; p++) {
		char c = lower(*p);
		if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
			if (gap && b.n)
				buf_addc(&b, '-');
			buf_addc(&b, c);
			gap = false;
		} else {
			gap = true;
		}
	}
	if (b.n == 0)
		buf_addf(&b, "%08x", hash_bytes(name, strlen(name)));
	char *r = NULL;
	return buf_take(&b, &r) < 0 ? NULL : r;
}

/* The evidence of one observation, ev[order[from..to)]. */
struct artifact {
	size_t from, to;
	const char *path;
	enum excise_obs_kind kind;
	enum excise_confidence conf;     /* its strongest evidence's */
	const struct engine_ev *anchor;  /* its strongest product evidence, or NULL */
	bool placed;                     /* it shows places (strong, attributed by a non-generic indicator
					  * or a registration's publisher) */
	bool late;                       /* strong, attributed by a generic indicator: it shows places
					  * once pass 2 has not moved it */
	bool trace;                      /* a weak file in no place: a trace, unless a later place holds it */
};

static int unlisted_dest(struct grouper *g, const struct artifact *a, struct dest *d, const char **vendor)
{
	const struct engine_ev *pub = NULL;
	const char *name = NULL, *version = NULL;
	for (size_t k = a->from; k < a->to; k++) {
		const struct engine_ev *v = &g->ev[g->order[k]];
		if (v->kept || v->product_id || v->e.kind != EXCISE_OBS_PACKAGE)
			return 0;
		if (v->e.field == EXCISE_F_PUBLISHER && v->e.confidence >= EXCISE_CONF_STRONG && !pub)
			pub = v;
		if (!name && v->obs_name && v->obs_name[0])
			name = v->obs_name;
		if (!name && v->e.field == EXCISE_F_NAME)
			name = v->e.value;
		if (!version && v->e.version && v->e.version[0])
			version = v->e.version;
	}
	if (!pub)
		return 0;
	if (!name && a->path) { /* a report's evidence matched again carries only the field it matched */
		const char *sl = strrchr(a->path, is_registry(a->path) ? '\\' : '/');
		name = sl && sl[1] ? sl + 1 : a->path;
	}
	if (!name || !name[0])
		name = pub->e.value;
	char *sg = slug(name), *id = NULL, *nm = NULL;
	if (!sg || asprintf(&id, "%s:unlisted:%s", pub->vendor_id, sg) < 0)
		id = NULL;
	if (version ? asprintf(&nm, "%s %s, not in catalog", name, version) < 0
		    : asprintf(&nm, "%s, not in catalog", name) < 0)
		nm = NULL;
	free(sg);
	*d = (struct dest){ .id = pool_add(g, id), .kind = EXCISE_FINDING_UNLISTED, .name = pool_add(g, nm) };
	*vendor = pub->vendor_id;
	return d->id && d->name ? 1 : -ENOMEM;
}

static void artifact_scan(struct grouper *g, struct artifact *a)
{
	a->path = NULL;
	a->conf = EXCISE_CONF_NONE;
	a->anchor = NULL;
	a->kind = g->ev[g->order[a->from]].e.kind;
	for (size_t k = a->from; k < a->to; k++) {
		const struct engine_ev *v = &g->ev[g->order[k]];
		if (!a->path && v->e.path && v->e.path[0])
			a->path = v->e.path;
		if (v->e.confidence > a->conf)
			a->conf = v->e.confidence;
		if (v->product_id && !v->kept &&
		    (!a->anchor || v->e.confidence > a->anchor->e.confidence ||
		     (v->e.confidence == a->anchor->e.confidence && generic(a->anchor) && !generic(v))))
			a->anchor = v;
	}
}

static int traces_dest(struct grouper *g, const char *vendor_id, struct dest *d)
{
	char *id = NULL;
	if (asprintf(&id, "%s:traces", vendor_id) < 0)
		return -ENOMEM;
	*d = (struct dest){ .id = pool_add(g, id), .kind = EXCISE_FINDING_TRACES };
	return d->id ? 0 : -ENOMEM;
}

/* The artifact with product evidence that is the same registration as package `a`: an
 * Uninstall entry's or MSI registration's key (NAME = the product code), whose catalog
 * indicator names the product while the entry's localised name does not. NULL when none. */
static const struct artifact *twin(const struct grouper *g, const struct artifact *arts, size_t na,
				   const struct artifact *a)
{
	for (size_t i = 0; is_registry(a->path) && i < na; i++)
		if (arts[i].anchor && !generic(arts[i].anchor) && arts[i].path && &arts[i] != a &&
		    !strcasecmp(arts[i].path, a->path) && !strcmp(arts[i].anchor->vendor_id, g->ev[g->order[a->from]].vendor_id))
			return &arts[i];
	return NULL;
}

/* Pass 1: artifacts with product evidence (round 0), then packages that are the same
 * registration as one of those or a publisher's registration the catalog does not know
 * (round 1), before any observed place; and the places they show. */
static int attribute_known(struct grouper *g, struct artifact *a, const struct artifact *arts, size_t na, int round)
{
	struct dest d = { 0 };
	const char *vendor = NULL;
	const struct artifact *tw = NULL;
	if ((round == 0) != (a->anchor != NULL))
		return 0;
	if (a->anchor) {
		d = (struct dest){ .id = a->anchor->product_id };
		vendor = a->anchor->vendor_id;
		a->placed = a->conf >= EXCISE_CONF_STRONG && !generic(a->anchor);
		a->late = a->conf >= EXCISE_CONF_STRONG && generic(a->anchor);
	} else if (a->kind == EXCISE_OBS_PACKAGE && a->conf >= EXCISE_CONF_STRONG && (tw = twin(g, arts, na, a))) {
		d = (struct dest){ .id = tw->anchor->product_id };
		vendor = tw->anchor->vendor_id;
		a->placed = true;
	} else {
		int r = unlisted_dest(g, a, &d, &vendor);
		if (r <= 0)
			return r;
		a->placed = true;
	}
	for (size_t k = a->from; k < a->to; k++) {
		size_t i = g->order[k];
		const struct engine_ev *v = &g->ev[i];
		if (!v->kept && (!v->product_id ? !strcmp(v->vendor_id, vendor) : true))
			g->to[i] = v->product_id && !generic(v) ? (struct dest){ .id = v->product_id } : d;
	}
	/* the evidence of one artifact shares its path and attrs: the places are said once */
	return a->placed ? observed_places(g, &g->ev[g->order[a->from]], &d, false) : 0;
}

/* A file on disk with nothing strong about it: where no place holds it, a trace. */
static bool weak_file(const struct artifact *a)
{
	return a->conf < EXCISE_CONF_STRONG && a->path && a->kind == EXCISE_OBS_FILE;
}

/* Pass 2, with the places of pass 1: generic product evidence moves to a more specific place
 * of another finding; the rest of the artifact follows its strongest product evidence; other
 * evidence goes by place; a weak file in no place waits for the traces (pass 4); the rest is
 * left for the vendor's finding (pass 3). */
static void attribute_placed(struct grouper *g, struct artifact *a)
{
	size_t spec = 0;
	const struct place *best = best_place(g, a->path, NULL, &spec);
	struct dest at = { 0 };
	const char *vendor = NULL;
	if (a->anchor) {
		vendor = a->anchor->vendor_id;
		at = g->to[a->anchor - g->ev];
		size_t own = 0;
		best_place(g, a->path, at.id, &own);
		if (best && generic(a->anchor) && strcmp(best->owner, at.id) && spec > own)
			at = (struct dest){ .id = best->owner, .kind = best->kind, .name = best->name }, a->late = false;
		else if (!best && weak_file(a) && at.kind == EXCISE_FINDING_PRODUCT)
			at = (struct dest){ 0 }, a->trace = true;
	}
	for (size_t k = a->from; k < a->to; k++) {
		size_t i = g->order[k];
		struct engine_ev *v = &g->ev[i];
		if (v->kept)
			continue;
		if (a->anchor && (v->product_id ? generic(v) : !strcmp(v->vendor_id, vendor)))
			g->to[i] = at;
		else if (g->to[i].id)
			continue; /* a definitive (or exact) product indicator keeps its product */
		else if (best)
			g->to[i] = (struct dest){ .id = best->owner, .kind = best->kind, .name = best->name };
		else if (weak_file(a))
			a->trace = true;
	}
}

static int move_to(struct grouper *g, struct engine_ev *v, const struct dest *d)
{
	struct excise_finding *f = NULL;
	int r = find_or_add(g, d, v->vendor_id, v, &f);
	return r < 0 ? r : add_to_finding(f, &v->e);
}


/* `name` with its extension cut off (klif.sys, kesl.service, x.ko): at most `max` bytes. */
static void service_stem(const char *name, char *out, size_t max)
{
	const char *sl = strrchr(name, '\\'), *fs = strrchr(name, '/');
	if (fs > sl)
		sl = fs;
	if (sl)
		name = sl + 1;
	size_t n = strlen(name);
	const char *dot = strrchr(name, '.');
	if (dot && (!strcasecmp(dot, ".sys") || !strcmp(dot, ".service") || !strcmp(dot, ".ko")))
		n = (size_t)(dot - name);
	snprintf(out, max, "%.*s", (int)n, name);
}

/* A found product whose removal recipe on this platform names the service or driver
 * artifact `a` is (a driver's file, its kmod, its service key, a unit): the vendor's
 * shared driver goes with the product that installs it, not with the vendor's most
 * serious finding. NULL when none does. */
static struct excise_finding *recipe_finding(struct grouper *g, const struct artifact *a, const char *vendor_id)
{
	char stem[128] = "";
	for (size_t k = a->from; k < a->to && !stem[0]; k++) {
		const struct engine_ev *v = &g->ev[g->order[k]];
		const char *svc = NULL;
		for (char **p = v->e.attrs; p && p[0] && p[1] && !svc; p += 2)
			if (!strcmp(p[0], "service"))
				svc = p[1];
		if (svc)
			service_stem(svc, stem, sizeof(stem));
		else if (v->e.kind == EXCISE_OBS_SERVICE || v->e.kind == EXCISE_OBS_KMOD)
			service_stem(v->e.field == EXCISE_F_NAME ? v->e.value : v->e.path ? v->e.path : "", stem,
				     sizeof(stem));
		else if (v->e.path && is_registry(v->e.path) && strcasestr(v->e.path, "\\Services\\"))
			service_stem(v->e.path, stem, sizeof(stem));
		else if (v->e.kind == EXCISE_OBS_FILE && v->e.path && has_suffix(v->e.path, ".sys"))
			service_stem(v->e.path, stem, sizeof(stem));
	}
	if (!stem[0])
		return NULL;
	for (size_t k = 0; k < g->s->n_findings; k++) {
		struct excise_finding *f = &g->s->findings[k];
		const struct excise_removal *rm = f->product && f->vendor_id && !strcmp(f->vendor_id, vendor_id)
			? excise_product_removal(f->product, g->platform) : NULL;
		for (int list = 0; rm && list < 2; list++)
			for (const char *const *q = list ? rm->drivers : rm->services; q && *q; q++) {
				char want[128];
				service_stem(*q, want, sizeof(want));
				if (!strcasecmp(want, stem))
					return f;
			}
	}
	return NULL;
}

/* Pass 3: vendor-wide evidence of no product's artifact and in no place joins the vendor's most
 * serious finding; with none, strong evidence makes <vendor>:unidentified and weak the traces.
 * What it holds (a driver's key and file) becomes that finding's place. */
static int attribute_rest(struct grouper *g, struct artifact *a)
{
	int r = 0;
	bool placed = false;
	for (size_t k = a->from; k < a->to && r == 0; k++) {
		size_t i = g->order[k];
		struct engine_ev *v = &g->ev[i];
		if (v->kept || g->to[i].id || !v->e.indicator_id || !v->vendor_id)
			continue;
		struct excise_finding *f = recipe_finding(g, a, v->vendor_id);
		if (!f)
			f = vendor_best(g, v->vendor_id);
		if (!f && a->conf < EXCISE_CONF_STRONG) {
			if ((r = traces_dest(g, v->vendor_id, &g->to[i])) == 0)
				r = move_to(g, v, &g->to[i]);
			continue;
		}
		if (!f && (r = vendor_finding(g, v->vendor_id, &f)) < 0)
			return r;
		if (!placed) { /* before the evidence moves: the artifact's path and attrs are read from it */
			placed = true;
			struct dest d = { .id = f->product_id, .kind = f->kind, .name = f->product_name };
			if ((r = observed_places(g, v, &d, a->conf < EXCISE_CONF_STRONG)) < 0)
				return r;
		}
		r = add_to_finding(f, &v->e);
	}
	return r;
}

/* Pass 4: a weak file in no place of pass 1 or 3 is a trace of its vendor. */
static int attribute_trace(struct grouper *g, struct artifact *a)
{
	size_t spec = 0;
	const struct place *best = best_place(g, a->path, NULL, &spec);
	int r = 0;
	for (size_t k = a->from; k < a->to && r == 0; k++) {
		size_t i = g->order[k];
		struct engine_ev *v = &g->ev[i];
		if (v->kept || g->to[i].id || !v->e.indicator_id)
			continue;
		if (best)
			g->to[i] = (struct dest){ .id = best->owner, .kind = best->kind, .name = best->name };
		else if ((r = traces_dest(g, v->vendor_id, &g->to[i])) < 0)
			return r;
		r = move_to(g, v, &g->to[i]);
	}
	return r;
}

static int attribute(struct grouper *g)
{
	size_t n = g->n;
	for (size_t i = 0; i < n; i++)
		g->order[i] = i;
	qsort_r(g->order, n, sizeof(*g->order), cmp_artifact, g->ev);
	size_t na = 0;
	struct artifact *arts = calloc(n ? n : 1, sizeof(*arts));
	if (!arts)
		return -ENOMEM;
	for (size_t k = 0; k < n;) {
		size_t e = k + 1;
		uint32_t art = g->ev[g->order[k]].e.artifact;
		while (art && e < n && g->ev[g->order[e]].e.artifact == art)
			e++;
		arts[na++] = (struct artifact){ .from = k, .to = e };
		k = e;
	}
	int r = 0;
	for (size_t i = 0; r == 0 && i < excise_catalog_n_products(g->c); i++) {
		const struct excise_product *p = excise_catalog_product(g->c, i);
		for (const char *const *pp = excise_product_places(p, g->platform); pp && *pp && r == 0; pp++)
			r = place_add(g, *pp, p->id, EXCISE_FINDING_PRODUCT, NULL);
	}
	for (size_t i = 0; i < na; i++)
		artifact_scan(g, &arts[i]);
	for (int round = 0; round < 2; round++)
		for (size_t i = 0; i < na && r == 0; i++)
			r = attribute_known(g, &arts[i], arts, na, round);
	for (size_t i = 0; i < na && r == 0; i++)
		attribute_placed(g, &arts[i]);
	/* the places of artifacts a generic indicator attributed, where pass 2 left them */
	for (size_t i = 0; i < na && r == 0; i++)
		if (arts[i].late && g->to[arts[i].anchor - g->ev].id)
			r = observed_places(g, &g->ev[g->order[arts[i].from]], &g->to[arts[i].anchor - g->ev], false);
	/* kept evidence stays in its report's finding */
	for (size_t i = 0; i < n && r == 0; i++) {
		struct engine_ev *v = &g->ev[i];
		if (v->kept && v->product_id)
			r = move_to(g, v, &(struct dest){ .id = v->product_id, .kind = v->kind,
							  .name = v->product_name });
		else if (!v->kept && g->to[i].id && v->e.indicator_id)
			r = move_to(g, v, &g->to[i]);
	}
	/* strong artifacts first: they make the findings weak ones join */
	for (int strong = 1; strong >= 0; strong--)
		for (size_t i = 0; i < na && r == 0; i++)
			if (!arts[i].trace && (arts[i].conf >= EXCISE_CONF_STRONG) == strong)
				r = attribute_rest(g, &arts[i]);
	for (size_t i = 0; i < na && r == 0; i++)
		if (arts[i].trace)
			r = attribute_trace(g, &arts[i]);
	free(arts);
	return r;
}

int engine_group(const struct excise_catalog *c, const char *platform, struct engine_ev *ev, size_t n,
		 struct excise_scan *s)
{
	struct grouper g = { .c = c, .platform = platform ? platform : "linux", .ev = ev, .n = n, .s = s };
	g.fold = strcmp(g.platform, "linux") != 0;
	g.order = calloc(n ? n : 1, sizeof(*g.order));
	g.to = calloc(n ? n : 1, sizeof(*g.to));
	int r = g.order && g.to ? attribute(&g) : -ENOMEM;
	for (size_t i = 0; r == 0 && i < s->n_findings; i++)
		r = finding_finish(&s->findings[i], c);
	if (r == 0 && s->n_findings)
		qsort(s->findings, s->n_findings, sizeof(*s->findings), cmp_findings);
	for (size_t i = 0; i < g.n_pool; i++)
		free(g.pool[i]);
	free(g.pool);
	free(g.pl);
	free(g.order);
	free(g.to);
	return r;
}
