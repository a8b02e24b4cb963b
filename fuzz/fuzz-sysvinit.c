/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target for the init-script scan (lib/parse/sysvinit.c). Input: an
 * /etc/init.d script's bytes, capped at 256 KiB, handed over without a final NUL
 * (ASan sees any read past the script). What it finds is read whole: a
 * description is one non-empty line without blanks or '\r' at either end.
 */
#include <errno.h>
#include <string.h>

#include "fuzz.h"
#include "parse/sysvinit.h"

#define FUZZ_MAX_INPUT (256u << 10)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > FUZZ_MAX_INPUT)
		return 0;
	struct sysvinit_info si = { 0 };
	int r = sysvinit_scan((const char *)data, size, &si);
	if (r < 0 && r != -ENOMEM)
		__builtin_trap();
	const char *d = si.description;
	if (d) {
		size_t n = strlen(d);
		if (!n || strchr(d, '\n') || d[0] == ' ' || d[0] == '\t' || d[n - 1] == ' ' || d[n - 1] == '\t' ||
		    d[n - 1] == '\r')
			__builtin_trap();
	}
	if (si.daemon && !si.daemon[0])
		__builtin_trap();
	sysvinit_info_done(&si);
	return 0;
}
