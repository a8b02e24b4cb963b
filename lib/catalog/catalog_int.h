/* SPDX-License-Identifier: Apache-2.0 */
/* The catalog's insides, shared by catalog.c, match.c and removal.c only. */
#ifndef EXCISE_CATALOG_INT_H
#define EXCISE_CATALOG_INT_H

#include <jansson.h>
#include <stdint.h>

#include "core/hash.h"
#include "core/macro.h"
#include "excise/catalog.h"

struct excise_catalog {
	json_t *json;                       /* owns every string below */
	const char *id, *version, *issued;
	uint64_t serial;
	enum excise_catalog_origin origin;
	char *path;
	char key_id[17];
	char sha256[65];
	struct excise_vendor *vendors;
	struct excise_product *products;    /* catalog products, then one "<vendor>:unidentified" each */
	struct excise_indicator *indicators;
	struct excise_directive *directives;
	struct excise_calendar *calendars;
	size_t n_calendars;
	char **unidentified_names;          /* "<vendor>:unidentified\0<name>" per vendor */
	size_t n_vendors, n_products, n_indicators, n_directives;
	size_t n_own_products;              /* products from the document (own their platforms) */
	struct hash vendor_ids, product_ids, indicator_ids, directive_ids;
};

/* Lint: append one problem to the NULL-terminated `*v` of `*n`; whether `s` names a source. */
int catalog_add_problem(char ***v, size_t *n, const char *fmt, ...) PRINTF(3, 4);
bool catalog_is_source(const char *s);

struct doc;
/* Reading: an absent string array reads as an empty one (the API promises NULL-terminated arrays). */
int catalog_empty_if_absent(struct doc *d, const char *const **v);

/* The implicit product for vendor-wide evidence of `vendor_id`. */
const struct excise_product *catalog_unidentified(const struct excise_catalog *c, const char *vendor_id);

#endif
