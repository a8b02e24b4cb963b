/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target for the operator's facts of `excise report --config`
 * (excise_freport_config_read, lib/fleet/freport.c over core/doc): any bytes as that
 * file, capped at 2 MiB (past the reader's own limit). Besides the sanitizers: a
 * refusal has a message and its code and returns no config; one that reads gives a
 * stale period of 0 (not set) or 1 to 3650 days.
 */
#include "excise/fleet.h"
#include "fuzz.h"
#include "hostfile.h"

#define FUZZ_MAX_INPUT (2u << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > FUZZ_MAX_INPUT)
		return 0;
	const char *path = fuzz_hostfile(data, size);
	if (!path)
		return 0;
	struct excise_freport_config *c = NULL;
	struct excise_err err = { 0 };
	int r = excise_freport_config_read(path, &c, &err);
	if (r < 0) {
		if (!err.msg[0] || err.code != r || c)
			__builtin_trap();
		return 0;
	}
	int64_t stale = excise_freport_config_stale(c);
	if (!c || (stale != 0 && (stale < 86400 || stale > 3650 * 86400)))
		__builtin_trap();
	excise_freport_config_free(c);
	return 0;
}
