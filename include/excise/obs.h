/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The observation: one thing an input saw (a package, a file, a unit, a
 * certificate...), before any catalog is applied. The local sources make them
 * from a root; importers and the collector make them from inventories, SBOMs or
 * logs. An engine (excise/engine.h) matches them against a catalog.
 */
#ifndef EXCISE_OBS_H
#define EXCISE_OBS_H

#include <stdbool.h>
#include <stddef.h>

#include "excise/catalog.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A named detail of an observation that no field holds (browser, profile, user,
 * MSI product code...). Keys are short lower-case words; both strings borrowed. */
struct excise_obs_attr {
	const char *key;
	const char *value;
};

/* One thing an input saw. All strings are borrowed for the call only; any may be NULL. */
struct excise_obs {
	enum excise_obs_kind kind;
	const char *f[_EXCISE_FIELD_MAX];        /* indexed by enum excise_field */
	const char *state;                       /* installed, config-files, running, enabled, loaded, present... */
	bool active;                             /* installed / running / loaded / enabled */
	const struct excise_obs_attr *attrs;     /* n_attrs details carried into the evidence */
	size_t n_attrs;
};

#ifdef __cplusplus
}
#endif
#endif
