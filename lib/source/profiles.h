/* SPDX-License-Identifier: Apache-2.0 */
/*
 * profiles: the browser profiles of every user folder in a root, for the
 * sources that read them (browser-extensions, nss-certs).
 *
 * Users are the folders home/<u>/ and root/ (Linux layout) and Users/<u>/
 * (Windows and macOS layouts; looked up ASCII-case-insensitively). Under each
 * the known user-data folders of Chrome, Chromium, Edge and Firefox (their
 * release channels, snap and flatpak included) are listed:
 *   - a Chromium-family profile is a folder of the user-data folder holding
 *     "Preferences" or "Extensions" (Default, Profile 1, Guest Profile...);
 *   - a Firefox profile is a folder of the profiles folder holding
 *     extensions.json, prefs.js, cert9.db or cert8.db;
 *   - the user NSS database ~/.pki/nssdb (Chromium on Linux) is the profile
 *     "nssdb" of the browser "nss".
 * A profile folder that is a symlink is not followed (an item error names
 * it); other symlinks resolve inside the root. Users come from
 * source_each_user (lib/source/users.h); past EXCISE_MAX_BROWSER_PROFILES
 * profiles of one browser folder an item error is reported and the rest is
 * not read.
 */
#ifndef EXCISE_SOURCE_PROFILES_H
#define EXCISE_SOURCE_PROFILES_H

#include <stdbool.h>

#include "source/source.h"

enum profile_family {
	PROFILE_CHROMIUM = 1u << 0,
	PROFILE_FIREFOX = 1u << 1,
	PROFILE_NSSDB = 1u << 2,
};

struct profile {
	enum profile_family family;
	const char *browser;  /* "chrome", "chromium", "edge", "firefox", "nss" */
	const char *user;     /* the user folder's name */
	const char *name;     /* the profile folder's name */
	const char *dir;      /* the profile folder, root-relative */
};

/* Returns 0 to go on, < 0 to stop (passed through). */
typedef int (*profile_fn)(struct source_ctx *ctx, const struct profile *p, void *ud);

/* Call `fn` for every profile of the families in `families`. *found is set
 * when any browser folder exists. Returns 0 or < 0 (-ENOMEM, or from fn). */
NODISCARD int profiles_foreach(struct source_ctx *ctx, unsigned families, profile_fn fn, void *ud,
			       bool *found);

#endif
