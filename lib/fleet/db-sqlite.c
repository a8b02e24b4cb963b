/* SPDX-License-Identifier: Apache-2.0 */
/*
 * db-sqlite: the SQLite backend of lib/fleet/db.h. A database is a file opened in
 * WAL mode (readers never wait for the writer), synchronous=FULL (every commit's
 * WAL frames are synced: an acknowledged document survives a power loss) unless the
 * caller asks for NORMAL, a busy timeout, and foreign keys enforced. $N parameters
 * are SQLite's own syntax; they are bound by index through
 * sqlite3_bind_parameter_index, so the same number may appear twice.
 */
#include "fleet/db.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/err.h"

struct sdb {
	struct db base;
	sqlite3 *h;
	char *path;
};

struct sstmt {
	struct db_stmt base;
	struct sdb *db;
	sqlite3_stmt *st;
	int nparams;
	int nmap;      /* map[N] is the index of "$N" (0: none), N <= nmap */
	int *map;
};

static int code_of(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_CONSTRAINT:
		return (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY) ? -EEXIST : -EXCISE_E_REFUSED;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return -EXCISE_E_BUSY;
	case SQLITE_NOMEM:
		return -ENOMEM;
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
		return -EXCISE_E_CORRUPT;
	case SQLITE_READONLY:
	case SQLITE_PERM:
	case SQLITE_AUTH:
		return -EACCES;
	default:
		return -EIO;
	}
}

static int fail(struct sdb *d, struct excise_err *err, int rc, const char *what)
{
	return err_set(err, code_of(rc), "database '%s': %s: %s", d->path, what, sqlite3_errmsg(d->h));
}

static void s_close(struct db *db)
{
	struct sdb *d = (struct sdb *)db;
	sqlite3_close_v2(d->h);
	free(d->path);
	free(d);
}

static int s_sync_main(struct db *db, struct excise_err *err)
{
	struct sdb *d = (struct sdb *)db;
	sqlite3_file *f = NULL;
	int rc = sqlite3_file_control(d->h, "main", SQLITE_FCNTL_FILE_POINTER, &f);
	if (rc == SQLITE_OK && f && f->pMethods)
		rc = f->pMethods->xSync(f, SQLITE_SYNC_NORMAL);
	return rc == SQLITE_OK ? 0 : fail(d, err, rc, "syncing the database file");
}

int db_wal_sync(struct db *db, int *fd, struct excise_err *err)
{
	if (!db || db->ops != &db_sqlite_ops)
		return err_set(err, -EXCISE_E_UNSUPPORTED, "database: only SQLite has a WAL file to sync");
	const struct sdb *d = (const struct sdb *)db;
	char wal[PATH_MAX];
	if ((size_t)snprintf(wal, sizeof(wal), "%s-wal", d->path) >= sizeof(wal))
		return err_set(err, -ENAMETOOLONG, "database '%s': its WAL's path is too long", d->path);
	struct stat a, b;
	if (*fd >= 0 && (stat(wal, &a) < 0 || fstat(*fd, &b) < 0 || a.st_dev != b.st_dev || a.st_ino != b.st_ino)) {
		close(*fd);
		*fd = -1;
	}
	if (*fd < 0) {
		if ((*fd = open(wal, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0)
			return err_setc(err, -errno, "database '%s': opening its WAL to sync it", d->path);
		const char *slash = strrchr(wal, '/');
		char dir[PATH_MAX];
		snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - wal) + 1 : 1, slash ? wal : ".");
		int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		int r = dfd < 0 || fsync(dfd) < 0 ? -errno : 0;
		if (dfd >= 0)
			close(dfd);
		if (r < 0)
			return err_setc(err, r, "database '%s': syncing its folder", d->path);
	}
	if (fdatasync(*fd) < 0)
		return err_setc(err, -errno, "database '%s': syncing its WAL", d->path);
	return 0;
}

static int s_exec(struct db *db, const char *sql, struct excise_err *err)
{
	struct sdb *d = (struct sdb *)db;
	int rc = sqlite3_exec(d->h, sql, NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		return fail(d, err, sqlite3_extended_errcode(d->h), sql);
	return 0;
}

/* "file:PATH?immutable=1" (PATH's % ? # escaped) when PATH has no -wal beside it, else NULL. */
static char *s_immutable_uri(const char *path)
{
	size_t n = strlen(path);
	char *wal = malloc(n + 5);
	if (!wal)
		return NULL;
	memcpy(wal, path, n);
	memcpy(wal + n, "-wal", 5);
	bool has_wal = access(wal, F_OK) == 0;
	free(wal);
	char *uri = has_wal ? NULL : malloc(3 * n + 32);
	if (!uri)
		return NULL;
	char *p = uri + sprintf(uri, "file:%s", path[0] == '/' ? "//" : "");
	for (const char *c = path; *c; c++)
		p += *c == '%' || *c == '?' || *c == '#' ? sprintf(p, "%%%02X", (unsigned char)*c) : (*p = *c, 1);
	strcpy(p, "?immutable=1");
	return uri;
}

/* Before SQLite's first use in the process: no count of its memory, which every
 * allocation would otherwise take a global mutex for (a few per cent of the writer
 * thread). When SQLite was already started (another part of the process used it
 * first), sqlite3_config refuses and nothing changes. */
static pthread_once_t s_config_once = PTHREAD_ONCE_INIT;

static void s_config(void)
{
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

static int s_open(const char *path, const struct db_opts *o, struct db **ret, struct excise_err *err)
{
	pthread_once(&s_config_once, s_config);
	struct sdb *d = calloc(1, sizeof(*d));
	if (!d || !(d->path = strdup(path))) {
		free(d);
		return err_set(err, -ENOMEM, "database '%s': out of memory", path);
	}
	d->base.ops = &db_sqlite_ops;
	if (!o->read_only) {
		/* The file holds secret hashes: readable by its owner only. Made here only
		 * when absent: closing a descriptor of a file the process has open in SQLite
		 * drops every POSIX lock the process holds on it (SQLite's shared lock
		 * among them), and another process could then delete the WAL under it. */
		int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (fd < 0 && errno == EEXIST)
			fd = -2;
		if (fd == -1) {
			int e = -errno;
			free(d->path);
			free(d);
			return err_setc(err, e, "database '%s'", path);
		}
		if (fd >= 0)
			close(fd);
	}
	int flags = (o->read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) |
		    SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_NOFOLLOW;
	/* Read-only, and no -wal beside the file (no collector has it open): opened immutable,
	 * so that nothing is created beside it (a read-only connection otherwise makes the
	 * -wal and -shm files, and cannot without write access to the folder). */
	char *uri = o->read_only ? s_immutable_uri(path) : NULL;
	if (uri)
		flags |= SQLITE_OPEN_URI;
	int rc = sqlite3_open_v2(uri ? uri : path, &d->h, flags, NULL);
	free(uri);
	if (rc != SQLITE_OK) {
		int r = d->h ? fail(d, err, rc, "open") : err_set(err, -ENOMEM, "database '%s': out of memory", path);
		s_close(&d->base);
		return r;
	}
	sqlite3_extended_result_codes(d->h, 1);
	sqlite3_busy_timeout(d->h, (int)(o->busy_ms ? o->busy_ms : DB_BUSY_MS));
	char sql[200];
	snprintf(sql, sizeof(sql), "PRAGMA foreign_keys=ON; PRAGMA cache_size=-32768; PRAGMA synchronous=%s;%s",
		 o->sync_normal ? "NORMAL" : "FULL", o->read_only ? "" : " PRAGMA journal_mode=WAL;");
	int r = s_exec(&d->base, sql, err);
	if (r < 0) {
		s_close(&d->base);
		return r;
	}
	*ret = &d->base;
	return 0;
}

static int s_prepare(struct db *db, const char *sql, struct db_stmt **ret, struct excise_err *err)
{
	struct sdb *d = (struct sdb *)db;
	struct sstmt *s = calloc(1, sizeof(*s));
	if (!s)
		return err_set(err, -ENOMEM, "database: out of memory");
	int rc = sqlite3_prepare_v3(d->h, sql, -1, SQLITE_PREPARE_PERSISTENT, &s->st, NULL);
	if (rc != SQLITE_OK) {
		free(s);
		return fail(d, err, rc, sql);
	}
	s->base.ops = &db_sqlite_ops;
	s->db = d;
	s->nparams = sqlite3_bind_parameter_count(s->st);
	/* "$N" to SQLite's index once here, not at every bind */
	for (int k = 1; k <= s->nparams; k++) {
		const char *name = sqlite3_bind_parameter_name(s->st, k);
		int n = name && name[0] == '$' ? atoi(name + 1) : 0;
		s->nmap = n > s->nmap ? n : s->nmap;
	}
	if (s->nmap && !(s->map = calloc((size_t)s->nmap + 1, sizeof(*s->map)))) {
		sqlite3_finalize(s->st);
		free(s);
		return err_set(err, -ENOMEM, "database: out of memory");
	}
	for (int k = 1; k <= s->nparams; k++) {
		const char *name = sqlite3_bind_parameter_name(s->st, k);
		int n = name && name[0] == '$' ? atoi(name + 1) : 0;
		if (n > 0)
			s->map[n] = k;
	}
	*ret = &s->base;
	return 0;
}

/* The index SQLite gave "$i" (0 when the statement has no such parameter). */
static int param(struct sstmt *s, int i)
{
	return i > 0 && i <= s->nmap ? s->map[i] : 0;
}

static int bind_rc(int rc)
{
	return rc == SQLITE_OK ? 0 : rc == SQLITE_RANGE ? -EXCISE_E_USAGE : code_of(rc);
}

static int s_bind_text(struct db_stmt *st, int i, const char *v)
{
	struct sstmt *s = (struct sstmt *)st;
	int k = param(s, i);
	return k ? bind_rc(sqlite3_bind_text(s->st, k, v, -1, SQLITE_TRANSIENT)) : -EXCISE_E_USAGE;
}

static int s_bind_text_static(struct db_stmt *st, int i, const char *v)
{
	struct sstmt *s = (struct sstmt *)st;
	int k = param(s, i);
	return k ? bind_rc(sqlite3_bind_text(s->st, k, v, -1, SQLITE_STATIC)) : -EXCISE_E_USAGE;
}

static int s_bind_blob_static(struct db_stmt *st, int i, const void *v, size_t n)
{
	struct sstmt *s = (struct sstmt *)st;
	int k = param(s, i);
	return k ? bind_rc(sqlite3_bind_blob64(s->st, k, v, n, SQLITE_STATIC)) : -EXCISE_E_USAGE;
}

static int64_t s_changes(struct db *db)
{
	return sqlite3_changes64(((struct sdb *)db)->h);
}

static int s_bind_int64(struct db_stmt *st, int i, int64_t v)
{
	struct sstmt *s = (struct sstmt *)st;
	int k = param(s, i);
	return k ? bind_rc(sqlite3_bind_int64(s->st, k, v)) : -EXCISE_E_USAGE;
}

static int s_bind_null(struct db_stmt *st, int i)
{
	struct sstmt *s = (struct sstmt *)st;
	int k = param(s, i);
	return k ? bind_rc(sqlite3_bind_null(s->st, k)) : -EXCISE_E_USAGE;
}

static int s_step(struct db_stmt *st, struct excise_err *err)
{
	struct sstmt *s = (struct sstmt *)st;
	int rc = sqlite3_step(s->st);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	rc = sqlite3_extended_errcode(s->db->h);
	return fail(s->db, err, rc, sqlite3_sql(s->st));
}

static void s_reset(struct db_stmt *st)
{
	struct sstmt *s = (struct sstmt *)st;
	sqlite3_reset(s->st);
	sqlite3_clear_bindings(s->st);
}

static const char *s_column_text(struct db_stmt *st, int col)
{
	struct sstmt *s = (struct sstmt *)st;
	return (const char *)sqlite3_column_text(s->st, col);
}

static int s_column_blob(struct db_stmt *st, int col, const void **ret, size_t *len)
{
	struct sstmt *s = (struct sstmt *)st;
	*ret = sqlite3_column_blob(s->st, col);
	*len = (size_t)sqlite3_column_bytes(s->st, col);
	if (!*ret && sqlite3_column_type(s->st, col) != SQLITE_NULL && *len) /* out of memory converting it */
		return -ENOMEM;
	return 0;
}

static int64_t s_column_int64(struct db_stmt *st, int col)
{
	struct sstmt *s = (struct sstmt *)st;
	return sqlite3_column_int64(s->st, col);
}

static bool s_column_null(struct db_stmt *st, int col)
{
	struct sstmt *s = (struct sstmt *)st;
	return sqlite3_column_type(s->st, col) == SQLITE_NULL;
}

static void s_finalize(struct db_stmt *st)
{
	struct sstmt *s = (struct sstmt *)st;
	sqlite3_finalize(s->st);
	free(s->map);
	free(s);
}

const struct db_ops db_sqlite_ops = {
	.name = "sqlite",
	.open = s_open,
	.close = s_close,
	.exec = s_exec,
	.prepare = s_prepare,
	.bind_text = s_bind_text,
	.bind_int64 = s_bind_int64,
	.bind_null = s_bind_null,
	.bind_text_static = s_bind_text_static,
	.changes = s_changes,
	.step = s_step,
	.reset = s_reset,
	.column_text = s_column_text,
	.column_int64 = s_column_int64,
	.column_null = s_column_null,
	.bind_blob_static = s_bind_blob_static,
	.column_blob = s_column_blob,
	.sync_main = s_sync_main,
	.finalize = s_finalize,
};
