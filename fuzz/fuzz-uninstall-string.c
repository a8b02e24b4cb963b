/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target for what the planner reads out of a Windows Uninstall entry
 * (lib/remove/msicode.c, used by plan.c): the MSI product code from the entry's key
 * name (InstallWIX_{GUID}) or its UninstallString (MsiExec.exe /X{GUID}), the {GUID}
 * form itself, and the hive and key path the entry's name leads to. Input: the key
 * name, a NUL byte, the UninstallString (no NUL: the whole input is both).
 * A code found is 38 characters of the {GUID} form, upper-case, and is in the input;
 * a hive path is one of the two forms, with no '/' in the user's name.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fuzz.h"
#include "parse/win.h"
#include "remove/msicode.h"

#define FUZZ_MAX_INPUT (64u << 10)

static void check_code(const char *code, const char *key, const char *us)
{
	static const char form[] = "{xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx}";
	if (strlen(code) != 38)
		__builtin_trap();
	for (size_t i = 0; form[i]; i++)
		if (form[i] == 'x' ? !isxdigit((unsigned char)code[i]) || islower((unsigned char)code[i])
				   : code[i] != form[i])
			__builtin_trap();
	if (!(key && strcasestr(key, code)) && !(us && strcasestr(us, code)))
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > FUZZ_MAX_INPUT)
		return 0;
	char *in = malloc(size + 1);
	if (!in)
		return 0;
	memcpy(in, data, size);
	in[size] = 0;
	const char *key = in, *us = strlen(in) < size ? in + strlen(in) + 1 : in;

	char code[39];
	if (msicode_guid(key, code))
		check_code(code, key, NULL);
	if (msicode_of(key, us, code))
		check_code(code, key, us);
	if (msicode_of(NULL, us, code))
		check_code(code, NULL, us);
	if (msicode_of(key, NULL, code))
		check_code(code, key, NULL);

	char *hive = NULL;
	const char *sub = NULL;
	int r = msicode_uninstall_key(key, &hive, &sub);
	if (r == 0) {
		size_t n = hive ? strlen(hive) : 0;
		bool sw = hive && strcmp(hive, WIN_SOFTWARE_HIVE) == 0;
		bool user = n > 18 && !strncmp(hive, "/Users/", 7) && !strcmp(hive + n - 11, "/NTUSER.DAT") &&
			    !memchr(hive + 7, '/', n - 18);
		if ((!sw && !user) || !sub || sub < key || sub > key + strlen(key) || !strcasestr(sub, "Uninstall"))
			__builtin_trap();
	} else if (r != 1 || hive || sub) {
		__builtin_trap();
	}
	free(hive);
	free(in);
	return 0;
}
