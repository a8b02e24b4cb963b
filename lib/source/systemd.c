/* SPDX-License-Identifier: Apache-2.0 */
/*
 * source systemd: systemd units in the unit directories inside the root, one
 * observation per unit name, with its enablement worked out from the symlinks
 * systemctl leaves behind.
 *
 * Units are kept per scope (system, user) and deduplicated by name: the first
 * definition in search order wins, as in systemd ("/etc" before "/run" before
 * the vendor directories; a directory reached twice, as /lib and /usr/lib on a
 * merged-/usr system, is read once).
 *
 * Symlinks in a unit directory:
 *   <dir>/<unit> -> /dev/null             the unit is masked;
 *   <dir>/<unit> -> .../<same name>       a linked unit (systemctl link): the
 *                                         unit is defined by the link's target;
 *   <dir>/<alias> -> .../<other name>     an alias of that unit (in /etc this
 *                                         means it was enabled);
 *   <dir>/<x>.wants/<unit>, .requires/    enablement: the unit is enabled.
 *
 * Decision on the links (so that removal knows every path): each unit gives one
 * SERVICE observation (NAME = unit name, PATH = its unit file, DESCRIPTION =
 * Description=, TARGET = the first ExecStart= command without its "-@:+!"
 * prefixes, state "enabled", "disabled" or "masked"). Then every symlink that
 * belongs to the unit gives one more SERVICE observation with the same NAME
 * (the unit's canonical name, so the same indicator matches), PATH = the link,
 * TARGET = the link's text as read, and state "link:wants", "link:alias",
 * "link:linked", "link:mask", "link:shadowed" (a lower-precedence definition
 * of the same name) or "link:dangling" (enablement of a unit that is not
 * there; NAME is then the link's own name). A link's `active` is its unit's.
 * FILE observations were not used because the catalog's unit indicators are of
 * kind service; a TARGET list would have mixed paths into ExecStart.
 */
#include <dirent.h>
#include <string.h>
#include <sys/stat.h>

#include "core/hash.h"
#include "core/limits.h"
#include "parse/keyfile.h"
#include "source/source.h"
#include "source/tree.h"

static const char *const system_dirs[] = {
	"/etc/systemd/system",   "/run/systemd/system", "/usr/local/lib/systemd/system",
	"/lib/systemd/system",   "/usr/lib/systemd/system",
};
static const char *const user_dirs[] = {
	"/etc/systemd/user",
	"/usr/lib/systemd/user",
};
static const char *const suffixes[] = {
	".service", ".socket", ".timer", ".path", ".target", ".mount",
};

struct unit {
	char *name;
	char *path;      /* shown: the unit file (a linked unit's target) */
	char *read_path; /* opened to read it */
	bool enabled, masked;
};

struct link {
	char *path, *target;
	char *name;       /* the link's own base name */
	const char *kind; /* state word */
	ssize_t unit;     /* index in units, or -1 */
	bool etc;         /* below /etc */
};

struct scope {
	struct unit *u;
	size_t n, cap;
	struct link *l;
	size_t nl, capl;
	struct hash h; /* unit name -> index */
	char **wants_dirs;
	size_t nw, capw;
	dev_t dev[8];
	ino_t ino[8];
	size_t ndirs;
};

static void scope_done(struct scope *s)
{
	for (size_t i = 0; i < s->n; i++) {
		free(s->u[i].name);
		free(s->u[i].path);
		free(s->u[i].read_path);
	}
	for (size_t i = 0; i < s->nl; i++) {
		free(s->l[i].path);
		free(s->l[i].target);
		free(s->l[i].name);
	}
	for (size_t i = 0; i < s->nw; i++)
		free(s->wants_dirs[i]);
	free(s->u);
	free(s->l);
	free(s->wants_dirs);
	hash_done(&s->h);
}

static bool has_unit_suffix(const char *name)
{
	size_t n = strlen(name);
	for (size_t i = 0; i < ARRAY_SIZE(suffixes); i++) {
		size_t k = strlen(suffixes[i]);
		if (n > k && strcmp(name + n - k, suffixes[i]) == 0)
			return true;
	}
	return false;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);
	return n > k && strcmp(s + n - k, suffix) == 0;
}

static const char *base_name(const char *p)
{
	const char *s = strrchr(p, '/');
	return s ? s + 1 : p;
}

static ssize_t find_unit(const struct scope *s, const char *name)
{
	const struct hash_slot *h = hash_get(&s->h, name, strlen(name));
	return h ? h->value : -1;
}

/* Takes ownership of the strings (also on failure). */
static int add_unit(struct scope *s, char *name, char *path, char *read_path)
{
	int r = -ENOMEM;
	if (!name || !path || !read_path)
		goto fail;
	if (s->n == s->cap) {
		size_t nc = s->cap ? s->cap * 2 : 64;
		struct unit *q = realloc(s->u, nc * sizeof(*q));
		if (!q)
			goto fail;
		s->u = q;
		s->cap = nc;
	}
	struct hash_slot *h = hash_put(&s->h, name, strlen(name));
	if (!h)
		goto fail;
	h->value = (int)s->n;
	s->u[s->n++] = (struct unit){ .name = name, .path = path, .read_path = read_path };
	return 0;
fail:
	free(name);
	free(path);
	free(read_path);
	return r;
}

/* Takes ownership of the strings (also on failure). */
static int add_link(struct scope *s, char *path, char *target, const char *kind, ssize_t unit)
{
	char *name = path ? strdup(base_name(path)) : NULL;
	if (!path || !target || !name)
		goto fail;
	if (s->nl == s->capl) {
		size_t nc = s->capl ? s->capl * 2 : 64;
		struct link *q = realloc(s->l, nc * sizeof(*q));
		if (!q)
			goto fail;
		s->l = q;
		s->capl = nc;
	}
	s->l[s->nl++] = (struct link){ .path = path, .target = target, .name = name, .kind = kind,
				       .unit = unit, .etc = strncmp(path, "/etc/", 5) == 0 };
	return 0;
fail:
	free(path);
	free(target);
	free(name);
	return -ENOMEM;
}

/* "foo@bar.service" -> "foo@.service"; NULL when not an instance name. */
static char *template_of(const char *name)
{
	const char *at = strchr(name, '@');
	const char *dot = strrchr(name, '.');
	if (!at || !dot || dot <= at + 1)
		return NULL;
	size_t pre = (size_t)(at - name) + 1, suf = strlen(dot);
	char *t = malloc(pre + suf + 1);
	if (!t)
		return NULL;
	memcpy(t, name, pre);
	memcpy(t + pre, dot, suf + 1);
	return t;
}

/* The unit a link named `name` pointing at `target` stands for, or -1. */
static ssize_t resolve_link(const struct scope *s, const char *name, const char *target)
{
	ssize_t i = find_unit(s, base_name(target));
	if (i < 0)
		i = find_unit(s, name);
	if (i < 0) {
		_cleanup_free_ char *t = template_of(base_name(target));
		if (t)
			i = find_unit(s, t);
	}
	return i;
}

/* A symlink named like a unit, directly in a unit directory. */
static int unit_symlink(struct source_ctx *ctx, struct scope *s, const char *dir, const char *name,
			char *path)
{
	const struct root *root = source_root(ctx);
	char *target = NULL;
	int r = root_readlink(root, path, &target);
	if (r < 0) {
		if (r != -ENOENT)
			source_item_error(ctx, r, "'%s': cannot read link", path);
		free(path);
		return r == -ENOMEM ? r : 0;
	}
	if (strcmp(target, "/dev/null") == 0)
		return add_link(s, path, target, "link:mask", -1);
	if (strcmp(base_name(target), name) != 0)
		return add_link(s, path, target, "link:alias", -1); /* resolved later */
	/* A linked unit: defined by its target, read through the link. */
	if (find_unit(s, name) >= 0)
		return add_link(s, path, target, "link:shadowed", -1);
	struct stat st;
	if (root_stat(root, path, &st) < 0 || !S_ISREG(st.st_mode))
		return add_link(s, path, target, "link:dangling", -1);
	char *shown = target[0] == '/' ? strdup(target) : path_join(dir, target);
	r = add_unit(s, strdup(name), shown, strdup(path));
	if (r < 0) {
		free(path);
		free(target);
		return r;
	}
	return add_link(s, path, target, "link:linked", -1);
}

static bool is_wants(const char *name)
{
	return ends_with(name, ".wants") || ends_with(name, ".requires");
}

static bool unit_or_wants(const char *name)
{
	return is_wants(name) || has_unit_suffix(name);
}

struct unit_list {
	struct source_ctx *ctx;
	struct scope *s;
	const char *dir;
};

/* A unit file, a link to one, or a .wants/.requires folder (read after all unit folders). */
static int unit_entry(void *userdata, const char *entry, const char *name)
{
	struct unit_list *l = userdata;
	struct scope *s = l->s;
	struct stat lst;
	if (root_lstat(source_root(l->ctx), entry, &lst) < 0)
		return 0;
	if (is_wants(name) && !S_ISDIR(lst.st_mode))
		return 0;
	char *path = strdup(entry);
	if (!path)
		return -ENOMEM;
	if (is_wants(name)) {
		if (s->nw == s->capw) {
			size_t nc = s->capw ? s->capw * 2 : 16;
			char **q = realloc(s->wants_dirs, nc * sizeof(*q));
			if (!q) {
				free(path);
				return -ENOMEM;
			}
			s->wants_dirs = q;
			s->capw = nc;
		}
		s->wants_dirs[s->nw++] = path;
		return 0;
	}
	if (S_ISLNK(lst.st_mode))
		return unit_symlink(l->ctx, s, l->dir, name, path);
	if (S_ISREG(lst.st_mode)) {
		if (find_unit(s, name) >= 0)
			return add_link(s, path, strdup(path), "link:shadowed", -1);
		return add_unit(s, strdup(name), path, strdup(path));
	}
	if (!S_ISDIR(lst.st_mode)) /* a device, FIFO or socket named as a unit: never opened */
		source_item_error(l->ctx, -EXCISE_E_SPECIAL, "'%s': not read", path);
	free(path);
	return 0;
}

static int read_unit_dir(struct source_ctx *ctx, struct scope *s, const char *dir)
{
	const struct root *root = source_root(ctx);
	struct stat st;
	if (root_stat(root, dir, &st) < 0 || !S_ISDIR(st.st_mode))
		return 0;
	for (size_t i = 0; i < s->ndirs; i++)
		if (s->dev[i] == st.st_dev && s->ino[i] == st.st_ino)
			return 0; /* the same directory by another path */
	if (s->ndirs < ARRAY_SIZE(s->dev)) {
		s->dev[s->ndirs] = st.st_dev;
		s->ino[s->ndirs++] = st.st_ino;
	}
	static const struct dirlist units = { .match = unit_or_wants };
	struct unit_list l = { .ctx = ctx, .s = s, .dir = dir };
	int r = source_list(ctx, dir, &units, 0, unit_entry, &l);
	return r < 0 ? r : 0;
}

/* A link in a .wants/.requires folder: what systemctl enable made. */
static int wants_entry(void *userdata, const char *link, const char *name)
{
	struct unit_list *l = userdata;
	char *target = NULL;
	int k = root_readlink(source_root(l->ctx), link, &target);
	if (k == -EINVAL)
		return 0; /* not a symlink: not how systemctl enables */
	if (k < 0) {
		source_item_error(l->ctx, k, "'%s': cannot read link", link);
		return k == -ENOMEM ? k : 0;
	}
	char *path = strdup(link);
	if (!path) {
		free(target);
		return -ENOMEM;
	}
	ssize_t u = resolve_link(l->s, name, target);
	if (u >= 0)
		l->s->u[u].enabled = true;
	return add_link(l->s, path, target, u >= 0 ? "link:wants" : "link:dangling", u);
}

static int read_wants_dir(struct source_ctx *ctx, struct scope *s, const char *dir)
{
	static const struct dirlist units = { .match = has_unit_suffix };
	struct unit_list l = { .ctx = ctx, .s = s, .dir = dir };
	int r = source_list(ctx, dir, &units, 0, wants_entry, &l);
	return r < 0 ? r : 0;
}

struct unit_info {
	char *description, *exec;
	int err;
};

static int on_entry(void *ud, const char *section, const char *key, const char *value)
{
	struct unit_info *ui = ud;
	char **slot = NULL;
	if (strcmp(section, "Unit") == 0 && strcmp(key, "Description") == 0)
		slot = &ui->description;
	else if (strcmp(section, "Service") == 0 && strcmp(key, "ExecStart") == 0 && value[0])
		slot = &ui->exec;
	if (!slot || *slot)
		return 0;
	if (slot == &ui->exec)
		value += strspn(value, "-@:+!");
	*slot = strdup(value);
	return *slot ? 0 : -ENOMEM;
}

static int emit_scope(struct source_ctx *ctx, struct scope *s)
{
	const struct root *root = source_root(ctx);
	int r;
	for (size_t i = 0; i < s->n; i++) {
		struct unit *u = &s->u[i];
		struct unit_info ui = { 0 };
		_cleanup_free_ char *data = NULL;
		size_t len = 0;
		r = root_read_file(root, u->read_path, EXCISE_MAX_TEXT_FILE_SIZE, &data, &len);
		if (r == -ENOMEM)
			return r;
		if (r < 0) {
			source_item_error(ctx, r, "'%s': cannot read", u->read_path);
		} else {
			struct excise_err err = { 0 };
			r = keyfile_parse_ini(data, len, u->path, on_entry, &ui, &err);
			if (r == -ENOMEM) {
				free(ui.description);
				free(ui.exec);
				return r;
			}
			if (r < 0)
				source_item_error(ctx, -r, "%s", err.msg);
		}
		struct excise_obs o = {
			.kind = EXCISE_OBS_SERVICE,
			.state = u->masked ? "masked" : u->enabled ? "enabled" : "disabled",
			.active = u->enabled && !u->masked,
		};
		o.f[EXCISE_F_NAME] = u->name;
		o.f[EXCISE_F_PATH] = u->path;
		o.f[EXCISE_F_DESCRIPTION] = ui.description;
		o.f[EXCISE_F_TARGET] = ui.exec;
		r = source_emit(ctx, &o);
		free(ui.description);
		free(ui.exec);
		if (r < 0)
			return r;
	}
	for (size_t i = 0; i < s->nl; i++) {
		struct link *l = &s->l[i];
		const struct unit *u = l->unit >= 0 ? &s->u[l->unit] : NULL;
		struct excise_obs o = {
			.kind = EXCISE_OBS_SERVICE,
			.state = l->kind,
			.active = u && u->enabled && !u->masked,
		};
		o.f[EXCISE_F_NAME] = u ? u->name : l->name;
		o.f[EXCISE_F_PATH] = l->path;
		o.f[EXCISE_F_TARGET] = l->target;
		r = source_emit(ctx, &o);
		if (r < 0)
			return r;
	}
	return 0;
}

static int run_scope(struct source_ctx *ctx, const char *const *dirs, size_t n, bool *found)
{
	struct scope s = { 0 };
	hash_init(&s.h);
	int r = 0;
	for (size_t i = 0; r >= 0 && i < n; i++)
		r = read_unit_dir(ctx, &s, dirs[i]);
	/* Links found in the unit directories, now that every unit is known. */
	for (size_t i = 0; r >= 0 && i < s.nl; i++) {
		struct link *l = &s.l[i];
		if (strcmp(l->kind, "link:linked") == 0 || strcmp(l->kind, "link:shadowed") == 0) {
			l->unit = find_unit(&s, l->name);
		} else if (strcmp(l->kind, "link:mask") == 0) {
			l->unit = find_unit(&s, l->name);
			if (l->unit >= 0)
				s.u[l->unit].masked = true;
		} else if (strcmp(l->kind, "link:alias") == 0) {
			l->unit = resolve_link(&s, l->name, l->target);
			if (l->unit >= 0 && l->etc)
				s.u[l->unit].enabled = true;
		}
	}
	for (size_t i = 0; r >= 0 && i < s.nw; i++)
		r = read_wants_dir(ctx, &s, s.wants_dirs[i]);
	if (s.ndirs > 0)
		*found = true;
	if (r >= 0)
		r = emit_scope(ctx, &s);
	scope_done(&s);
	return r;
}

static int run(struct source_ctx *ctx)
{
	bool found = false;
	int r = run_scope(ctx, system_dirs, ARRAY_SIZE(system_dirs), &found);
	if (r >= 0)
		r = run_scope(ctx, user_dirs, ARRAY_SIZE(user_dirs), &found);
	if (r < 0)
		return source_fail(ctx, r, "systemd units: %s", excise_strerror(r));
	return found ? 0 : -EXCISE_E_ABSENT;
}

const struct source source_systemd = {
	.name = "systemd",
	.platform = "linux",
	.description = "systemd unit files and their enablement links",
	.run = run,
};
