/* SPDX-License-Identifier: Apache-2.0 */
/*
 * users: the user folders of a root, for sources that read per-user places
 * (browser profiles, per-user apps and launch agents, AppData, NTUSER.DAT).
 * Linux: home/<u>/ and root/; Windows and macOS: Users/<u>/ (the folder
 * looked up ASCII-case-insensitively). Names starting with '.' and symlinks
 * are not users (a link could name another user's folder, or none). Past
 * EXCISE_MAX_USERS folders in one place an item error is reported and the
 * rest is not read.
 */
#ifndef EXCISE_SOURCE_USERS_H
#define EXCISE_SOURCE_USERS_H

#include "source/source.h"

enum user_layout {
	USER_LINUX = 1u << 0,   /* home/<u>, root */
	USER_USERS = 1u << 1,   /* Users/<u> (Windows, macOS) */
};

struct user_home {
	enum user_layout layout;
	const char *name;       /* "alice", "root" */
	const char *home;       /* root-relative, real spelling: "/home/alice", "/Users/Bob" */
};

/* Returns 0 to go on, < 0 to stop (passed through). */
typedef int (*user_fn)(struct source_ctx *ctx, const struct user_home *u, void *ud);

/* Call `fn` for every user folder of the layouts in `layouts`. Returns 0 or < 0. */
NODISCARD int source_each_user(struct source_ctx *ctx, unsigned layouts, user_fn fn, void *ud);

#endif
