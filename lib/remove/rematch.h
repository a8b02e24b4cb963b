/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rematch: is a piece of evidence still true of the target? A report or a plan is a
 * file anyone may have edited; the catalog is signed. So before a step is planned
 * (plan.c) and again before a run touches anything (remove.c, the preflight), each
 * piece of evidence a step rests on is observed again where it says it was, and
 * what is there now must match the indicator it claims:
 *
 *   every kind      the value matches the indicator again
 *   file            the path is there; a NAME indicator matches its base name, a PATH
 *                   indicator the path
 *   unit, script,   the path is there; a NAME indicator matches the unit, script or
 *   module          module the file is (its base name; a link: its own name or its
 *                   target's; rc links without their S/K and number; modules without
 *                   .ko*); any other field's value is in the file's bytes
 *   certificate     the file at the path holds a certificate whose sha256 is the claimed
 *                   one, and that certificate's own field (CN, O, subject, issuer)
 *                   matches the indicator (no certificate with that hash: gone)
 *   NSS certificate the database at the path (nssdb.h) holds a certificate with the
 *                   claimed sha256 whose field matches the indicator, the same test
 *   process         the live host; the pid runs the executable claimed, and its name,
 *                   executable or command line (the indicator's field) still matches
 *   package         a NAME indicator's value is the package acted on (the package
 *                   database and the vendor rule are checked where packages are)
 *
 * Evidence of other sources (registry, bundles, receipts, browser extensions) is checked on its
 * value only: excise remove acts on Linux plans alone, and their scripts say what they do.
 */
#ifndef EXCISE_REMATCH_H
#define EXCISE_REMATCH_H

#include <stddef.h>
#include <stdint.h>

#include "catalog/match.h"
#include "core/root.h"

/* What a piece of evidence claims, from a scan's evidence or a plan's. */
struct rematch_claim {
	const char *source;
	enum excise_obs_kind kind;
	const struct excise_indicator *ind;  /* never NULL */
	const char *value;
	const char *path;                     /* where it was seen (or the file acted on), or NULL */
	const char *sha256;                   /* a certificate: its hash; else NULL */
	int64_t pid;                          /* a process: its pid; else 0 */
	const char *package;                  /* a package step: the package acted on; else NULL */
};

/*
 * 0 when the claim holds on `r` as it is now. -ENOENT when its path, process or
 * certificate is no longer there (nothing to act on), -EXCISE_E_CHANGED when it does not hold, -ENOMEM; on
 * a failure why[] says which and why ("'/lib/systemd/system/ssh.service' is unit
 * ssh.service, which indicator ... does not match"). `m` holds the indicators of the
 * target's platform.
 */
int rematch_claim(const struct root *r, const struct matcher *m, const struct rematch_claim *c, char *why,
		  size_t size);

/* The indicator `id` of `c`, or NULL. */
const struct excise_indicator *rematch_indicator(const struct excise_catalog *c, const char *id);

/* The kind named `name` ("service"), or _EXCISE_OBS_KIND_MAX. */
enum excise_obs_kind rematch_kind(const char *name);

#endif
