/* SPDX-License-Identifier: Apache-2.0 */
/*
 * host_macos: host facts of a macOS root. OS = "<ProductName> <ProductVersion>"
 * from /System/Library/CoreServices/SystemVersion.plist ("macOS 14.4.1"), os_id
 * "macos"; the hostname, when none is known yet, from System > System >
 * ComputerName in /Library/Preferences/SystemConfiguration/preferences.plist.
 * Facts that are absent or malformed stay as they were (the report shows null).
 *
 * The machine id: an offline volume does not hold the hardware UUID (IOPlatformUUID,
 * gethostuuid(2)) in one file, but CoreFoundation names every per-host ("ByHost")
 * preference file of a user after it, ~/Library/Preferences/ByHost/<domain>.<UUID>.plist
 * (on Macs whose UUID is the "compatible" 00000000-0000-1000-8000-<MAC>, after the MAC
 * alone, 12 lower-case hex digits: the UUID is rebuilt from it). Sources in
 * docs/agent.md. Every user folder in /Users, and root's /private/var/root, is looked
 * at (names only, regular files only, no symlinked user folder; folders bounded by
 * EXCISE_MAX_USERS, names by EXCISE_MAX_DIR_ENTRIES a folder). One UUID is the machine
 * id, in upper case as System Information shows it. None, or two that disagree (a home
 * folder carried over from another Mac), leave it unknown with a note: never a guess.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/stat.h>

#include "core/dirlist.h"
#include "core/limits.h"
#include "core/text.h"
#include "parse/plist.h"
#include "scan/scan_int.h"

#define SYSTEM_VERSION "/System/Library/CoreServices/SystemVersion.plist"
#define SC_PREFERENCES "/Library/Preferences/SystemConfiguration/preferences.plist"

static bool usable(const char *s)
{
	return s && s[0] && utf8_valid(s, strlen(s));
}

#define BYHOST "Library/Preferences/ByHost"
#define COMPAT_PREFIX "00000000-0000-1000-8000-"

/* The hardware UUID a ByHost file name carries, "<domain>.<UUID>.plist" or
 * "<domain>.<12 lower-case hex>.plist" (the compatible form), into out. */
static bool byhost_uuid(const char *name, char out[HOST_GUID_LEN + 1])
{
	size_t n = strlen(name), sfx = sizeof(".plist") - 1;
	if (n <= sfx || strcmp(name + n - sfx, ".plist") != 0)
		return false;
	n -= sfx;
	char id[HOST_GUID_LEN + 1];
	if (n > HOST_GUID_LEN + 1 && name[n - HOST_GUID_LEN - 1] == '.') {
		memcpy(id, name + n - HOST_GUID_LEN, HOST_GUID_LEN);
		id[HOST_GUID_LEN] = 0;
		if (host_guid(id, true, out))
			return strcmp(out, "00000000-0000-0000-0000-000000000000") != 0;
	}
	if (n > 13 && name[n - 13] == '.') {
		const char *mac = name + n - 12;
		for (size_t i = 0; i < 12; i++)
			if (!((mac[i] >= '0' && mac[i] <= '9') || (mac[i] >= 'a' && mac[i] <= 'f')))
				return false;
		snprintf(id, sizeof(id), COMPAT_PREFIX "%.12s", mac);
		return host_guid(id, true, out);
	}
	return false;
}

struct byhost {
	const struct root *r;
	struct host_notes *notes;
	char id[2][HOST_GUID_LEN + 1]; /* the first two different UUIDs seen */
	char *at[2];                   /* the ByHost folder each was first seen in */
	unsigned n;
	const char *dir;               /* the folder being listed */
};

static void byhost_error(void *ud, int code, const char *msg)
{
	struct byhost *b = ud;
	(void)code;
	(void)host_note(b->notes, "%s (looking for the machine id)", msg);
}

static bool byhost_name(const char *name)
{
	char id[HOST_GUID_LEN + 1];
	return byhost_uuid(name, id);
}

static int byhost_file(void *ud, const char *path, const char *name)
{
	struct byhost *b = ud;
	char id[HOST_GUID_LEN + 1];
	struct stat st;
	if (b->n == 2 || !byhost_uuid(name, id) || root_lstat(b->r, path, &st) < 0 || !S_ISREG(st.st_mode))
		return 0;
	if (b->n && strcmp(b->id[0], id) == 0)
		return 0;
	memcpy(b->id[b->n], id, sizeof(id));
	if (!(b->at[b->n] = strdup(b->dir)))
		return -ENOMEM;
	b->n++;
	return 0;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The ByHost folder of the home `home` (a real directory, not a symlink). */
static int byhost_home(struct byhost *b, const char *home)
{
	static const struct dirlist files = { .match = byhost_name, .compar = cmp_names, .what = "ByHost preferences",
					      .dotfiles = true, .error = byhost_error };
	struct stat st;
	if (b->n == 2 || root_lstat(b->r, home, &st) < 0 || !S_ISDIR(st.st_mode))
		return 0;
	_cleanup_free_ char *want = path_join(home, BYHOST), *dir = NULL;
	if (!want)
		return -ENOMEM;
	int e = root_resolve_nocase(b->r, want, &dir);
	if (e < 0)
		return e == -ENOMEM ? e : 0;
	b->dir = dir;
	e = dirlist_each(b->r, dir, &files, byhost_file, b);
	b->dir = NULL;
	return e == -ENOMEM ? e : 0;
}

static int byhost_user(void *ud, const char *path, const char *name)
{
	(void)name;
	return byhost_home(ud, path);
}

static int machine_id(const struct root *r, struct excise_host *h, struct host_notes *notes)
{
	static const struct dirlist users = { .compar = cmp_names, .max = EXCISE_MAX_USERS, .what = "user folders",
					      .error = byhost_error };
	struct byhost b = { .r = r, .notes = notes };
	_cleanup_free_ char *dir = NULL;
	int e = root_resolve_nocase(r, "/Users", &dir);
	if (e == 0)
		e = dirlist_each(r, dir, &users, byhost_user, &b);
	if (e != -ENOMEM)
		e = byhost_home(&b, "/private/var/root");
	if (e == -ENOMEM) {
	} else if (b.n == 1) {
		e = (h->machine_id = strdup(b.id[0])) ? 0 : -ENOMEM;
	} else if (b.n == 2) {
		e = host_note(notes, "the ByHost preferences name different hardware UUIDs (%s in '%s', %s in '%s'): "
			      "the machine id is not guessed", b.id[0], b.at[0], b.id[1], b.at[1]);
	} else {
		e = host_note(notes, "no ByHost preferences (/Users/*/" BYHOST "/*.<UUID>.plist) name the hardware "
			      "UUID: the machine id is unknown");
	}
	free(b.at[0]);
	free(b.at[1]);
	return e;
}

int host_read_macos(const struct root *r, struct excise_host *h, struct host_notes *notes)
{
	struct excise_err err;
	plist_t pl = NULL;
	if (!h->os && pl_read_dict(r, SYSTEM_VERSION, &pl, &err) == 0) {
		const char *name = NULL, *version = NULL;
		(void)!pl_dict_string(pl, "ProductName", SYSTEM_VERSION, &name, &err);
		(void)!pl_dict_string(pl, "ProductVersion", SYSTEM_VERSION, &version, &err);
		if (usable(name)) {
			size_t n = strlen(name) + (usable(version) ? strlen(version) + 1 : 0) + 1;
			h->os = malloc(n);
			if (!h->os) {
				plist_free(pl);
				return -ENOMEM;
			}
			snprintf(h->os, n, "%s%s%s", name, usable(version) ? " " : "",
				 usable(version) ? version : "");
		}
		plist_free(pl);
		if (!h->os_id && !(h->os_id = strdup("macos")))
			return -ENOMEM;
	}
	if ((!h->hostname || !h->hostname[0]) && pl_read_dict(r, SC_PREFERENCES, &pl, &err) == 0) {
		static const char *const keys[] = { "System", "System", "ComputerName" };
		const char *name = NULL;
		int k = pl_dict_path_string(pl, keys, ARRAY_SIZE(keys), SC_PREFERENCES, &name, &err);
		bool take = k == 0 && usable(name);
		if (take) {
			free(h->hostname);
			h->hostname = strdup(name);
		}
		plist_free(pl);
		if (take && !h->hostname)
			return -ENOMEM;
	}
	return h->machine_id ? 0 : machine_id(r, h, notes);
}
