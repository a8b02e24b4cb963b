/* SPDX-License-Identifier: Apache-2.0 */
/*
 * source dpkg: the packages in dpkg's status database, one observation each.
 *
 * dpkg records every change first in its journal, /var/lib/dpkg/updates/NNNN
 * (one stanza per changed package, numbered in order), and folds the journal
 * into the status file when a run ends. A run that was killed or crashed leaves
 * the journal behind, and the status file then misses what it was installing:
 * like dpkg itself, the journal is read in order over the status file, its
 * fields overriding the package's, so an interrupted install is still found.
 */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "core/hash.h"
#include "core/limits.h"
#include "parse/dpkg.h"
#include "source/source.h"
#include "source/tree.h"

#define DPKG_STATUS "/var/lib/dpkg/status"
#define DPKG_UPDATES "/var/lib/dpkg/updates"

/* A package as the journal left it (strings owned; NULL where its stanza had no such field). */
struct jpkg {
	char *key;           /* package, NUL, architecture */
	char *package, *version, *maintainer, *synopsis, *state, *path;
	bool emitted;        /* merged into its status stanza */
};

struct journal {
	struct source_ctx *ctx;
	struct jpkg *v;
	size_t n;
	struct hash h;       /* key -> index */
	const char *file;    /* the journal file being read */
	int err;
};

/* dpkg's package states (dpkg-query(1)) and whether each means the package's
 * files are on disk as a working install. not-installed is never emitted. */
static const struct {
	const char *word;
	bool active;
} states[] = {
	{ "installed", true },
	{ "half-configured", true },
	{ "unpacked", true },
	{ "triggers-awaited", true },
	{ "triggers-pending", true },
	{ "half-installed", false },
	{ "config-files", false },
	{ "not-installed", false },
};

/* The fields an observation takes, from a status stanza or a journal record. */
struct fields {
	const char *package, *version, *maintainer, *synopsis, *state, *path, *file;
	size_t line;
	bool journal;
};

static int emit(struct source_ctx *ctx, const struct fields *p)
{
	if (!p->state) {
		source_item_error(ctx, EXCISE_E_CORRUPT, "'%s': line %zu (package '%.64s'): no Status field",
				  p->file, p->line, p->package);
		return 0;
	}
	size_t i;
	for (i = 0; i < ARRAY_SIZE(states); i++)
		if (strcmp(states[i].word, p->state) == 0)
			break;
	if (i == ARRAY_SIZE(states)) {
		source_item_error(ctx, EXCISE_E_CORRUPT,
				  "'%s': line %zu (package '%.64s'): unknown package state '%.64s'",
				  p->file, p->line, p->package, p->state);
		return 0;
	}
	if (strcmp(p->state, "not-installed") == 0) {
		source_count(ctx, 1);
		return 0;
	}
	/* the name travels with evidence matched on another field (the Maintainer) */
	struct excise_obs_attr attrs[] = { { "package", p->package }, { "dpkg_journal", "interrupted run" } };
	struct excise_obs o = {
		.kind = EXCISE_OBS_PACKAGE, .state = states[i].word, .active = states[i].active,
		.attrs = attrs, .n_attrs = p->journal ? 2 : 1,
	};
	o.f[EXCISE_F_NAME] = p->package;
	o.f[EXCISE_F_VERSION] = p->version;
	o.f[EXCISE_F_PUBLISHER] = p->maintainer;
	o.f[EXCISE_F_DESCRIPTION] = p->synopsis;
	o.f[EXCISE_F_PATH] = p->path;
	return source_emit(ctx, &o);
}

static char *jkey(const struct dpkg_pkg *pkg, size_t *ret_len)
{
	const char *arch = pkg->architecture ? pkg->architecture : "";
	size_t a = strlen(pkg->package), b = strlen(arch);
	char *k = malloc(a + b + 2);
	if (k) {
		memcpy(k, pkg->package, a + 1);
		memcpy(k + a + 1, arch, b + 1);
	}
	*ret_len = a + 1 + b;
	return k;
}

/* Replace *slot by a copy of `s` when the stanza had the field (a journal stanza
 * without it leaves the earlier value). */
static int take(char **slot, const char *s)
{
	if (!s)
		return 0;
	char *c = strdup(s);
	if (!c)
		return -ENOMEM;
	free(*slot);
	*slot = c;
	return 0;
}

static int on_journal_pkg(void *userdata, const struct dpkg_pkg *pkg)
{
	struct journal *j = userdata;
	size_t kl;
	_cleanup_free_ char *key = jkey(pkg, &kl);
	if (!key)
		return -ENOMEM;
	struct hash_slot *slot = hash_put(&j->h, key, kl);
	if (!slot)
		return -ENOMEM;
	if (slot->value < 0) {
		struct jpkg *v = realloc(j->v, (j->n + 1) * sizeof(*v));
		if (!v) {
			slot->key = NULL, j->h.n--; /* unpublish the borrowed key */
			return -ENOMEM;
		}
		j->v = v;
		v[j->n] = (struct jpkg){ .key = TAKE_PTR(key) };
		slot->key = v[j->n].key;
		slot->value = (int)j->n++;
	}
	struct jpkg *p = &j->v[slot->value];
	int r = 0;
	if ((r = take(&p->package, pkg->package)) < 0 || (r = take(&p->version, pkg->version)) < 0 ||
	    (r = take(&p->maintainer, pkg->maintainer)) < 0 ||
	    (r = take(&p->synopsis, pkg->synopsis)) < 0 || (r = take(&p->state, pkg->state)) < 0 ||
	    (r = take(&p->path, j->file)) < 0)
		return r;
	return 0;
}

static int on_pkg(void *userdata, const struct dpkg_pkg *pkg)
{
	struct journal *j = userdata;
	struct fields f = {
		.package = pkg->package, .version = pkg->version, .maintainer = pkg->maintainer,
		.synopsis = pkg->synopsis, .state = pkg->state, .file = DPKG_STATUS, .line = pkg->line,
	};
	size_t kl;
	_cleanup_free_ char *key = j->n ? jkey(pkg, &kl) : NULL;
	if (j->n && !key)
		return -ENOMEM;
	const struct hash_slot *h = key ? hash_get(&j->h, key, kl) : NULL;
	if (h) {
		/* The journal is newer: its fields win, the status file fills the rest. */
		struct jpkg *p = &j->v[h->value];
		p->emitted = true;
		f.version = p->version ? p->version : f.version;
		f.maintainer = p->maintainer ? p->maintainer : f.maintainer;
		f.synopsis = p->synopsis ? p->synopsis : f.synopsis;
		f.state = p->state ? p->state : f.state;
		f.path = f.file = p->path;
		f.journal = true;
	}
	return emit(j->ctx, &f);
}

static int on_error(void *userdata, int code, size_t line, const char *msg)
{
	struct journal *j = userdata;
	(void)line;
	/* msg already names the file and the line; code is a domain code. */
	source_item_error(j->ctx, -code, "%s", msg);
	return 0;
}

/* Journal files are named by their number ("0000"); dpkg's "tmp.i" is not one. */
static bool journal_name(const char *n)
{
	size_t len = strlen(n);
	return len > 0 && len <= 9 && strspn(n, "0123456789") == len;
}

static int cmp_numbers(const void *a, const void *b)
{
	long x = strtol(*(char *const *)a, NULL, 10), y = strtol(*(char *const *)b, NULL, 10);
	return (x > y) - (x < y);
}

/* One journal file; they come in the order dpkg applies them. */
static int journal_file(void *userdata, const char *path, const char *name)
{
	(void)name;
	struct journal *j = userdata;
	_cleanup_free_ char *data = NULL;
	size_t len = 0;
	int r = root_read_file(source_root(j->ctx), path, EXCISE_MAX_DPKG_STATUS_SIZE, &data, &len);
	if (r == -ENOMEM)
		return r;
	if (r < 0) {
		source_item_error(j->ctx, r, "'%s': cannot read", path);
		return 0;
	}
	j->file = path;
	struct excise_err err = { 0 };
	r = dpkg_status_parse(path, data, len, on_journal_pkg, on_error, j, &err);
	j->file = NULL;
	if (r < 0 && r != -ENOMEM) {
		source_item_error(j->ctx, r, "%s", err.msg[0] ? err.msg : path);
		r = 0;
	}
	return r;
}

static int read_journal(struct journal *j)
{
	static const struct dirlist journal = { .match = journal_name, .compar = cmp_numbers,
						.max = EXCISE_MAX_DPKG_UPDATES, .what = "journal files" };
	int r = source_list(j->ctx, DPKG_UPDATES, &journal, SOURCE_LIST_REQUIRED, journal_file, j);
	return r < 0 ? source_fail(j->ctx, r, "'%s': %s", DPKG_UPDATES, excise_strerror(r)) : 0;
}

/* Journal records of packages the status file does not know (a first install). */
static int emit_new_from_journal(struct journal *j)
{
	int r = 0;
	for (size_t i = 0; i < j->n && r >= 0; i++) {
		struct jpkg *p = &j->v[i];
		if (p->emitted)
			continue;
		struct fields f = {
			.package = p->package, .version = p->version, .maintainer = p->maintainer,
			.synopsis = p->synopsis, .state = p->state, .path = p->path, .file = p->path,
			.journal = true,
		};
		r = emit(j->ctx, &f);
	}
	return r;
}

static void journal_done(struct journal *j)
{
	for (size_t i = 0; i < j->n; i++) {
		struct jpkg *p = &j->v[i];
		free(p->key), free(p->package), free(p->version), free(p->maintainer);
		free(p->synopsis), free(p->state), free(p->path);
	}
	free(j->v);
	hash_done(&j->h);
}

static int run(struct source_ctx *ctx)
{
	_cleanup_free_ char *data = NULL;
	size_t len = 0;
	int r = root_read_file(source_root(ctx), DPKG_STATUS, EXCISE_MAX_DPKG_STATUS_SIZE, &data, &len);
	if (r == -ENOENT || r == -ENOTDIR)
		return -EXCISE_E_ABSENT;
	if (r == -EXCISE_E_TOOBIG)
		return source_fail(ctx, r, "'%s': larger than %u bytes", DPKG_STATUS,
				   EXCISE_MAX_DPKG_STATUS_SIZE);
	if (r < 0)
		return source_fail(ctx, r, "'%s': cannot read: %s", DPKG_STATUS, excise_strerror(r));

	struct journal j = { .ctx = ctx };
	hash_init(&j.h);
	struct excise_err err = { 0 };
	r = read_journal(&j);
	if (r >= 0) {
		r = dpkg_status_parse(DPKG_STATUS, data, len, on_pkg, on_error, &j, &err);
		if (r < 0)
			r = source_fail(ctx, r, "%s", err.msg[0] ? err.msg : excise_strerror(r));
	}
	if (r >= 0)
		r = emit_new_from_journal(&j);
	journal_done(&j);
	return r < 0 ? r : 0;
}

const struct source source_dpkg = {
	.name = "dpkg",
	.platform = "linux",
	.description = "packages in dpkg's status database (" DPKG_STATUS " and its journal)",
	.run = run,
};
