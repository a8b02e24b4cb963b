/* SPDX-License-Identifier: Apache-2.0 */
/* removal: a product's "removal" recipes (include/excise/catalog.h), for catalog.c. */
#ifndef EXCISE_CATALOG_REMOVAL_H
#define EXCISE_CATALOG_REMOVAL_H

#include "catalog/catalog_int.h"
#include "core/doc.h"

/* The members of a product's "removal", dispatched on the product (struct
 * excise_product) once its "platforms" were read. On failure what was read stays
 * in the product for removal_free. */
extern const struct doc_table removal_table;
/* The members of a product's "places" (read likewise, after "platforms"). */
extern const struct doc_table places_table;
/* Frees the recipes and the places. */
void removal_free(struct excise_product *pr);
/* Lint problems of the product's recipes, appended as catalog_add_problem does. */
int removal_lint(const struct excise_product *pr, char ***v, size_t *n);

#endif
