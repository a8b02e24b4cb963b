/* SPDX-License-Identifier: Apache-2.0 */
/*
 * host_macos: host facts of a macOS root. OS = "<ProductName> <ProductVersion>"
 * from /System/Library/CoreServices/SystemVersion.plist ("macOS 14.4.1"), os_id
 * "macos"; the hostname, when none is known yet, from System > System >
 * ComputerName in /Library/Preferences/SystemConfiguration/preferences.plist.
 * Facts that are absent or malformed stay as they were (the report shows null).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/text.h"
#include "parse/plist.h"
#include "scan/scan_int.h"

#define SYSTEM_VERSION "/System/Library/CoreServices/SystemVersion.plist"
#define SC_PREFERENCES "/Library/Preferences/SystemConfiguration/preferences.plist"

static bool usable(const char *s)
{
	return s && s[0] && utf8_valid(s, strlen(s));
}

int host_read_macos(const struct root *r, struct excise_host *h)
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
	return 0;
}
