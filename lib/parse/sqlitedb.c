/* SPDX-License-Identifier: Apache-2.0 */
/* sqlitedb: SQLite databases from an image, hardened (see sqlitedb.h). */
#include "parse/sqlitedb.h"

#include <errno.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "core/err.h"
#include "core/limits.h"

static int64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int progress(void *ud)
{
	struct sqlitedb *db = ud;
	if (mono_ns() <= db->deadline_ns)
		return 0;
	db->expired = true;
	return 1; /* SQLITE_INTERRUPT */
}

/* Every defence SQLite has for a database it does not trust. */
static void harden(struct sqlitedb *db)
{
	sqlite3_db_config(db->h, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
	sqlite3_db_config(db->h, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, NULL);
	sqlite3_db_config(db->h, SQLITE_DBCONFIG_ENABLE_TRIGGER, 0, NULL);
	sqlite3_db_config(db->h, SQLITE_DBCONFIG_ENABLE_VIEW, 0, NULL);
	sqlite3_limit(db->h, SQLITE_LIMIT_LENGTH, 64 << 20);
	sqlitedb_arm(db);
	sqlite3_progress_handler(db->h, 1000, progress, db);
}

int sqlitedb_check_header(const char *name, const char *what, const unsigned char *h, size_t hlen,
			  uint64_t size, bool wal, struct excise_err *err)
{
	if (size == 0 && wal)
		return 0;
	if (hlen < 100 || memcmp(h, "SQLite format 3", 16) != 0)
		return err_set(err, -EXCISE_E_CORRUPT, "'%s': corrupt %s: no SQLite header", name, what);
	uint32_t psize = (uint32_t)h[16] << 8 | h[17];
	if (psize == 1)
		psize = 65536;
	if (psize < 512 || (psize & (psize - 1)) != 0)
		return err_set(err, -EXCISE_E_CORRUPT, "'%s': corrupt %s: page size %u at offset 16", name, what,
			       (unsigned)psize);
	if (size % psize != 0)
		return err_set(err, -EXCISE_E_CORRUPT, "'%s': corrupt %s: size %llu is not a multiple of its page "
			       "size %u (truncated?)", name, what, (unsigned long long)size, (unsigned)psize);
	uint32_t pages = (uint32_t)h[28] << 24 | (uint32_t)h[29] << 16 | (uint32_t)h[30] << 8 | h[31];
	bool valid = memcmp(h + 24, h + 92, 4) == 0 && pages > 0;
	if (valid && !wal && size < (uint64_t)pages * psize)
		return err_set(err, -EXCISE_E_CORRUPT, "'%s': corrupt %s: %llu bytes, but its header says %u pages "
			       "of %u (truncated)", name, what, (unsigned long long)size, (unsigned)pages,
			       (unsigned)psize);
	return 0;
}

int sqlitedb_open_mem(const char *name, unsigned char *data, size_t len, struct sqlitedb *db,
		      struct excise_err *err)
{
	*db = (struct sqlitedb){ 0 };
	if (len < 100 || memcmp(data, "SQLite format 3", 16) != 0)
		return err_set(err, -EXCISE_E_CORRUPT, "'%s': not an SQLite database", name);
	if (data[18] == 2 && data[19] == 2)
		data[18] = data[19] = 1; /* WAL: read the main file alone, as a rollback db */
	int rc = sqlite3_open_v2(":memory:", &db->h, SQLITE_OPEN_READWRITE | SQLITE_OPEN_MEMORY, NULL);
	if (rc != SQLITE_OK) {
		sqlitedb_close(db);
		return rc == SQLITE_NOMEM ? err_set(err, -ENOMEM, "'%s': out of memory", name)
					  : err_set(err, -EXCISE_E_CORRUPT, "'%s': cannot open", name);
	}
	harden(db);
	rc = sqlite3_deserialize(db->h, "main", data, (sqlite3_int64)len, (sqlite3_int64)len,
				 SQLITE_DESERIALIZE_READONLY);
	if (rc != SQLITE_OK) {
		int e = err_set(err, -EXCISE_E_CORRUPT, "'%s': cannot open: %s", name, sqlite3_errmsg(db->h));
		sqlitedb_close(db);
		return e;
	}
	return 0;
}

int sqlitedb_open_mem_rw(const char *name, unsigned char *data, size_t len, struct sqlitedb *db,
			 struct excise_err *err)
{
	*db = (struct sqlitedb){ 0 };
	if (len < 100 || memcmp(data, "SQLite format 3", 16) != 0) {
		sqlite3_free(data);
		return err_set(err, -EXCISE_E_CORRUPT, "'%s': not an SQLite database", name);
	}
	if (data[18] == 2 || data[19] == 2) {
		sqlite3_free(data);
		return err_set(err, -EXCISE_E_UNSUPPORTED, "'%s': a database in WAL mode: not changed (its -wal file "
			       "may hold part of it)", name);
	}
	int rc = sqlite3_open_v2(":memory:", &db->h, SQLITE_OPEN_READWRITE | SQLITE_OPEN_MEMORY, NULL);
	if (rc != SQLITE_OK) {
		sqlite3_free(data);
		sqlitedb_close(db);
		return rc == SQLITE_NOMEM ? err_set(err, -ENOMEM, "'%s': out of memory", name)
					  : err_set(err, -EXCISE_E_CORRUPT, "'%s': cannot open", name);
	}
	harden(db);
	/* FREEONCLOSE: SQLite owns `data` now, whatever the outcome */
	rc = sqlite3_deserialize(db->h, "main", data, (sqlite3_int64)len, (sqlite3_int64)len,
				 SQLITE_DESERIALIZE_FREEONCLOSE | SQLITE_DESERIALIZE_RESIZEABLE);
	if (rc != SQLITE_OK) {
		int e = err_set(err, rc == SQLITE_NOMEM ? -ENOMEM : -EXCISE_E_CORRUPT, "'%s': cannot open: %s", name,
				sqlite3_errmsg(db->h));
		sqlitedb_close(db);
		return e;
	}
	return 0;
}

int sqlitedb_open_file(const char *name, const char *path, struct sqlitedb *db, struct excise_err *err)
{
	*db = (struct sqlitedb){ 0 };
	int rc = sqlite3_open_v2(path, &db->h, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOFOLLOW, NULL);
	if (rc != SQLITE_OK) {
		int e = err_set(err, rc == SQLITE_NOMEM ? -ENOMEM : -EXCISE_E_CORRUPT, "'%s': cannot open: %s", name,
				db->h ? sqlite3_errmsg(db->h) : "out of memory");
		sqlitedb_close(db);
		return e;
	}
	harden(db);
	return 0;
}

int sqlitedb_error(struct sqlitedb *db, int rc)
{
	if (db->expired)
		return -EXCISE_E_LIMIT;
	return rc == SQLITE_NOMEM ? -ENOMEM : -EXCISE_E_CORRUPT;
}

/* Whether table `t` has a generated column (table_xinfo's hidden 2 or 3). -1 on error. */
static int generated(struct sqlitedb *db, const char *t, int *rc)
{
	sqlite3_stmt *s = NULL;
	*rc = sqlite3_prepare_v2(db->h, "SELECT hidden FROM pragma_table_xinfo(?1)", -1, &s, NULL);
	if (*rc != SQLITE_OK)
		return -1;
	sqlite3_bind_text(s, 1, t, -1, SQLITE_STATIC);
	int found = 0;
	while ((*rc = sqlite3_step(s)) == SQLITE_ROW)
		if (sqlite3_column_int(s, 0) >= 2)
			found = 1;
	sqlite3_finalize(s);
	if (*rc != SQLITE_DONE)
		return -1;
	*rc = SQLITE_OK;
	return found;
}

int sqlitedb_check_schema(struct sqlitedb *db, const char *name, struct excise_err *err)
{
	sqlite3_stmt *s = NULL;
	int rc = sqlite3_prepare_v2(db->h, "SELECT type, name, sql FROM sqlite_schema", -1, &s, NULL);
	if (rc != SQLITE_OK)
		return err_set(err, sqlitedb_error(db, rc), "'%s': cannot read the schema: %s", name,
			       sqlite3_errmsg(db->h));
	int r = 0;
	while (r == 0 && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *type = (const char *)sqlite3_column_text(s, 0);
		const char *obj = (const char *)sqlite3_column_text(s, 1);
		const char *sql = (const char *)sqlite3_column_text(s, 2);
		if (!type || !obj)
			continue;
		if (!strcmp(type, "index"))
			continue; /* read only when a query uses it: a column list, no code run */
		if (strcmp(type, "table") != 0) {
			r = err_set(err, -EXCISE_E_CORRUPT, "'%s': schema object '%.64s' is a %.16s, not a plain "
				    "table: not read", name, obj, type);
			break;
		}
		if (!sql || strncasecmp(sql, "CREATE TABLE", 12) != 0) {
			r = err_set(err, -EXCISE_E_CORRUPT, "'%s': table '%.64s' is not a plain table (a virtual "
				    "table?): not read", name, obj);
			break;
		}
		int k, g = generated(db, obj, &k);
		if (g < 0)
			r = err_set(err, sqlitedb_error(db, k), "'%s': table '%.64s': cannot read its columns: %s",
				    name, obj, sqlite3_errmsg(db->h));
		else if (g > 0)
			r = err_set(err, -EXCISE_E_CORRUPT, "'%s': table '%.64s' has a generated column: not read",
				    name, obj);
	}
	if (r == 0 && rc != SQLITE_ROW && rc != SQLITE_DONE)
		r = err_set(err, sqlitedb_error(db, rc), "'%s': cannot read the schema: %s", name,
			    db->expired ? "past the time limit (EXCISE_MAX_SQLITE_SECONDS)" : sqlite3_errmsg(db->h));
	sqlite3_finalize(s);
	return r;
}

void sqlitedb_arm(struct sqlitedb *db)
{
	db->deadline_ns = mono_ns() + (int64_t)EXCISE_MAX_SQLITE_SECONDS * 1000000000;
}

void sqlitedb_close(struct sqlitedb *db)
{
	if (db->h)
		sqlite3_close(db->h);
	db->h = NULL;
}
