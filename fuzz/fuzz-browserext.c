/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target for the browser-extension JSON readers. Input: the bytes of a
 * manifest.json, Preferences, extensions.json or messages.json, capped at
 * 1 MiB; every reader is run over it. Each delivered string is read whole, so
 * ASan sees any string that is not NUL-terminated.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "parse/browserext.h"

#define FUZZ_MAX_INPUT (1u << 20)

static size_t touch(const char *s)
{
	return s ? strlen(s) : 0;
}

static int on_ext(void *ud, const struct bext *e)
{
	size_t *sum = ud;
	*sum += touch(e->id) + touch(e->name) + touch(e->version) + touch(e->default_locale) +
		touch(e->path) + touch(e->type) + touch(e->location);
	if (e->enabled < -1 || e->enabled > 1 || e->from_webstore < -1 || e->from_webstore > 1)
		__builtin_trap();
	if (e->id && !e->id[0])
		__builtin_trap();
	const char *k;
	size_t kl;
	if (bext_msg_ref(e->name, &k, &kl) && k + kl > e->name + strlen(e->name))
		__builtin_trap();
	return 0;
}

static void check_err(int r, const struct excise_err *err)
{
	if (r < 0 && !err->msg[0])
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > FUZZ_MAX_INPUT)
		return 0;
	size_t sum = 0;
	struct excise_err err;
	check_err(bext_parse_manifest("manifest.json", data, size, on_ext, &sum, &err), &err);
	check_err(bext_parse_chromium_prefs("Preferences", data, size, on_ext, &sum, &err), &err);
	check_err(bext_parse_firefox("extensions.json", data, size, on_ext, &sum, &err), &err);
	char *m = NULL;
	int r = bext_parse_messages("messages.json", data, size, "appName", &m, &err);
	check_err(r, &err);
	if (r < 0 && m)
		__builtin_trap();
	sum += touch(m);
	free(m);
	return 0;
}
