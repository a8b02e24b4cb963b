/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target for the quarantine manifest reader (lib/remove/quarantine.c), which
 * `excise restore` trusts to put files back. Input: any bytes, capped at 1 MiB,
 * read as manifest.jsonl. An error must come with a message and its code.
 */
#include "core/limits.h"
#include "fuzz.h"
#include "remove/quarantine.h"

#define FUZZ_MAX_INPUT (1u << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > FUZZ_MAX_INPUT)
		return 0;
	struct excise_err err = { 0 };
	size_t n = 0;
	int r = quarantine_parse_manifest("fuzz", (const char *)data, size, &n, &err);
	if (r < 0 && (!err.msg[0] || err.code != r))
		__builtin_trap();
	if (r == 0 && n > EXCISE_MAX_QUARANTINE_OBJECTS)
		__builtin_trap();
	return 0;
}
