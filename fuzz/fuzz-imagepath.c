/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target for the ImagePath split (lib/parse/imagepath.c) and what the
 * winsystem source does with each candidate: the %variables% expanded
 * (hive_expand) and the Windows path made a root path (win_root_path). Input: an
 * ImagePath value's bytes (the hive gives a NUL-terminated string: the input is
 * cut at its first NUL), capped at 64 KiB. The candidates must lie inside the
 * value, in increasing length, at most EXCISE_MAX_IMAGE_PATH_CUTS + 1, an unquoted
 * one ending before a space or at the end, and the fallback one of them or the whole.
 */
#include <stdlib.h>
#include <stdbool.h>
#include <string.h>

#include "fuzz.h"
#include "parse/hive.h"
#include "parse/imagepath.h"
#include "parse/win.h"

#define FUZZ_MAX_INPUT (64u << 10)

static void root_path(const char *s, size_t n)
{
	char *cut = strndup(s, n), *exp = NULL;
	if (!cut)
		return;
	if (hive_expand(cut, &exp) == 0) {
		char *p = win_root_path(exp);
		if (p && p[0] != '/')
			__builtin_trap();
		free(p);
		free(exp);
	}
	free(cut);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > FUZZ_MAX_INPUT)
		return 0;
	char *v = malloc(size + 1); /* not strndup: the input has no NUL to stop strlen */
	if (!v)
		return 0;
	memcpy(v, data, size);
	v[size] = 0;
	size_t len = strlen(v);
	struct imagepath ip;
	imagepath_split(v, len, &ip);
	const char *end = v + len;
	if (ip.start < v || ip.start > end || ip.n < 1 || ip.n > EXCISE_MAX_IMAGE_PATH_CUTS + 1 ||
	    (ip.quoted && ip.n != 1))
		__builtin_trap();
	bool fallback_seen = false;
	for (size_t i = 0; i < ip.n; i++) {
		size_t n = ip.len[i];
		if (n > (size_t)(end - ip.start) || (i && n <= ip.len[i - 1]))
			__builtin_trap();
		if (!ip.quoted && i + 1 < ip.n && ip.start[n] != ' ')
			__builtin_trap();
		if (n == ip.fallback)
			fallback_seen = true;
		root_path(ip.start, n);
	}
	if (!fallback_seen)
		__builtin_trap();
	free(v);
	return 0;
}
