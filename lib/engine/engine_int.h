/* SPDX-License-Identifier: Apache-2.0 */
/* The engine's insides: what the local sources (lib/source/source.c) see beyond its public
 * API, and what engine.c and result.c share. */
#ifndef EXCISE_ENGINE_INT_H
#define EXCISE_ENGINE_INT_H

#include "catalog/match.h"
#include "excise/engine.h"

/* A piece of evidence before grouping (engine.c makes them, group.c groups them), with
 * the product it belongs to: the indicator's (borrowed from the catalog), or for kept
 * evidence its finding's (owned copies, `kept` set). */
struct engine_ev {
	struct excise_evidence e;
	const char *product_id;     /* NULL: vendor-wide */
	const char *vendor_id;
	const char *product_name, *vendor_name; /* kept evidence only; may be NULL */
	enum excise_finding_kind kind; /* kept evidence: its finding's kind */
	char *obs_name;             /* a package observation's NAME (an unlisted finding is named after
				     * it, whatever field matched), or NULL */
	char *obs_image;            /* a service observation's TARGET (its image: a place), or NULL */
	bool kept;
};

/* Group the evidence ev[0..n) into the findings of `s` (group.c): attribution by artifact,
 * by place, unlisted registrations, traces; the state of each finding; the order. The
 * evidence's strings move to the findings (ev[i].e is zeroed). */
int engine_group(const struct excise_catalog *c, const char *platform, struct engine_ev *ev, size_t n,
		 struct excise_scan *s);

/* The compiled indicators, for the hot loops' filters (source_could_match*):
 * called directly, they cost what they cost before the engine existed. */
const struct matcher *engine_matcher(const struct excise_engine *e);
/* The catalog the engine matches (sources derive places to look from it). */
const struct excise_catalog *engine_catalog(const struct excise_engine *e);
/* An item error of `in` that is a limit stopping it from reading something it must:
 * recorded as an item error, and `in` is incomplete (its error, when it has none yet,
 * becomes "stopped by a limit: MSG"; a source then fails, lib/source/source.c). */
void engine_limit(struct excise_engine *e, struct excise_source_result *in, const char *msg);

/* Free the strings of one piece of evidence, of one source's record (result.c). */
void result_evidence_done(struct excise_evidence *e);
void result_source_done(struct excise_source_result *r);

/* A piece of evidence as the observation it came from, as far as it tells: its
 * kind, state, activity, attrs (into a[EXCISE_MAX_OBS_ATTRS]), path, version and
 * its one matched field. For matching evidence again (a report read back). */
void engine_obs_of(const struct excise_evidence *e, struct excise_obs *o, struct excise_obs_attr *a);

#endif
