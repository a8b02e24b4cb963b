/* SPDX-License-Identifier: Apache-2.0 */
/* msicode: product codes and hive places from an Uninstall entry's strings (see msicode.h). */
#include "remove/msicode.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "parse/win.h"

bool msicode_guid(const char *s, char code[39])
{
	static const char form[] = "{xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx}";
	for (size_t i = 0; form[i]; i++) {
		bool hex = (s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f') || (s[i] >= 'A' && s[i] <= 'F');
		if (form[i] == 'x' ? !hex : s[i] != form[i])
			return false;
		code[i] = s[i] >= 'a' && s[i] <= 'f' ? (char)(s[i] - 'a' + 'A') : s[i];
	}
	code[38] = 0;
	return true;
}

bool msicode_of(const char *key, const char *us, char code[39])
{
	const char *name = key ? strrchr(key, '\\') : NULL;
	if (name && !strncasecmp(name + 1, "InstallWIX_", 11) && strlen(name + 12) == 38 && msicode_guid(name + 12, code))
		return true;
	if (!us)
		return false;
	const char *p = us + strspn(us, " \t\"");
	const char *exe = strcasestr(p, "msiexec");
	/* msiexec itself, by name or by path, not a program whose arguments mention it */
	if (!exe || (exe != p && exe[-1] != '\\') || (strncasecmp(exe + 7, ".exe", 4) && exe[7] != ' ' && exe[7] != '"'))
		return false;
	for (const char *a = exe + 7; (a = strpbrk(a, "/-")); a++)
		if ((a[1] == 'x' || a[1] == 'X' || a[1] == 'i' || a[1] == 'I') &&
		    msicode_guid(a + 2 + strspn(a + 2, " \""), code))
			return true;
	return false;
}

int msicode_uninstall_key(const char *key, char **hive_path, const char **sub)
{
	*hive_path = NULL;
	*sub = NULL;
	const char *c = key ? strrchr(key, '\\') : NULL;
	if (!c || c - key < 10 || strncasecmp(c - 10, "\\Uninstall", 10))
		return 1;
	const char *s = NULL;
	if (!strncasecmp(key, "HKLM\\SOFTWARE\\", 14)) {
		if (!(*hive_path = strdup(WIN_SOFTWARE_HIVE)))
			return -ENOMEM;
		s = key + 14;
	} else if (!strncasecmp(key, "HKU\\", 4) && (s = strchr(key + 4, '\\')) && s > key + 4 &&
		   !memchr(key + 4, '/', (size_t)(s - key - 4))) {
		if (asprintf(hive_path, "/Users/%.*s/NTUSER.DAT", (int)(s - key - 4), key + 4) < 0) {
			*hive_path = NULL;
			return -ENOMEM;
		}
	} else {
		return 1;
	}
	/* the entry's parent "Uninstall" is inside the hive, not the user's name (HKU\Uninstall\X):
	 * its backslash is the one before the path in the hive, or after it */
	const char *sep = *s == '\\' ? s : s - 1;
	if (c - 10 < sep) {
		free(*hive_path);
		*hive_path = NULL;
		return 1;
	}
	*sub = s + (*s == '\\');
	return 0;
}
