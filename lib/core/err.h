/* SPDX-License-Identifier: Apache-2.0 */
/* Filling struct excise_err: the one place messages are formatted. */
#ifndef EXCISE_ERR_H
#define EXCISE_ERR_H

#include "core/macro.h"
#include "excise/error.h"

/* Fill `err` (may be NULL) with `code` and a formatted message; returns `code`,
 * so callers write `return err_set(err, -EXCISE_E_CORRUPT, "'%s': line %zu: ...", ...)`. */
int err_set(struct excise_err *err, int code, const char *fmt, ...) PRINTF(3, 4);

/* Like err_set, with ": <strerror(code)>" appended. */
int err_setc(struct excise_err *err, int code, const char *fmt, ...) PRINTF(3, 4);

#endif
