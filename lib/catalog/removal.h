/* SPDX-License-Identifier: Apache-2.0 */
/* removal: a product's "removal" recipes (include/excise/catalog.h), for catalog.c. */
#ifndef EXCISE_CATALOG_REMOVAL_H
#define EXCISE_CATALOG_REMOVAL_H

#include <jansson.h>

#include "catalog/catalog_int.h"

/* Read product object `o`'s "removal" (if any) into `pr`. `name` is the catalog and
 * `where` the product ("products[3] (id 'kesl')"), for messages. On failure what
 * was read stays in `pr` for removal_free. */
int removal_parse(const char *name, const char *where, json_t *o, struct excise_product *pr, struct excise_err *err);
void removal_free(struct excise_product *pr);
/* Lint problems of the product's recipes, appended as catalog_add_problem does. */
int removal_lint(const struct excise_product *pr, char ***v, size_t *n);

#endif
