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

/* One artifact of a finding: its evidence (one per matching indicator), strongest
 * first (confidence, then field, value and indicator id), each (field, value,
 * indicator) once. All share the artifact number, source, kind and path; the
 * first one stands for the artifact (its version, state, activity and attrs). */
struct report_artifact {
	const struct excise_evidence **m;
	size_t n;
};

/* The evidence of a finding grouped into artifacts, ordered as the engine orders
 * evidence (by the strongest match: confidence, source, path, value). Evidence
 * numbered 0 (no artifact known) stands alone. */
struct report_artifacts {
	struct report_artifact *a;
	size_t n;
	const struct excise_evidence **all; /* the storage a[].m point into */
};

/* Returns 0 or -ENOMEM; free with report_artifacts_done (also after a failure). */
int report_artifacts(const struct excise_finding *f, struct report_artifacts *ret);
void report_artifacts_done(struct report_artifacts *a);

/* The confidence word of the artifact: its strongest match's. */
static inline enum excise_confidence report_artifact_confidence(const struct report_artifact *a)
{
	return a->m[0]->confidence;
}

#endif
