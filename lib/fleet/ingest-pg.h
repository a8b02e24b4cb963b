/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ingest-pg: a writer's group of documents applied to PostgreSQL set-based: one
 * statement per table for the whole group (arrays bound in binary, unnest on the
 * server), with the same results as ingest_apply on each document in order.
 */
#ifndef EXCISE_FLEET_INGEST_PG_H
#define EXCISE_FLEET_INGEST_PG_H

#include <stddef.h>

#include "excise/catalog.h"
#include "fleet/db.h"
#include "fleet/ingest.h"

struct ingest_pg;
/* Its statements, prepared once on `db` (a PostgreSQL connection). */
int ingest_pg_new(struct db *db, const struct excise_catalog *cat, struct ingest_pg **ret, struct excise_err *err);
void ingest_pg_free(struct ingest_pg *g);
/*
 * As ingest_apply_many(in, items, n): each item's status set, the database left as if
 * each document had been applied alone in order (a document seen twice stored once,
 * the second a duplicate; a host's facts folded in its documents' order). Runs in the
 * caller's transaction, which must hold nothing else: a group with an attestation, or
 * with a report an attestation was waiting for, is applied one by one with `in` (the
 * latter after the transaction is rolled back and begun again). The first error stops
 * it (the caller rolls back).
 */
int ingest_pg_apply(struct ingest_pg *g, struct ingest *in, struct ingest_item *items, size_t n,
		    struct excise_err *err);

#endif
