/* SPDX-License-Identifier: Apache-2.0 */
/* The engine's insides: what the local sources (lib/source/source.c) see beyond its public
 * API, and what engine.c and result.c share. */
#ifndef EXCISE_ENGINE_INT_H
#define EXCISE_ENGINE_INT_H

#include "catalog/match.h"
#include "excise/engine.h"

/* The compiled indicators, for the hot loops' filters (source_could_match*):
 * called directly, they cost what they cost before the engine existed. */
const struct matcher *engine_matcher(const struct excise_engine *e);
/* The catalog the engine matches (sources derive places to look from it). */
const struct excise_catalog *engine_catalog(const struct excise_engine *e);

/* Free the strings of one piece of evidence, of one source's record (result.c). */
void result_evidence_done(struct excise_evidence *e);
void result_source_done(struct excise_source_result *r);

/* A piece of evidence as the observation it came from, as far as it tells: its
 * kind, state, activity, attrs (into a[EXCISE_MAX_OBS_ATTRS]), path, version and
 * its one matched field. For matching evidence again (a report read back). */
void engine_obs_of(const struct excise_evidence *e, struct excise_obs *o, struct excise_obs_attr *a);

#endif
