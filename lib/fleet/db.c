/* SPDX-License-Identifier: Apache-2.0 */
/* db: the driver interface (lib/fleet/db.h), dispatching to a backend by URL. */
#include "fleet/db.h"

#include <errno.h>
#include <string.h>

#include "core/err.h"

int db_open(const char *url, const struct db_opts *o, struct db **ret, struct excise_err *err)
{
	static const struct db_opts none = { 0 };
	*ret = NULL;
	if (!url || !*url)
		return err_set(err, -EXCISE_E_USAGE, "database: no path or URL given");
	if (!o)
		o = &none;
	if (!strncmp(url, "postgresql://", 13) || !strncmp(url, "postgres://", 11))
		return db_pg_ops.open(url, o, ret, err);
	if (!strncmp(url, "sqlite:", 7))
		url += 7;
	if (!*url)
		return err_set(err, -EXCISE_E_USAGE, "database: 'sqlite:' names no file");
	return db_sqlite_ops.open(url, o, ret, err);
}

void db_close(struct db *db)
{
	if (db)
		db->ops->close(db);
}

const char *db_backend(const struct db *db)
{
	return db->ops->name;
}

bool db_is_pg(const struct db *db)
{
	return db->ops == &db_pg_ops;
}

int db_exec(struct db *db, const char *sql, struct excise_err *err)
{
	return db->ops->exec(db, sql, err);
}

int db_session(struct db *db, const char *sql, struct excise_err *err)
{
	return db->ops->session ? db->ops->session(db, sql, err) : db->ops->exec(db, sql, err);
}

int db_begin(struct db *db, struct excise_err *err)
{
	return db->ops->exec(db, "BEGIN", err);
}

int db_commit(struct db *db, struct excise_err *err)
{
	return db->ops->exec(db, "COMMIT", err);
}

void db_rollback(struct db *db)
{
	db->ops->exec(db, "ROLLBACK", NULL);
}

int db_prepare(struct db *db, const char *sql, struct db_stmt **ret, struct excise_err *err)
{
	return db->ops->prepare(db, sql, ret, err);
}

int db_bind_text(struct db_stmt *s, int i, const char *v)
{
	return v ? s->ops->bind_text(s, i, v) : s->ops->bind_null(s, i);
}

int db_bind_text_static(struct db_stmt *s, int i, const char *v)
{
	if (!v)
		return s->ops->bind_null(s, i);
	return s->ops->bind_text_static ? s->ops->bind_text_static(s, i, v) : s->ops->bind_text(s, i, v);
}

int db_bind_blob_static(struct db_stmt *s, int i, const void *v, size_t n)
{
	return v ? s->ops->bind_blob_static(s, i, v, n) : s->ops->bind_null(s, i);
}

int db_sync_main(struct db *db, struct excise_err *err)
{
	return db->ops->sync_main ? db->ops->sync_main(db, err) : 0;
}

int db_column_blob(struct db_stmt *s, int col, const void **ret, size_t *len)
{
	return s->ops->column_blob(s, col, ret, len);
}

int db_bind_text_array(struct db_stmt *s, int i, const char *const *v, size_t n)
{
	return s->ops->bind_text_array ? s->ops->bind_text_array(s, i, v, n) : -EXCISE_E_USAGE;
}

int db_bind_int64_array(struct db_stmt *s, int i, const int64_t *v, const bool *set, size_t n)
{
	return s->ops->bind_int64_array ? s->ops->bind_int64_array(s, i, v, set, n) : -EXCISE_E_USAGE;
}

int db_bind_blob_array(struct db_stmt *s, int i, const void *const *v, const size_t *lens, size_t n)
{
	return s->ops->bind_blob_array ? s->ops->bind_blob_array(s, i, v, lens, n) : -EXCISE_E_USAGE;
}

int64_t db_changes(struct db *db)
{
	return db->ops->changes ? db->ops->changes(db) : -1;
}

int db_bind_int64(struct db_stmt *s, int i, int64_t v)
{
	return s->ops->bind_int64(s, i, v);
}

int db_bind_null(struct db_stmt *s, int i)
{
	return s->ops->bind_null(s, i);
}

int db_step(struct db_stmt *s, struct excise_err *err)
{
	return s->ops->step(s, err);
}

int db_send(struct db_stmt *s, struct excise_err *err)
{
	return s->ops->send ? s->ops->send(s, err) : 0;
}

int db_step_defer(struct db_stmt *s, struct excise_err *err)
{
	if (s->ops->step_defer)
		return s->ops->step_defer(s, err);
	int r;
	while ((r = s->ops->step(s, err)) == 1)
		;
	s->ops->reset(s);
	return r;
}

void db_reset(struct db_stmt *s)
{
	if (s)
		s->ops->reset(s);
}

const char *db_column_text(struct db_stmt *s, int col)
{
	return s->ops->column_text(s, col);
}

int64_t db_column_int64(struct db_stmt *s, int col)
{
	return s->ops->column_int64(s, col);
}

bool db_column_null(struct db_stmt *s, int col)
{
	return s->ops->column_null(s, col);
}

void db_finalize(struct db_stmt *s)
{
	if (s)
		s->ops->finalize(s);
}

int db_run(struct db *db, const char *sql, int n, const char *const *vals, struct excise_err *err)
{
	struct db_stmt *s;
	int r = db_prepare(db, sql, &s, err);
	if (r < 0)
		return r;
	for (int i = 0; i < n && r >= 0; i++)
		r = db_bind_text(s, i + 1, vals[i]);
	if (r < 0) {
		db_finalize(s);
		return err_set(err, r, "database: binding the parameters of '%.60s'", sql);
	}
	int rows = 0;
	while ((r = db_step(s, err)) == 1)
		rows++;
	db_finalize(s);
	return r < 0 ? r : rows;
}
