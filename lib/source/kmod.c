/* SPDX-License-Identifier: Apache-2.0 */
/*
 * source kmod: kernel modules. Module files under /lib/modules/<release>/ and
 * /usr/lib/modules/<release>/ (*.ko, *.ko.xz, *.ko.zst, *.ko.gz; at most
 * EXCISE_MAX_SOURCE_DEPTH levels below <release>) give one observation each:
 * NAME = the file's base name without the extensions, as written (the kernel
 * shows '-' as '_': that form is used only to compare with loaded modules),
 * PATH = the file, state "present". On the live host, /proc/modules lists the
 * loaded modules: a file of the running release whose module is loaded is
 * "loaded" and active, and a loaded module with no file in the trees is still
 * reported (PATH empty, state "loaded"). The .modinfo of a plain .ko (through
 * libkmod, lib/parse/modinfo.c) gives PUBLISHER = author, DESCRIPTION and
 * VERSION, and attrs license, signer and vermagic; compressed modules are
 * named but not opened (see modinfo.h).
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>

#include "core/hash.h"
#include "core/limits.h"
#include "parse/modinfo.h"
#include "parse/procmodules.h"
#include "source/source.h"
#include "source/tree.h"

static const char *const trees[] = { "/lib/modules", "/usr/lib/modules" };
static const char *const exts[] = { ".ko", ".ko.xz", ".ko.zst", ".ko.gz" };

struct loaded {
	char **names; /* normalised ('-' -> '_') */
	char **states;
	bool *seen;
	size_t n, cap;
	struct hash h;
};

struct kmod {
	struct source_ctx *ctx;
	struct loaded ld;
	struct strset read;  /* "dev:ino" of the module files whose .modinfo was read */
	unsigned n_modules;  /* module files and links looked at (EXCISE_MAX_KMOD_MODULES) */
	const char *release; /* running release when live, else NULL */
	bool any_tree;
};

static void normalise(char *s)
{
	for (; *s; s++)
		if (*s == '-')
			*s = '_';
}

static void loaded_done(struct loaded *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->names[i]);
		free(l->states[i]);
	}
	free(l->names);
	free(l->states);
	free(l->seen);
	hash_done(&l->h);
}

static int loaded_add(struct loaded *l, const char *name, size_t nlen, const char *state, size_t slen)
{
	if (l->n == l->cap) {
		size_t nc = l->cap ? l->cap * 2 : 128;
		char **a = realloc(l->names, nc * sizeof(*a));
		if (!a)
			return -ENOMEM;
		l->names = a;
		char **b = realloc(l->states, nc * sizeof(*b));
		if (!b)
			return -ENOMEM;
		l->states = b;
		bool *c = realloc(l->seen, nc * sizeof(*c));
		if (!c)
			return -ENOMEM;
		l->seen = c;
		l->cap = nc;
	}
	char *n = strndup(name, nlen), *s = strndup(state, slen);
	if (!n || !s) {
		free(n);
		free(s);
		return -ENOMEM;
	}
	normalise(n);
	struct hash_slot *h = hash_put(&l->h, n, strlen(n));
	if (!h) {
		free(n);
		free(s);
		return -ENOMEM;
	}
	if (h->value >= 0) { /* listed twice: keep the first */
		free(n);
		free(s);
		return 0;
	}
	h->value = (int)l->n;
	l->names[l->n] = n;
	l->states[l->n] = s;
	l->seen[l->n++] = false;
	return 0;
}

static int on_proc_module(void *ud, const struct procmodules_line *l)
{
	struct kmod *k = ud;
	if (!l->name) {
		source_item_error(k->ctx, EXCISE_E_CORRUPT, "'/proc/modules': line %zu: malformed", l->line);
		return 0;
	}
	return loaded_add(&k->ld, l->name, l->name_len, l->state, l->state_len);
}

/* /proc/modules: "name size refcount deps state address" per line. */
static int read_proc_modules(struct kmod *k)
{
	_cleanup_free_ char *data = NULL;
	size_t len = 0;
	int r = root_read_file(source_root(k->ctx), "/proc/modules", EXCISE_MAX_TEXT_FILE_SIZE, &data,
			       &len);
	if (r == -ENOENT)
		return 0; /* a kernel without module support */
	if (r < 0) {
		if (r == -ENOMEM)
			return r;
		source_item_error(k->ctx, r, "'/proc/modules': cannot read");
		return 0;
	}
	return procmodules_parse(data, len, on_proc_module, k);
}

static size_t module_ext(const char *name)
{
	size_t n = strlen(name);
	for (size_t i = 0; i < ARRAY_SIZE(exts); i++) {
		size_t k = strlen(exts[i]);
		if (n > k && strcmp(name + n - k, exts[i]) == 0)
			return k;
	}
	return 0;
}

/* What .modinfo says of a module (strings owned). */
struct minfo {
	char *author, *description, *version, *license, *signer, *vermagic;
};

static int on_modinfo(void *ud, const char *key, const char *value)
{
	struct minfo *m = ud;
	char **slot = strcmp(key, "author") == 0	  ? &m->author
		    : strcmp(key, "description") == 0 ? &m->description
		    : strcmp(key, "version") == 0     ? &m->version
		    : strcmp(key, "license") == 0     ? &m->license
		    : strcmp(key, "signer") == 0      ? &m->signer
		    : strcmp(key, "vermagic") == 0    ? &m->vermagic
						      : NULL;
	if (!slot)
		return 0;
	if (*slot && slot != &m->author)
		return 0; /* one of each, but every author (joined as modinfo(8) lists them) */
	size_t old = *slot ? strlen(*slot) : 0, add = strlen(value);
	if (old + add > EXCISE_MAX_KEYFILE_LINE)
		return 0;
	char *v = realloc(*slot, old + add + 3);
	if (!v)
		return -ENOMEM;
	if (old)
		memcpy(v + old, ", ", 2), old += 2;
	memcpy(v + old, value, add + 1);
	*slot = v;
	return 0;
}

static void minfo_done(struct minfo *m)
{
	free(m->author), free(m->description), free(m->version);
	free(m->license), free(m->signer), free(m->vermagic);
}

/* The .modinfo of a plain .ko file; problems are item errors, not failures. */
static int read_modinfo(struct kmod *k, const char *path, struct minfo *m)
{
	struct stat st;
	_cleanup_close_ int fd = root_open_file(source_root(k->ctx), path, O_RDONLY, &st);
	int r = fd < 0 ? fd : 0;
	if (r == 0) {
		/* A file read once, however many links lead to it: the observation of its
		 * first path carries what it says, the links only their names. */
		char key[64];
		int n = snprintf(key, sizeof(key), "%llu:%llu", (unsigned long long)st.st_dev,
				 (unsigned long long)st.st_ino);
		r = strset_add(&k->read, key, (size_t)n);
		if (r == 0)
			return 0;
		r = r < 0 ? r : modinfo_read_fd(fd, on_modinfo, m);
	}
	if (r == -ENOMEM)
		return r;
	if (r == -EXCISE_E_TOOBIG)
		source_item_error(k->ctx, r, "'%s': larger than %u bytes, .modinfo not read", path,
				  EXCISE_MAX_KMOD_SIZE);
	else if (r == -EXCISE_E_LIMIT)
		source_item_error(k->ctx, r, "'%s': more than %u .modinfo strings (EXCISE_MAX_MODINFO_STRINGS), "
				  ".modinfo not read", path, EXCISE_MAX_MODINFO_STRINGS);
	else if (r < 0)
		source_item_error(k->ctx, r, "'%s': .modinfo not read", path);
	return 0;
}

static int module_file(struct kmod *k, const char *path, const char *name, size_t ext,
		       bool running_release)
{
	_cleanup_free_ char *mod = strndup(name, strlen(name) - ext);
	_cleanup_free_ char *norm = mod ? strdup(mod) : NULL;
	if (!norm)
		return -ENOMEM;
	normalise(norm);
	const char *state = "present";
	bool active = false;
	if (running_release) {
		const struct hash_slot *h = hash_get(&k->ld.h, norm, strlen(norm));
		if (h) {
			k->ld.seen[h->value] = true;
			state = "loaded";
			active = true;
		}
	}
	struct minfo m = { 0 };
	int r = strcmp(name + strlen(name) - ext, ".ko") == 0 ? read_modinfo(k, path, &m) : 0;
	if (r < 0) {
		minfo_done(&m);
		return r;
	}
	struct excise_obs_attr attrs[] = {
		{ "license", m.license }, { "signer", m.signer }, { "vermagic", m.vermagic },
	};
	struct excise_obs o = { .kind = EXCISE_OBS_KMOD, .state = state, .active = active,
			 .attrs = attrs, .n_attrs = ARRAY_SIZE(attrs) };
	o.f[EXCISE_F_NAME] = mod;
	o.f[EXCISE_F_PATH] = path;
	o.f[EXCISE_F_PUBLISHER] = m.author;
	o.f[EXCISE_F_DESCRIPTION] = m.description;
	o.f[EXCISE_F_VERSION] = m.version;
	r = source_emit(k->ctx, &o);
	minfo_done(&m);
	return r;
}

struct mod_walk {
	struct kmod *k;
	bool running_release;
};

static int on_module_entry(void *ud, const struct walk_entry *e)
{
	struct mod_walk *m = ud;
	size_t ext = module_ext(e->name);
	if (ext && e->type != DT_REG && e->type != DT_LNK && e->type != DT_DIR)
		source_item_error(m->k->ctx, -EXCISE_E_SPECIAL, "'%s': named as a module, not read", e->path);
	if (!ext || (e->type != DT_REG && e->type != DT_LNK))
		return WALK_CONTINUE;
	if (++m->k->n_modules > EXCISE_MAX_KMOD_MODULES) {
		if (m->k->n_modules == EXCISE_MAX_KMOD_MODULES + 1)
			source_item_error(m->k->ctx, EXCISE_E_LIMIT, "'%s': more than %u module files and links, "
					  "the rest not read (EXCISE_MAX_KMOD_MODULES)", e->path,
					  EXCISE_MAX_KMOD_MODULES);
		return WALK_CONTINUE;
	}
	return module_file(m->k, e->path, e->name, ext, m->running_release);
}

/* One kernel release's folder of a module tree. */
static int release_entry(void *userdata, const char *path, const char *name)
{
	struct kmod *k = userdata;
	struct stat vst;
	if (root_stat(source_root(k->ctx), path, &vst) < 0 || !S_ISDIR(vst.st_mode))
		return 0;
	struct mod_walk m = { .k = k, .running_release = k->release && strcmp(k->release, name) == 0 };
	return source_tree(k->ctx, path, EXCISE_MAX_SOURCE_DEPTH, on_module_entry, &m, NULL);
}

static int read_tree(struct kmod *k, const char *tree, dev_t *devs, ino_t *inos, size_t *nseen)
{
	const struct root *root = source_root(k->ctx);
	struct stat st;
	if (root_stat(root, tree, &st) < 0 || !S_ISDIR(st.st_mode))
		return 0;
	for (size_t i = 0; i < *nseen; i++)
		if (devs[i] == st.st_dev && inos[i] == st.st_ino)
			return 0; /* /lib is /usr/lib on a merged-/usr system */
	devs[*nseen] = st.st_dev;
	inos[(*nseen)++] = st.st_ino;
	k->any_tree = true;
	static const struct dirlist releases = { 0 };
	int r = source_list(k->ctx, tree, &releases, 0, release_entry, k);
	return r < 0 ? r : 0;
}

static int run(struct source_ctx *ctx)
{
	struct kmod k = { .ctx = ctx };
	hash_init(&k.ld.h);
	strset_init(&k.read);
	struct utsname u;
	int r = 0;
	if (source_live(ctx)) {
		if (uname(&u) == 0)
			k.release = u.release;
		r = read_proc_modules(&k);
	}
	dev_t devs[ARRAY_SIZE(trees)];
	ino_t inos[ARRAY_SIZE(trees)];
	size_t nseen = 0;
	for (size_t i = 0; r >= 0 && i < ARRAY_SIZE(trees); i++)
		r = read_tree(&k, trees[i], devs, inos, &nseen);
	/* Loaded modules with no file in the trees (built out of tree, or loaded from elsewhere). */
	for (size_t i = 0; r >= 0 && i < k.ld.n; i++) {
		if (k.ld.seen[i])
			continue;
		struct excise_obs o = { .kind = EXCISE_OBS_KMOD, .state = "loaded", .active = true };
		o.f[EXCISE_F_NAME] = k.ld.names[i];
		r = source_emit(ctx, &o);
	}
	bool found = k.any_tree || k.ld.n > 0;
	loaded_done(&k.ld);
	strset_done(&k.read);
	if (r < 0)
		return source_fail(ctx, r, "kernel modules: %s", excise_strerror(r));
	return found ? 0 : -EXCISE_E_ABSENT;
}

const struct source source_kmod = {
	.name = "kmod",
	.platform = "linux",
	.description = "kernel modules: loaded (/proc/modules) and on disk (/lib/modules)",
	.run = run,
};
