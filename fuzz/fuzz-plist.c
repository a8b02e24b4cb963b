/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target for lib/parse/plist (libplist behind excise's pre-checks).
 * Input: any bytes, handed to pl_parse (which picks the binary or the XML
 * parser by the header), then to the other parser's pre-check, then every
 * getter over the keys the macOS sources read, so ASan sees any string that
 * is not NUL-terminated or any read past the input.
 */
#include <string.h>

#include "core/limits.h"
#include "fuzz.h"
#include "parse/plist.h"

static const char *const keys[] = {
	"CFBundleIdentifier", "CFBundleShortVersionString", "CFBundleVersion", "CFBundleName",
	"Label", "Program", "ProgramArguments", "Disabled", "PackageIdentifier", "InstallDate",
	"ProductName", "System", "extensions",
};

static size_t touch(const char *s)
{
	return s ? strlen(s) : 0;
}

static void getters(plist_t p)
{
	size_t sum = 0;
	struct excise_err err;
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		const char *s = NULL;
		if (pl_dict_string(p, keys[i], "f", &s, &err) == 0)
			sum += touch(s);
		bool b;
		(void)!pl_dict_bool(p, keys[i], "f", &b, &err);
		int64_t t;
		(void)!pl_dict_date(p, keys[i], "f", &t, &err);
		const char **v = NULL;
		size_t n = 0;
		if (pl_dict_strings(p, keys[i], "f", &v, &n, &err) == 0) {
			if (n > EXCISE_MAX_PLIST_ARRAY_ITEMS)
				__builtin_trap();
			for (size_t j = 0; j < n; j++)
				sum += touch(v[j]);
			free(v);
		}
		plist_t a;
		uint32_t na;
		if (pl_dict_array(p, keys[i], "f", &a, &na, &err) == 0)
			for (uint32_t j = 0; j < na; j++)
				if (pl_dict_string(plist_array_get_item(a, j), "identifier", "f", &s,
						   &err) == 0)
					sum += touch(s);
	}
	const char *path[] = { "System", "System", "ComputerName" };
	const char *s = NULL;
	if (pl_dict_path_string(p, path, 3, "f", &s, &err) == 0)
		sum += touch(s);
	(void)sum;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct excise_err err = { 0 };
	plist_t p = NULL;
	int r = pl_parse(data, size, "f", &p, &err);
	if (r < 0 && (!err.msg[0] || p))
		__builtin_trap();
	if (r == 0) {
		if (!p)
			__builtin_trap();
		getters(p);
		plist_free(p);
	}
	/* The other pre-check over the same bytes must not misbehave either. */
	if (size <= EXCISE_MAX_PLIST_SIZE) {
		(void)!pl_check_binary(data, size, "f", &err);
		(void)!pl_check_xml((const char *)data, size, "f", &err);
	}
	return 0;
}
