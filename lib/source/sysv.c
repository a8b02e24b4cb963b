/* SPDX-License-Identifier: Apache-2.0 */
/*
 * source sysv: SysV init scripts in /etc/init.d, one observation each (NAME =
 * script name, PATH, DESCRIPTION from the LSB header's Short-Description or
 * Description, TARGET from a DAEMON= line), "enabled" when a start link
 * /etc/rc[0-6S].d/S<nn><name> exists, else "disabled". As in the systemd
 * source, each rc link of a script gives one more SERVICE observation (same
 * NAME, PATH = the link, TARGET = its text, state "link:rc"), so removal knows
 * every path.
 */
#include <dirent.h>
#include <string.h>
#include <sys/stat.h>

#include "core/limits.h"
#include "parse/sysvinit.h"
#include "source/source.h"
#include "source/tree.h"

#define INITD "/etc/init.d"

static const char *const rc_dirs[] = {
	"/etc/rc0.d", "/etc/rc1.d", "/etc/rc2.d", "/etc/rc3.d",
	"/etc/rc4.d", "/etc/rc5.d", "/etc/rc6.d", "/etc/rcS.d",
};

/* Files in init.d that are not services. */
static const char *const not_scripts[] = {
	"README", "skeleton", "rc", "rcS", "functions", "halt", "reboot", "single",
};

struct rclink {
	char *path, *target;
	char *script; /* the name after S<nn>/K<nn> */
	bool start;
};

struct rcset {
	struct rclink *l;
	size_t n, cap;
};

static void rcset_done(struct rcset *s)
{
	for (size_t i = 0; i < s->n; i++) {
		free(s->l[i].path);
		free(s->l[i].target);
		free(s->l[i].script);
	}
	free(s->l);
}

/* S<nn><script> and K<nn><script> */
static bool rc_name(const char *n)
{
	return (n[0] == 'S' || n[0] == 'K') && n[1] >= '0' && n[1] <= '9' && n[2] >= '0' && n[2] <= '9' && n[3];
}

struct rc_list {
	struct source_ctx *ctx;
	struct rcset *s;
};

static int rc_entry(void *userdata, const char *link, const char *n)
{
	struct rc_list *l = userdata;
	struct rcset *s = l->s;
	_cleanup_free_ char *path = strdup(link);
	if (!path)
		return -ENOMEM;
	_cleanup_free_ char *target = NULL;
	int k = root_readlink(source_root(l->ctx), path, &target);
	if (k == -EINVAL) {
		target = strdup("");
		k = target ? 0 : -ENOMEM;
	}
	if (k == -ENOMEM)
		return k;
	if (k < 0) {
		source_item_error(l->ctx, k, "'%s': cannot read link", path);
		return 0;
	}
	if (s->n == s->cap) {
		size_t nc = s->cap ? s->cap * 2 : 32;
		struct rclink *q = realloc(s->l, nc * sizeof(*q));
		if (!q)
			return -ENOMEM;
		s->l = q;
		s->cap = nc;
	}
	char *script = strdup(n + 3);
	if (!script)
		return -ENOMEM;
	s->l[s->n++] = (struct rclink){ .path = TAKE_PTR(path), .target = TAKE_PTR(target),
					.script = script, .start = n[0] == 'S' };
	return 0;
}

static int read_rc_dir(struct source_ctx *ctx, struct rcset *s, const char *dir)
{
	static const struct dirlist links = { .match = rc_name };
	struct rc_list l = { .ctx = ctx, .s = s };
	int r = source_list(ctx, dir, &links, 0, rc_entry, &l);
	return r < 0 ? r : 0;
}

static bool skip_name(const char *n)
{
	if (n[0] == '.')
		return true;
	for (size_t i = 0; i < ARRAY_SIZE(not_scripts); i++)
		if (strcmp(n, not_scripts[i]) == 0)
			return true;
	return false;
}

static int one_script(struct source_ctx *ctx, const struct rcset *rc, const char *name)
{
	const struct root *root = source_root(ctx);
	_cleanup_free_ char *path = path_join(INITD, name);
	if (!path)
		return -ENOMEM;
	struct stat st;
	if (root_stat(root, path, &st) < 0 || !S_ISREG(st.st_mode))
		return 0;
	struct sysvinit_info si = { 0 };
	_cleanup_free_ char *data = NULL;
	size_t len = 0;
	int r = root_read_file(root, path, EXCISE_MAX_TEXT_FILE_SIZE, &data, &len);
	if (r == -ENOMEM)
		return r;
	if (r < 0)
		source_item_error(ctx, r, "'%s': cannot read", path);
	else if ((r = sysvinit_scan(data, len, &si)) < 0)
		goto out;
	bool enabled = false;
	for (size_t i = 0; i < rc->n; i++)
		if (rc->l[i].start && strcmp(rc->l[i].script, name) == 0)
			enabled = true;
	struct excise_obs o = {
		.kind = EXCISE_OBS_SERVICE,
		.state = enabled ? "enabled" : "disabled",
		.active = enabled,
	};
	o.f[EXCISE_F_NAME] = name;
	o.f[EXCISE_F_PATH] = path;
	o.f[EXCISE_F_DESCRIPTION] = si.description;
	o.f[EXCISE_F_TARGET] = si.daemon;
	r = source_emit(ctx, &o);
	for (size_t i = 0; r >= 0 && i < rc->n; i++) {
		if (strcmp(rc->l[i].script, name) != 0)
			continue;
		struct excise_obs lo = { .kind = EXCISE_OBS_SERVICE, .state = "link:rc", .active = enabled };
		lo.f[EXCISE_F_NAME] = name;
		lo.f[EXCISE_F_PATH] = rc->l[i].path;
		lo.f[EXCISE_F_TARGET] = rc->l[i].target;
		r = source_emit(ctx, &lo);
	}
out:
	sysvinit_info_done(&si);
	return r;
}

static int run(struct source_ctx *ctx)
{
	DIR *d = NULL;
	int r = root_opendir(source_root(ctx), INITD, &d);
	if (r == -ENOENT || r == -ENOTDIR)
		return -EXCISE_E_ABSENT;
	if (r < 0)
		return source_fail(ctx, r, "'%s': cannot list: %s", INITD, excise_strerror(r));
	struct rcset rc = { 0 };
	for (size_t i = 0; r >= 0 && i < ARRAY_SIZE(rc_dirs); i++)
		r = read_rc_dir(ctx, &rc, rc_dirs[i]);
	struct dirent *e;
	while (r >= 0 && (e = readdir(d))) {
		if (skip_name(e->d_name))
			continue;
		r = one_script(ctx, &rc, e->d_name);
	}
	closedir(d);
	rcset_done(&rc);
	if (r < 0)
		return source_fail(ctx, r, "'%s': %s", INITD, excise_strerror(r));
	return 0;
}

const struct source source_sysv = {
	.name = "sysv",
	.platform = "linux",
	.description = "SysV init scripts (/etc/init.d) and their rc links",
	.run = run,
};
