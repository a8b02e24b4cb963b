/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target for the key-file parsers. Input: any bytes, capped at 256 KiB,
 * parsed twice: as a systemd unit file (keyfile_parse_ini) and as a shell-style
 * KEY=VALUE file such as /etc/os-release (keyfile_parse_env). Every delivered
 * string is read whole, so ASan sees any string not NUL-terminated inside its
 * buffer; an error must come with a message naming a line.
 */
#include <string.h>

#include "fuzz.h"
#include "parse/keyfile.h"

#define FUZZ_MAX_INPUT (256u << 10)

static int on_entry(void *ud, const char *section, const char *key, const char *value)
{
	size_t *sum = ud;
	if (!key[0])
		__builtin_trap();
	*sum += strlen(section) + strlen(key) + strlen(value);
	return 0;
}

static void check(int r, const struct excise_err *err)
{
	if (r < 0 && (!err->msg[0] || err->code != r))
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > FUZZ_MAX_INPUT)
		return 0;
	size_t sum = 0;
	struct excise_err err = { 0 };
	int r = keyfile_parse_ini((const char *)data, size, "unit", on_entry, &sum, &err);
	check(r, &err);
	err = (struct excise_err){ 0 };
	r = keyfile_parse_env((const char *)data, size, "os-release", on_entry, &sum, &err);
	check(r, &err);
	return 0;
}
