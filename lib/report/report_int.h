/* SPDX-License-Identifier: Apache-2.0 */
/* Helpers shared by the report writers. */
#ifndef EXCISE_REPORT_INT_H
#define EXCISE_REPORT_INT_H

#include <stdint.h>

#include "core/buf.h"
#include "excise/scan.h"

/* `s` as valid UTF-8 (invalid bytes become U+FFFD); caller frees; NULL on OOM.
 * *ret_lossy is set when bytes were replaced. NULL in gives NULL out. */
char *report_utf8(const char *s, bool *ret_lossy);

/* Lowercase hex of the bytes of `s`; caller frees; NULL on OOM. */
char *report_hex(const char *s);

/* Directive short names joined with `sep`; caller frees. */
char *report_directives(const struct excise_finding *f, const char *sep);

/* The evidence's attributes as one compact JSON object ("{}" when none); caller frees. */
char *report_attrs(const struct excise_evidence *e);

#endif
