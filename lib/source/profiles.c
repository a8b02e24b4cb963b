/* SPDX-License-Identifier: Apache-2.0 */
/* profiles: every user's browser profiles, for the sources that read them. */
#include "source/profiles.h"
#include "source/tree.h"
#include "source/users.h"

#include <dirent.h>
#include <string.h>
#include <sys/stat.h>

#include "core/limits.h"

enum layout { L_LINUX, L_USERS };

/* User-data folders, relative to a user folder. */
static const struct bdir {
	enum layout layout;
	enum profile_family family;
	const char *browser;
	const char *rel;
} bdirs[] = {
	{ L_LINUX, PROFILE_CHROMIUM, "chrome", ".config/google-chrome" },
	{ L_LINUX, PROFILE_CHROMIUM, "chrome", ".config/google-chrome-beta" },
	{ L_LINUX, PROFILE_CHROMIUM, "chrome", ".config/google-chrome-unstable" },
	{ L_LINUX, PROFILE_CHROMIUM, "chrome", ".config/google-chrome-canary" },
	{ L_LINUX, PROFILE_CHROMIUM, "chrome", ".var/app/com.google.Chrome/config/google-chrome" },
	{ L_LINUX, PROFILE_CHROMIUM, "chromium", ".config/chromium" },
	{ L_LINUX, PROFILE_CHROMIUM, "chromium", "snap/chromium/common/chromium" },
	{ L_LINUX, PROFILE_CHROMIUM, "chromium", ".var/app/org.chromium.Chromium/config/chromium" },
	{ L_LINUX, PROFILE_CHROMIUM, "edge", ".config/microsoft-edge" },
	{ L_LINUX, PROFILE_CHROMIUM, "edge", ".config/microsoft-edge-beta" },
	{ L_LINUX, PROFILE_CHROMIUM, "edge", ".config/microsoft-edge-dev" },
	{ L_LINUX, PROFILE_CHROMIUM, "edge", ".var/app/com.microsoft.Edge/config/microsoft-edge" },
	{ L_LINUX, PROFILE_FIREFOX, "firefox", ".mozilla/firefox" },
	{ L_LINUX, PROFILE_FIREFOX, "firefox", ".config/mozilla/firefox" }, /* XDG layout */
	{ L_LINUX, PROFILE_FIREFOX, "firefox", "snap/firefox/common/.mozilla/firefox" },
	{ L_LINUX, PROFILE_FIREFOX, "firefox", ".var/app/org.mozilla.firefox/.mozilla/firefox" },
	{ L_LINUX, PROFILE_NSSDB, "nss", ".pki/nssdb" },
	{ L_LINUX, PROFILE_NSSDB, "nss", "snap/chromium/current/.pki/nssdb" },
	/* Windows */
	{ L_USERS, PROFILE_CHROMIUM, "chrome", "AppData/Local/Google/Chrome/User Data" },
	{ L_USERS, PROFILE_CHROMIUM, "chrome", "AppData/Local/Google/Chrome Beta/User Data" },
	{ L_USERS, PROFILE_CHROMIUM, "chrome", "AppData/Local/Google/Chrome Dev/User Data" },
	{ L_USERS, PROFILE_CHROMIUM, "chrome", "AppData/Local/Google/Chrome SxS/User Data" },
	{ L_USERS, PROFILE_CHROMIUM, "chromium", "AppData/Local/Chromium/User Data" },
	{ L_USERS, PROFILE_CHROMIUM, "edge", "AppData/Local/Microsoft/Edge/User Data" },
	{ L_USERS, PROFILE_CHROMIUM, "edge", "AppData/Local/Microsoft/Edge Beta/User Data" },
	{ L_USERS, PROFILE_CHROMIUM, "edge", "AppData/Local/Microsoft/Edge Dev/User Data" },
	{ L_USERS, PROFILE_CHROMIUM, "edge", "AppData/Local/Microsoft/Edge SxS/User Data" },
	{ L_USERS, PROFILE_FIREFOX, "firefox", "AppData/Roaming/Mozilla/Firefox/Profiles" },
	/* macOS */
	{ L_USERS, PROFILE_CHROMIUM, "chrome", "Library/Application Support/Google/Chrome" },
	{ L_USERS, PROFILE_CHROMIUM, "chrome", "Library/Application Support/Google/Chrome Beta" },
	{ L_USERS, PROFILE_CHROMIUM, "chrome", "Library/Application Support/Google/Chrome Dev" },
	{ L_USERS, PROFILE_CHROMIUM, "chrome", "Library/Application Support/Google/Chrome Canary" },
	{ L_USERS, PROFILE_CHROMIUM, "chromium", "Library/Application Support/Chromium" },
	{ L_USERS, PROFILE_CHROMIUM, "edge", "Library/Application Support/Microsoft Edge" },
	{ L_USERS, PROFILE_CHROMIUM, "edge", "Library/Application Support/Microsoft Edge Beta" },
	{ L_USERS, PROFILE_CHROMIUM, "edge", "Library/Application Support/Microsoft Edge Dev" },
	{ L_USERS, PROFILE_CHROMIUM, "edge", "Library/Application Support/Microsoft Edge Canary" },
	{ L_USERS, PROFILE_FIREFOX, "firefox", "Library/Application Support/Firefox/Profiles" },
};

static const char *const chromium_markers[] = { "Preferences", "Secure Preferences", "Extensions" };
static const char *const firefox_markers[] = { "extensions.json", "addons.json", "prefs.js",
					       "cert9.db", "cert8.db" };
static const char *const nss_markers[] = { "cert9.db", "cert8.db" };

struct walk {
	struct source_ctx *ctx;
	unsigned families;
	profile_fn fn;
	void *ud;
	bool found;
};

static bool has_marker(const struct root *r, const char *dir, const char *const *m, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *p = path_join(dir, m[i]);
		struct stat st;
		if (p && root_lstat(r, p, &st) == 0)
			return true;
	}
	return false;
}

static int call(struct walk *w, const struct bdir *bd, const char *user, const char *name,
		const char *dir)
{
	struct profile p = {
		.family = bd->family, .browser = bd->browser, .user = user, .name = name, .dir = dir,
	};
	return w->fn(w->ctx, &p, w->ud);
}

struct profile_list {
	struct walk *w;
	const struct bdir *bd;
	const char *user, *dir;
	unsigned n;
};

static int profile_entry(void *userdata, const char *path, const char *name)
{
	struct profile_list *l = userdata;
	if (l->n > EXCISE_MAX_BROWSER_PROFILES)
		return 0; /* the rest not read */
	const struct root *r = source_root(l->w->ctx);
	bool chromium = l->bd->family == PROFILE_CHROMIUM;
	struct stat st;
	if (root_lstat(r, path, &st) < 0)
		return 0;
	if (S_ISLNK(st.st_mode)) {
		/* Chromium's lock links are expected; a linked profile is not read. */
		if (!(chromium && strncmp(name, "Singleton", 9) == 0))
			source_item_error(l->w->ctx, EXCISE_E_SYMLINK,
					  "'%s': a symlink where a profile folder may be, not followed", path);
		return 0;
	}
	if (!S_ISDIR(st.st_mode))
		return 0;
	bool is = chromium ? has_marker(r, path, chromium_markers, ARRAY_SIZE(chromium_markers))
			   : has_marker(r, path, firefox_markers, ARRAY_SIZE(firefox_markers));
	if (!is)
		return 0;
	if (++l->n > EXCISE_MAX_BROWSER_PROFILES) {
		source_item_error(l->w->ctx, EXCISE_E_LIMIT, "'%s': more than %u profiles, the rest not read", l->dir,
				  EXCISE_MAX_BROWSER_PROFILES);
		return 0;
	}
	return call(l->w, l->bd, l->user, name, path);
}

/* The profiles inside one user-data (or Firefox Profiles) folder. */
static int list_profiles(struct walk *w, const struct bdir *bd, const char *user, const char *dir)
{
	static const struct dirlist all = { 0 };
	struct profile_list l = { .w = w, .bd = bd, .user = user, .dir = dir };
	int k = source_list(w->ctx, dir, &all, 0, profile_entry, &l);
	w->found |= k == 0;
	return k < 0 ? k : 0;
}

static int one_user(struct walk *w, enum layout layout, const char *user, const char *home)
{
	const struct root *r = source_root(w->ctx);
	int k = 0;
	for (size_t i = 0; k >= 0 && i < ARRAY_SIZE(bdirs); i++) {
		const struct bdir *bd = &bdirs[i];
		if (bd->layout != layout || !(bd->family & w->families))
			continue;
		_cleanup_free_ char *p = path_join(home, bd->rel);
		if (!p)
			return -ENOMEM;
		_cleanup_free_ char *real = NULL;
		if (layout == L_USERS) {
			k = root_resolve_nocase(r, p, &real);
			if (k == -ENOMEM)
				return k;
			k = 0;
		}
		const char *dir = real ? real : p;
		if (bd->family != PROFILE_NSSDB) {
			k = list_profiles(w, bd, user, dir);
			continue;
		}
		struct stat st;
		if (root_stat(r, dir, &st) < 0 || !S_ISDIR(st.st_mode))
			continue;
		w->found = true;
		if (has_marker(r, dir, nss_markers, ARRAY_SIZE(nss_markers)))
			k = call(w, bd, user, "nssdb", dir);
	}
	return k;
}

static int on_user(struct source_ctx *ctx, const struct user_home *u, void *ud)
{
	(void)ctx;
	return one_user(ud, u->layout == USER_LINUX ? L_LINUX : L_USERS, u->name, u->home);
}

int profiles_foreach(struct source_ctx *ctx, unsigned families, profile_fn fn, void *ud,
		     bool *found)
{
	struct walk w = { .ctx = ctx, .families = families, .fn = fn, .ud = ud };
	int k = source_each_user(ctx, USER_LINUX | USER_USERS, on_user, &w);
	*found = w.found;
	return k;
}
