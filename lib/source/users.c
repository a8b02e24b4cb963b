/* SPDX-License-Identifier: Apache-2.0 */
/* users: the user folders of a root (see users.h). */
#include "source/users.h"

#include <dirent.h>
#include <sys/stat.h>

#include "core/limits.h"

static int users_in(struct source_ctx *ctx, enum user_layout layout, const char *dir, user_fn fn,
		    void *ud)
{
	const struct root *r = source_root(ctx);
	DIR *d = NULL;
	int k = root_opendir(r, dir, &d);
	if (k < 0) {
		if (k != -ENOENT && k != -ENOTDIR && k != -ENOMEM)
			source_item_error(ctx, k, "'%s': cannot list", dir);
		return k == -ENOMEM ? k : 0;
	}
	unsigned n = 0;
	k = 0;
	for (struct dirent *e; k >= 0 && (e = readdir(d));) {
		if (e->d_name[0] == '.')
			continue;
		_cleanup_free_ char *home = path_join(dir, e->d_name);
		if (!home) {
			k = -ENOMEM;
			break;
		}
		struct stat st;
		if (root_lstat(r, home, &st) < 0 || !S_ISDIR(st.st_mode))
			continue;
		if (++n > EXCISE_MAX_USERS) {
			source_item_error(ctx, EXCISE_E_LIMIT,
					  "'%s': more than %u user folders, the rest not read", dir,
					  EXCISE_MAX_USERS);
			break;
		}
		struct user_home u = { .layout = layout, .name = e->d_name, .home = home };
		k = fn(ctx, &u, ud);
	}
	closedir(d);
	return k;
}

int source_each_user(struct source_ctx *ctx, unsigned layouts, user_fn fn, void *ud)
{
	const struct root *r = source_root(ctx);
	int k = 0;
	if (layouts & USER_LINUX) {
		k = users_in(ctx, USER_LINUX, "/home", fn, ud);
		struct stat st;
		if (k >= 0 && root_lstat(r, "/root", &st) == 0 && S_ISDIR(st.st_mode)) {
			struct user_home u = { .layout = USER_LINUX, .name = "root", .home = "/root" };
			k = fn(ctx, &u, ud);
		}
	}
	if (k >= 0 && (layouts & USER_USERS)) {
		_cleanup_free_ char *users = NULL;
		int e = root_resolve_nocase(r, "/Users", &users);
		if (e == -ENOMEM)
			return e;
		if (e >= 0)
			k = users_in(ctx, USER_USERS, users, fn, ud);
	}
	return k;
}
