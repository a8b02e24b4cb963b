/* SPDX-License-Identifier: Apache-2.0 */
/*
 * store: the collector's storage (include/excise/store.h) over lib/fleet/db.h.
 *
 * Connections: `adm` (secrets, enrollment, host keys, host lookups, admin writes;
 * guarded by adm_lock), the writer thread's own `w` (documents, in group commits,
 * lib/fleet/ingest.c), and `rd`, the read connection store_db_read() lends to one
 * reporting thread (lib/fleet/store_int.h).
 */
#include "excise/store.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/macro.h"
#include "fleet/db.h"
#include "fleet/store_int.h"

struct excise_store {
	char *url;
	struct db_opts dbo;
	const struct excise_catalog *cat;
	uint8_t master[32];
	pthread_mutex_t adm_lock;
	struct db *adm;
	struct db *rd;
};

static void store_free(struct excise_store *st)
{
	db_close(st->adm);
	db_close(st->rd);
	pthread_mutex_destroy(&st->adm_lock);
	free(st->url);
	explicit_bzero(st->master, sizeof(st->master));
	free(st);
}

int excise_store_open(const char *url, const struct excise_store_opts *o, struct excise_store **ret,
		      struct excise_err *err)
{
	*ret = NULL;
	if (!o || !o->master_key || !o->catalog)
		return err_set(err, -EXCISE_E_USAGE, "store: a catalog and a master key are required");
	struct excise_store *st = calloc(1, sizeof(*st));
	if (!st || !(st->url = strdup(url ? url : ""))) {
		free(st);
		return err_set(err, -ENOMEM, "store: out of memory");
	}
	pthread_mutex_init(&st->adm_lock, NULL);
	st->cat = o->catalog;
	memcpy(st->master, o->master_key, sizeof(st->master));
	st->dbo.sync_normal = o->sync_normal;
	int r = db_open(url, &st->dbo, &st->adm, err);
	if (r >= 0)
		r = schema_migrate(st->adm, err);
	if (r < 0) {
		store_free(st);
		return r;
	}
	*ret = st;
	return 0;
}

void excise_store_close(struct excise_store *st)
{
	if (st)
		store_free(st);
}

const char *excise_store_backend(const struct excise_store *st)
{
	return db_backend(st->adm);
}

int store_db_open_read(struct excise_store *st, struct db **ret, struct excise_err *err)
{
	struct db_opts o = st->dbo;
	o.read_only = true;
	return db_open(st->url, &o, ret, err);
}

struct db *store_db_read(struct excise_store *st)
{
	if (!st->rd && store_db_open_read(st, &st->rd, NULL) < 0)
		st->rd = NULL;
	return st->rd;
}

const struct excise_catalog *store_catalog(const struct excise_store *st)
{
	return st->cat;
}
