/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target for the hive wrapper (lib/parse/hive.c) over libhivex. Input: the
 * bytes of a registry hive, capped at 4 MiB. Opens it from memory, walks every
 * key within the limits and decodes every value as each type the wrapper reads
 * (strings, lists, numbers, raw bytes), reading every result whole so ASan sees
 * any string that is not NUL-terminated. Each key's name and subkeys are read too,
 * each string is taken as a driver's ImagePath (win_root_path), and the input's
 * first bytes as text go through hive_expand and win_root_path.
 */
#include <string.h>

#include "excise/catalog.h"
#include "fuzz.h"
#include "parse/hive.h"
#include "parse/win.h"

#define FUZZ_MAX_INPUT (4u << 20)

static int visit(void *ud, struct hive *h, hive_node n, const char *path, unsigned depth)
{
	size_t *sum = ud;
	(void)depth;
	*sum += strlen(path);
	char **names = NULL;
	size_t nn = 0;
	if (hive_value_names(h, n, &names, &nn) < 0)
		return 0;
	for (size_t i = 0; i < nn; i++) {
		char *s = NULL, **v = NULL;
		void *b = NULL;
		size_t len = 0;
		uint64_t x = 0;
		if (hive_string(h, n, names[i], &s) == 0) {
			*sum += strlen(s);
			char *p = win_root_path(s);
			if (p && p[0] != '/')
				__builtin_trap();
			*sum += p ? strlen(p) : 0;
			free(p);
			free(s);
		}
		if (hive_multi(h, n, names[i], &v) == 0) {
			for (char **p = v; *p; p++)
				*sum += strlen(*p);
			excise_strv_free(v);
		}
		if (hive_u64(h, n, names[i], &x) == 0)
			*sum += (size_t)x;
		if (hive_binary(h, n, names[i], &b, &len) == 0) {
			*sum += len;
			free(b);
		}
		free(names[i]);
	}
	free(names);
	char *name = NULL;
	if (hive_key_name(h, n, &name) == 0) {
		*sum += strlen(name);
		free(name);
	}
	hive_node *kids = NULL;
	if (hive_children(h, n, &kids) == 0) {
		for (hive_node *k = kids; *k; k++)
			(*sum)++;
		free(kids);
	}
	hive_node c = 0;
	if (hive_lookup(h, n, "environment", &c) == 0 && !c)
		__builtin_trap();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > FUZZ_MAX_INPUT)
		return 0;
	/* The UTF-16 decoder alone, on the same bytes. */
	char *u = NULL;
	if (utf16le_to_utf8(data, size, 1u << 16, &u) == 0) {
		if (strlen(u) > (1u << 16))
			__builtin_trap();
		free(u);
	}
	/* The same bytes as the text of a REG_EXPAND_SZ value and an ImagePath. */
	char text[4096];
	size_t tl = size < sizeof(text) - 1 ? size : sizeof(text) - 1;
	memcpy(text, data, tl);
	text[tl] = 0;
	char *x = NULL;
	if (hive_expand(text, &x) == 0) {
		char *p = win_root_path(x);
		if (p && p[0] != '/')
			__builtin_trap();
		free(p);
		free(x);
	}
	struct hive *h = NULL;
	struct excise_err err;
	int r = hive_open_mem("fuzz", data, size, &h, &err);
	if (r < 0) {
		if (!err.msg[0])
			__builtin_trap();
		return 0;
	}
	size_t sum = 0;
	r = hive_walk(h, hive_root(h), "HKLM\\FUZZ", 64, visit, &sum, &err);
	if (r < 0 && r != -ENOMEM && !err.msg[0])
		__builtin_trap();
	hive_close(h);
	return 0;
}
