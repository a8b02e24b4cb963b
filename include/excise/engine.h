/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The findings engine: observations in, matched against a catalog, findings out.
 * It needs no root and no privilege. A scan feeds it from the local sources;
 * a report read back feeds it the report's evidence when the catalog changed;
 * importers and the collector feed it what they read.
 *
 *   e = excise_engine_new(catalog, platform, host)
 *   in = excise_engine_input(e, "dpkg")          one per input, in the order they run
 *   excise_engine_feed(e, in, &obs) ...           from any number of threads
 *   excise_engine_finish(e, &scan)               findings, grouped and sorted
 *
 * Feeding is thread-safe: matching is lock-free (the compiled catalog is
 * read-only); only recording evidence, counts and errors takes the engine's
 * lock. An observation that matches nothing is only counted, so memory follows
 * the evidence, not the number of observations. Each matching indicator gives
 * one piece of evidence, deduplicated on (indicator, path, value, input); past
 * EXCISE_MAX_EVIDENCE pieces the rest are dropped, said once as an item error
 * of the input that met the limit.
 */
#ifndef EXCISE_ENGINE_H
#define EXCISE_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "excise/catalog.h"
#include "excise/error.h"
#include "excise/obs.h"
#include "excise/scan.h"

#ifdef __cplusplus
extern "C" {
#endif

struct excise_engine;

/* An engine for the indicators of `c` that hold on `platform` ("linux", "windows",
 * "macos", or a comma-separated list of them, "linux,windows": the indicators of each,
 * findings grouped for the first; NULL: all of them). `host` (may be NULL) is copied into the finished
 * scan. `c` must outlive the engine and the scan it makes. */
EXCISE_API int excise_engine_new(const struct excise_catalog *c, const char *platform,
				 const struct excise_host *host, struct excise_engine **ret,
				 struct excise_err *reterr);
EXCISE_API struct excise_engine *excise_engine_free(struct excise_engine *e);

/* A new input named `name` (copied): a source, an importer. Its record becomes one
 * of the finished scan's sources[], in the order inputs were made; until then the
 * engine owns it. The engine keeps its counts, item errors and error; its status
 * and seconds are the caller's to set (status starts as EXCISE_SOURCE_OK).
 * Thread-safe. NULL on OOM. */
EXCISE_API struct excise_source_result *excise_engine_input(struct excise_engine *e, const char *name);

/* Match every field of `o`, seen by input `in`. Returns the number of indicators
 * it matched (0 or more), or -ENOMEM. Thread-safe. */
EXCISE_API int excise_engine_feed(struct excise_engine *e, struct excise_source_result *in,
				  const struct excise_obs *o);
/* The same for one field only; the others (path, version) are carried into the
 * evidence but not matched. For evidence read back from a report. */
EXCISE_API int excise_engine_feed_field(struct excise_engine *e, struct excise_source_result *in,
					const struct excise_obs *o, enum excise_field field);

/* Evidence matched elsewhere that this engine's catalog does not match (a report
 * read back whose catalog changed): kept as it is, its indicator NULL (so the
 * planner refuses it), in the finding of `f`'s product (f's ids and names are
 * copied; its evidence is not read). Returns 0 or -ENOMEM. Thread-safe. */
EXCISE_API int excise_engine_keep(struct excise_engine *e, struct excise_source_result *in,
				  const struct excise_finding *f, const struct excise_evidence *ev);

/* Count `n` observations looked at and not fed (a walk's unmatched entries). Thread-safe. */
EXCISE_API void excise_engine_count(struct excise_engine *e, struct excise_source_result *in, uint64_t n);
/* A problem with one item of the input; it goes on. Thread-safe. */
EXCISE_API void excise_engine_item_error(struct excise_engine *e, struct excise_source_result *in,
					 const char *msg);
/* Why the input failed (the first reason given is kept). Thread-safe. */
EXCISE_API void excise_engine_fail(struct excise_engine *e, struct excise_source_result *in, const char *msg);

/* False when no indicator of (kind, field) can match `s` (len bytes): the test for
 * hot loops before building an observation. Lock-free. */
EXCISE_API bool excise_engine_could_match(const struct excise_engine *e, enum excise_obs_kind kind,
					  enum excise_field field, const char *s, size_t len);

/* Group the evidence into findings: product evidence first, vendor-wide evidence
 * joining the vendor's strongest finding (or the product <vendor>:unidentified);
 * confidence, state, version and covering directives; most serious first. The
 * scan (report_id, host, catalog id, version and sha256, the inputs as sources[],
 * findings) is the caller's; the engine is spent and only excise_engine_free
 * may follow. Feeding must have ended. */
EXCISE_API int excise_engine_finish(struct excise_engine *e, struct excise_scan **ret, struct excise_err *reterr);

#ifdef __cplusplus
}
#endif
#endif
