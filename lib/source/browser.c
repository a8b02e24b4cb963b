/* SPDX-License-Identifier: Apache-2.0 */
/*
 * source browser-extensions: the extensions of every Chrome, Chromium, Edge
 * and Firefox profile of every user (lib/source/profiles.h says where).
 *
 * Chromium family: the extensions.settings of "Preferences" and "Secure
 * Preferences" (state, from_webstore, location, an embedded manifest) merged
 * with the folders Extensions/<id>/<version>/ (the highest version holding a
 * manifest.json gives name and version). Firefox: extensions.json, with
 * names missing there filled in from addons.json. A "__MSG_key__" name is
 * looked up in _locales/<default_locale>/messages.json of the extension.
 *
 * One EXTENSION observation per extension and profile: NAME = the id,
 * DESCRIPTION = the display name, VERSION, PATH = the extension's folder when
 * it has one, else the profile file that lists it; attrs browser, profile,
 * user, enabled and, when known, from_webstore, location, type, install_path.
 * state is "enabled" (active), "disabled" (not active: the files are still
 * there, so a match is a remnant) or "present" when nothing says either (a
 * folder with no settings entry; counted active, as the browser loads it).
 * A file that cannot be read or parsed is an item error naming it; the
 * other files of the profile are still read.
 */
#include <dirent.h>
#include <string.h>
#include <sys/stat.h>

#include "core/hash.h"
#include "core/limits.h"
#include "parse/browserext.h"
#include "source/profiles.h"
#include "source/source.h"
#include "source/tree.h"

struct ext {
	char *id, *name, *version, *path, *type, *location, *install_path, *locale;
	int enabled, from_webstore;
	bool folder;     /* seen in Extensions/ (path is that folder) */
};

struct exts {
	struct source_ctx *ctx;
	const struct profile *p;
	struct ext *v;
	size_t n, cap;
	struct hash idx;     /* id -> index in v; keys are the v[i].id strings */
	bool full;           /* the per-profile limit was reported */
	bool create;         /* merge() may add ids (not for addons.json) */
	bool override;       /* merged fields replace those already set */
	const char *file;    /* the file being merged, for messages and PATH */
};

static void ext_done(struct ext *e)
{
	free(e->id);
	free(e->name);
	free(e->version);
	free(e->path);
	free(e->type);
	free(e->location);
	free(e->install_path);
	free(e->locale);
}

static void exts_done(struct exts *x)
{
	for (size_t i = 0; i < x->n; i++)
		ext_done(&x->v[i]);
	free(x->v);
	hash_done(&x->idx);
}

/* Replace *dst by a copy of src when src is set and (override or *dst unset). */
static int set(char **dst, const char *src, bool override)
{
	if (!src || (*dst && !override))
		return 0;
	char *c = strdup(src);
	if (!c)
		return -ENOMEM;
	free(*dst);
	*dst = c;
	return 0;
}

static struct ext *find_or_add(struct exts *x, const char *id)
{
	struct hash_slot *s = (struct hash_slot *)hash_get(&x->idx, id, strlen(id));
	if (s)
		return &x->v[s->value];
	if (!x->create)
		return NULL;
	if (x->n >= EXCISE_MAX_BROWSER_EXTENSIONS) {
		if (!x->full)
			source_item_error(x->ctx, EXCISE_E_LIMIT,
					  "'%s': more than %u extensions in the profile, the rest not read",
					  x->p->dir, EXCISE_MAX_BROWSER_EXTENSIONS);
		x->full = true;
		return NULL;
	}
	if (x->n == x->cap) {
		size_t nc = x->cap ? x->cap * 2 : 16;
		struct ext *v = realloc(x->v, nc * sizeof(*v));
		if (!v)
			return NULL;
		x->v = v;
		x->cap = nc;
	}
	struct ext *e = &x->v[x->n];
	*e = (struct ext){ .enabled = -1, .from_webstore = -1, .id = strdup(id) };
	if (!e->id)
		return NULL;
	s = hash_put(&x->idx, e->id, strlen(e->id));
	if (!s) {
		free(e->id);
		return NULL;
	}
	s->value = (int)x->n++;
	return e;
}

static int merge(void *ud, const struct bext *b)
{
	struct exts *x = ud;
	if (!b->id)
		return 0;
	struct ext *e = find_or_add(x, b->id);
	if (!e)
		return x->full || !x->create ? 0 : -ENOMEM;
	bool o = x->override;
	if (b->enabled >= 0 && (o || e->enabled < 0))
		e->enabled = b->enabled;
	if (b->from_webstore >= 0 && (o || e->from_webstore < 0))
		e->from_webstore = b->from_webstore;
	bool abs = b->path && (b->path[0] == '/' || (b->path[0] && b->path[1] == ':'));
	int r = set(&e->name, b->name, o);
	r = r < 0 ? r : set(&e->version, b->version, o);
	r = r < 0 ? r : set(&e->type, b->type, o);
	r = r < 0 ? r : set(&e->location, b->location, o);
	r = r < 0 ? r : set(&e->locale, b->default_locale, o);
	r = r < 0 ? r : set(&e->install_path, abs ? b->path : NULL, o);
	if (r >= 0 && !e->folder && x->file)
		r = set(&e->path, x->file, false);
	return r;
}

/* Read a JSON file of the profile. Returns 1 with *data, 0 when absent or
 * unreadable (reported), < 0 for -ENOMEM. */
static int read_json(struct source_ctx *ctx, const char *path, char **data, size_t *len)
{
	int r = root_read_file(source_root(ctx), path, EXCISE_MAX_BROWSER_JSON_SIZE, data, len);
	if (r >= 0)
		return 1;
	if (r == -ENOMEM)
		return r;
	if (r == -EXCISE_E_TOOBIG)
		source_item_error(ctx, EXCISE_E_TOOBIG, "'%s': larger than %u bytes (EXCISE_MAX_BROWSER_JSON_SIZE), "
				  "not read", path, EXCISE_MAX_BROWSER_JSON_SIZE);
	else if (r != -ENOENT && r != -ENOTDIR)
		source_item_error(ctx, r, "'%s': cannot read", path);
	return 0;
}

typedef int (*parse_fn)(const char *, const void *, size_t, bext_fn, void *, struct excise_err *);

/* Parse one file into `x`; a bad file is an item error. Returns < 0 only for -ENOMEM. */
static int merge_file(struct exts *x, const char *path, parse_fn parse)
{
	_cleanup_free_ char *data = NULL;
	size_t len = 0;
	int r = read_json(x->ctx, path, &data, &len);
	if (r <= 0)
		return r;
	struct excise_err err = { 0 };
	x->file = path;
	r = parse(path, data, len, merge, x, &err);
	x->file = NULL;
	if (r == -ENOMEM)
		return r;
	if (r < 0)
		source_item_error(x->ctx, -r, "%s", err.msg[0] ? err.msg : excise_strerror(r));
	return 0;
}

/* "__MSG_key__" names: the message in <dir>/_locales/<locale>/messages.json. */
static int localize(struct source_ctx *ctx, struct ext *e, const char *dir)
{
	const char *key;
	size_t kl;
	if (!bext_msg_ref(e->name, &key, &kl) || !e->locale || strchr(e->locale, '/') ||
	    e->locale[0] == '.')
		return 0;
	_cleanup_free_ char *k = strndup(key, kl);
	_cleanup_free_ char *loc = path_join(dir, "_locales");
	_cleanup_free_ char *ld = loc ? path_join(loc, e->locale) : NULL;
	_cleanup_free_ char *mf = ld ? path_join(ld, "messages.json") : NULL;
	if (!k || !mf)
		return -ENOMEM;
	_cleanup_free_ char *data = NULL;
	size_t len = 0;
	int r = read_json(ctx, mf, &data, &len);
	if (r <= 0)
		return r;
	char *msg = NULL;
	struct excise_err err = { 0 };
	r = bext_parse_messages(mf, data, len, k, &msg, &err);
	if (r == -ENOMEM)
		return r;
	if (r < 0) {
		source_item_error(ctx, -r, "%s", err.msg);
		return 0;
	}
	if (msg) {
		free(e->name);
		e->name = msg;
	}
	return 0;
}

struct best {
	struct source_ctx *ctx;
	char *name;
};

static int version_entry(void *userdata, const char *vd, const char *name)
{
	struct best *b = userdata;
	const struct root *root = source_root(b->ctx);
	if (b->name && strverscmp(name, b->name) <= 0)
		return 0;
	_cleanup_free_ char *mf = path_join(vd, "manifest.json");
	if (!mf)
		return -ENOMEM;
	struct stat st;
	if (root_lstat(root, vd, &st) < 0 || !S_ISDIR(st.st_mode) || root_stat(root, mf, &st) < 0)
		return 0;
	char *c = strdup(name);
	if (!c)
		return -ENOMEM;
	free(b->name);
	b->name = c;
	return 0;
}

/* The highest version folder of Extensions/<id>/ holding a manifest.json; NULL if none. */
static int best_version(struct source_ctx *ctx, const char *dir, char **ret)
{
	static const struct dirlist versions = { 0 };
	struct best b = { .ctx = ctx };
	*ret = NULL;
	int r = source_list(ctx, dir, &versions, 0, version_entry, &b);
	if (r < 0) {
		free(b.name);
		return r;
	}
	*ret = b.name;
	return 0;
}

static bool chromium_id(const char *s)
{
	return strlen(s) == 32 && strspn(s, "abcdefghijklmnop") == 32;
}

struct with_id {
	struct exts *x;
	const char *id;
};

/* A manifest has no id: it is the folder's name. */
static int merge_manifest(void *ud, const struct bext *b)
{
	const struct with_id *w = ud;
	struct bext c = *b;
	c.id = w->id;
	return merge(w->x, &c);
}

/* One folder Extensions/<id>/. */
static int ext_folder(void *userdata, const char *dir, const char *id)
{
	struct exts *x = userdata;
	_cleanup_free_ char *ver = NULL;
	int r = best_version(x->ctx, dir, &ver);
	if (r < 0 || !ver)
		return r;
	_cleanup_free_ char *vd = path_join(dir, ver);
	_cleanup_free_ char *mf = vd ? path_join(vd, "manifest.json") : NULL;
	if (!mf)
		return -ENOMEM;
	struct ext *e = find_or_add(x, id);
	if (!e)
		return x->full ? 0 : -ENOMEM;
	e->folder = true;
	r = set(&e->path, dir, true);
	if (r < 0)
		return r;
	_cleanup_free_ char *data = NULL;
	size_t len = 0;
	r = read_json(x->ctx, mf, &data, &len);
	if (r > 0) {
		struct with_id w = { .x = x, .id = id };
		struct excise_err err = { 0 };
		x->override = true; /* the files on disk are what the browser loads */
		r = bext_parse_manifest(mf, data, len, merge_manifest, &w, &err);
		x->override = false;
		if (r < 0 && r != -ENOMEM) {
			source_item_error(x->ctx, -r, "%s", err.msg);
			r = 0;
		}
	}
	return r < 0 ? r : localize(x->ctx, e, vd);
}

static int chromium_profile(struct exts *x)
{
	const char *dir = x->p->dir;
	_cleanup_free_ char *pref = path_join(dir, "Preferences");
	_cleanup_free_ char *spref = path_join(dir, "Secure Preferences");
	_cleanup_free_ char *edir = path_join(dir, "Extensions");
	if (!pref || !spref || !edir)
		return -ENOMEM;
	x->create = true;
	int r = merge_file(x, pref, bext_parse_chromium_prefs);
	r = r < 0 ? r : merge_file(x, spref, bext_parse_chromium_prefs);
	if (r < 0)
		return r;
	static const struct dirlist ids = { .match = chromium_id };
	r = source_list(x->ctx, edir, &ids, 0, ext_folder, x);
	r = r < 0 ? r : 0;
	/* Unpacked extensions listed with a folder inside the root. */
	for (size_t i = 0; r >= 0 && i < x->n; i++)
		if (!x->v[i].folder && x->v[i].install_path && x->v[i].install_path[0] == '/')
			r = localize(x->ctx, &x->v[i], x->v[i].install_path);
	return r;
}

static int firefox_profile(struct exts *x)
{
	_cleanup_free_ char *ej = path_join(x->p->dir, "extensions.json");
	_cleanup_free_ char *aj = path_join(x->p->dir, "addons.json");
	if (!ej || !aj)
		return -ENOMEM;
	x->create = true;
	int r = merge_file(x, ej, bext_parse_firefox);
	x->create = false;
	return r < 0 ? r : merge_file(x, aj, bext_parse_firefox);
}

static int emit(struct exts *x, const struct ext *e)
{
	const struct profile *p = x->p;
	struct excise_obs_attr a[10];
	size_t n = 0;
	a[n++] = (struct excise_obs_attr){ "browser", p->browser };
	a[n++] = (struct excise_obs_attr){ "profile", p->name };
	a[n++] = (struct excise_obs_attr){ "user", p->user };
	if (e->enabled >= 0)
		a[n++] = (struct excise_obs_attr){ "enabled", e->enabled ? "true" : "false" };
	if (e->from_webstore >= 0)
		a[n++] = (struct excise_obs_attr){ "from_webstore", e->from_webstore ? "true" : "false" };
	if (e->location)
		a[n++] = (struct excise_obs_attr){ "location", e->location };
	if (e->type)
		a[n++] = (struct excise_obs_attr){ "type", e->type };
	if (e->install_path)
		a[n++] = (struct excise_obs_attr){ "install_path", e->install_path };
	struct excise_obs o = {
		.kind = EXCISE_OBS_EXTENSION,
		.state = e->enabled == 0 ? "disabled" : e->enabled == 1 ? "enabled" : "present",
		.active = e->enabled != 0,
	};
	o.attrs = a;
	o.n_attrs = n;
	o.f[EXCISE_F_NAME] = e->id;
	o.f[EXCISE_F_DESCRIPTION] = e->name;
	o.f[EXCISE_F_VERSION] = e->version;
	o.f[EXCISE_F_PATH] = e->path;
	return source_emit(x->ctx, &o);
}

static int on_profile(struct source_ctx *ctx, const struct profile *p, void *ud)
{
	(void)ud;
	struct exts x = { .ctx = ctx, .p = p };
	hash_init(&x.idx);
	int r = p->family == PROFILE_CHROMIUM ? chromium_profile(&x) : firefox_profile(&x);
	for (size_t i = 0; r >= 0 && i < x.n; i++)
		r = emit(&x, &x.v[i]);
	exts_done(&x);
	return r;
}

static int run(struct source_ctx *ctx)
{
	bool found = false;
	int r = profiles_foreach(ctx, PROFILE_CHROMIUM | PROFILE_FIREFOX, on_profile, NULL, &found);
	if (r < 0)
		return source_fail(ctx, r, "browser profiles: %s", excise_strerror(r));
	return found ? 0 : -EXCISE_E_ABSENT;
}

const struct source source_browser = {
	.name = "browser-extensions",
	.platform = "any",
	.flags = SOURCE_ALL_USERS,
	.description = "extensions of Chrome, Chromium, Edge and Firefox profiles of every user",
	.run = run,
};
