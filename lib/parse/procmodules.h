/* SPDX-License-Identifier: Apache-2.0 */
/*
 * procmodules: the kernel's list of loaded modules, /proc/modules (of a live
 * host, or a file of that name in a root), one module a line:
 *     name size refcount deps state address
 * fields separated by one or more spaces. Lines are split at '\n' (a missing
 * final newline is tolerated). A line gives a module when its first field is
 * not empty and holds no NUL byte: its name is that field, its state the fifth
 * field, or "Live" when the line has fewer than five (older kernels). Any other
 * non-empty line (only spaces, a NUL in the name) is malformed; an empty line
 * is skipped. Nothing is copied: the callback's strings point into the data and
 * are not NUL-terminated.
 */
#ifndef EXCISE_PARSE_PROCMODULES_H
#define EXCISE_PARSE_PROCMODULES_H

#include <stddef.h>

#include "core/macro.h"

struct procmodules_line {
	size_t line;        /* 1-based */
	const char *name;   /* NULL for a malformed line */
	size_t name_len;
	const char *state;  /* the fifth field, or "Live" */
	size_t state_len;
};

/* Called for each module line and each malformed line; a return < 0 stops the parse. */
typedef int (*procmodules_fn)(void *ud, const struct procmodules_line *l);

/* 0, or the callback's error. */
NODISCARD int procmodules_parse(const char *data, size_t len, procmodules_fn fn, void *ud);

#endif
