/* SPDX-License-Identifier: Apache-2.0 */
/*
 * match: the catalog's indicators compiled for lookup. For each (kind, field):
 *  - exact values in hash tables (one case-sensitive, one ASCII-case-folded);
 *  - globs bucketed by their literal prefix (or, lacking one, literal suffix),
 *    so a string is tried only against globs whose literal part it carries;
 *  - regexes joined into one alternation, tried one by one only on a hit.
 * No string is ever tested against every indicator in turn.
 * Human-text fields (names of packages, certificates, extensions and signers;
 * publishers, descriptions, subjects, issuers) are compared in normal form
 * (catalog/normalise.h); a service name matches with or without ".service".
 */
#ifndef EXCISE_MATCH_H
#define EXCISE_MATCH_H

#include <stdbool.h>
#include <stddef.h>

#include "core/macro.h"
#include "excise/catalog.h"

struct matcher;

/* Compile the indicators of `c` that apply to `platform` (NULL: all of them). */
NODISCARD int matcher_new(const struct excise_catalog *c, const char *platform, struct matcher **ret,
			  struct excise_err *reterr);
struct matcher *matcher_free(struct matcher *m);

bool matcher_wants(const struct matcher *m, enum excise_obs_kind kind, enum excise_field field);

/* False means no indicator can match; true means run matcher_match. */
bool matcher_could(const struct matcher *m, enum excise_obs_kind kind, enum excise_field field,
		   const char *s, size_t len);

/* False means no string that starts with prefix[0..len) and is longer than it can
 * match an indicator of (kind, field): a directory's path and slash rule out every
 * path below it at once. */
bool matcher_could_below(const struct matcher *m, enum excise_obs_kind kind, enum excise_field field,
			 const char *prefix, size_t len);

/* Call `fn` for every indicator of (kind, field) that matches `s`; stops early
 * and returns fn's value when it is non-zero. */
typedef int (*matcher_fn)(void *userdata, const struct excise_indicator *ind);
int matcher_match(const struct matcher *m, enum excise_obs_kind kind, enum excise_field field,
		  const char *s, size_t len, matcher_fn fn, void *userdata);

#endif
