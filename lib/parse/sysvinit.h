/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sysvinit: what a SysV init script (/etc/init.d/<name>) says about itself,
 * read from its text without running it.
 *
 * Lines are split at '\n' (a missing final newline is tolerated). The
 * description is the value of the first LSB header line "# Short-Description:
 * value" (the key compared ignoring ASCII case, blanks after '#' and after the
 * colon skipped, the value ending at a NUL byte if any, trailing blanks and '\r'
 * stripped, an empty value ignored),
 * else of the first "# Description:" line. The daemon is the value of the first
 * line whose first non-blank bytes are "DAEMON=" followed by at least one byte,
 * read as one shell assignment (keyfile_parse_env); a line that is not one is
 * ignored, and an empty value does not count. Any other line, and any byte, is
 * allowed: an image's script is data.
 */
#ifndef EXCISE_PARSE_SYSVINIT_H
#define EXCISE_PARSE_SYSVINIT_H

#include <stddef.h>

#include "core/macro.h"

struct sysvinit_info {
	char *description; /* NULL when the script has no header line for it */
	char *daemon;      /* NULL when no DAEMON= line gives one */
};

/* Fill `si` (zeroed by the caller) from `len` bytes at `data`: 0 or -ENOMEM (then
 * `si` may hold what was found already: free it with sysvinit_info_done). */
NODISCARD int sysvinit_scan(const char *data, size_t len, struct sysvinit_info *si);

void sysvinit_info_done(struct sysvinit_info *si);

#endif
