/* SPDX-License-Identifier: Apache-2.0 */
/*
 * db-pg: the PostgreSQL backend of lib/fleet/db.h, through libpq. Each statement
 * is prepared once on the server (PQprepare, parameter types inferred from the
 * SQL) and run with text parameters; its rows are read from the one result. The
 * session has synchronous_commit on (a commit returns once its WAL is flushed) and
 * client_min_messages at warning, and a writing one default_toast_compression lz4
 * where the server has it; libpq's notices are never printed (the library prints
 * nothing). The URL may hold a password: messages never quote it.
 *
 * Arrays (db_bind_text_array, db_bind_int64_array, db_bind_blob_array) go in PostgreSQL's binary array
 * format, the rest as text.
 *
 * Statements run for their effect (db_step_defer) are sent in pipeline mode without
 * waiting, and travel with the next statement that waits: a group of documents costs
 * a few round trips, not one per row. At most PG_MAX_PENDING wait unanswered. A
 * "BEGIN" is sent so too (with the transaction's first statement). db_session's
 * settings are run again on a new connection, as the session's own are.
 *
 * A lost connection (the server restarted, the backend was terminated) fails what was
 * under way; the next call connects again and prepares its statements again.
 */
#include "fleet/db.h"

#include <errno.h>
#include <arpa/inet.h>
#include <inttypes.h>
#include <libpq-fe.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"

#define PG_MAX_PARAMS 64
#define PG_MAX_PENDING 256

struct pdb {
	struct db base;
	PGconn *c;
	unsigned next;      /* statement names s1, s2, ... */
	int pending;        /* statements sent in pipeline mode, their results unread */
	unsigned epoch;     /* connections made: statements are prepared again on a new one */
	const char *session; /* the SET statements of every new connection */
	char *more;          /* and those db_session added (NULL: none) */
	bool read_only;
	struct pstmt *kept[PG_MAX_PENDING + 1]; /* whose result each of them goes to (NULL: none) */
};

struct pstmt {
	struct db_stmt base;
	struct pdb *db;
	char name[24];
	char *sql;
	unsigned epoch;     /* the connection it was prepared on */
	int nparams;
	char *vals[PG_MAX_PARAMS];
	int lens[PG_MAX_PARAMS];  /* a binary value's length */
	int fmts[PG_MAX_PARAMS];  /* 1: vals[i] is binary (an array) */
	int n_bin;                /* how many are */
	PGresult *res;
	bool sent;          /* queued in the pipeline, its result not read yet */
	int row, nrows;
	unsigned char *blob; /* db_column_blob's bytes (PQfreemem), until the next call or reset */
};

static int code_of_state(const char *state)
{
	if (!state)
		return -EIO;
	if (!strcmp(state, "23505"))
		return -EEXIST;
	if (!strncmp(state, "23", 2))
		return -EXCISE_E_REFUSED;
	if (!strcmp(state, "40001") || !strcmp(state, "40P01") || !strcmp(state, "55P03"))
		return -EXCISE_E_BUSY;
	return -EIO;
}

/* The server's message for `res` (or the connection's), its trailing newline cut. */
static int fail(struct pdb *d, PGresult *res, struct excise_err *err, const char *what)
{
	const char *m = res ? PQresultErrorMessage(res) : "";
	if (!m || !*m)
		m = PQerrorMessage(d->c);
	size_t n = strlen(m);
	while (n && (m[n - 1] == '\n' || m[n - 1] == ' '))
		n--;
	int code = res ? code_of_state(PQresultErrorField(res, PG_DIAG_SQLSTATE)) : -EIO;
	return err_set(err, code, "database (postgresql): %.80s: %.*s", what, (int)n, m);
}

static void quiet(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

static int drain(struct pdb *d, struct excise_err *err);
static void p_reset(struct db_stmt *st);

/* Documents' bodies are compressed in TOAST with lz4 where the server has it (PostgreSQL
 * 14 and later built with lz4): pglz took a twentieth of the server's time a document.
 * A server without it keeps its default. */
static void prefer_lz4(struct pdb *d, bool read_only)
{
	if (read_only || PQserverVersion(d->c) < 140000)
		return;
	PQclear(PQexec(d->c, "SET default_toast_compression = lz4"));
}

/* A lost connection made again (its session settings too); 0 when it was not lost. */
static int revive(struct pdb *d, struct excise_err *err)
{
	if (PQstatus(d->c) != CONNECTION_BAD)
		return 0;
	PQreset(d->c);
	d->pending = 0;
	if (PQstatus(d->c) != CONNECTION_OK)
		return err_set(err, -ECONNREFUSED, "database (postgresql): connection lost, and connecting again failed");
	d->epoch++;
	PGresult *res = PQexec(d->c, d->session);
	int r = PQresultStatus(res) == PGRES_COMMAND_OK ? 0 : fail(d, res, err, "the session settings");
	PQclear(res);
	if (r >= 0 && d->more) {
		res = PQexec(d->c, d->more);
		r = PQresultStatus(res) == PGRES_COMMAND_OK ? 0 : fail(d, res, err, "the session settings");
		PQclear(res);
	}
	if (r >= 0)
		prefer_lz4(d, d->read_only);
	return r;
}

static int p_exec(struct db *db, const char *sql, struct excise_err *err)
{
	struct pdb *d = (struct pdb *)db;
	int rv = revive(d, err);
	if (rv < 0)
		return rv;
	if (!strcmp(sql, "BEGIN") && PQpipelineStatus(d->c) == PQ_PIPELINE_OFF &&
	    PQtransactionStatus(d->c) == PQTRANS_IDLE) {
		/* a transaction's start waits for nothing: it travels with what follows (its
		 * error, a lost connection, is that call's), one round trip less a transaction */
		if (!PQenterPipelineMode(d->c))
			return fail(d, NULL, err, "entering pipeline mode");
		if (!PQsendQueryParams(d->c, sql, 0, NULL, NULL, NULL, NULL, 0))
			return fail(d, NULL, err, sql);
		d->kept[d->pending++] = NULL;
		return 0;
	}
	if (PQpipelineStatus(d->c) != PQ_PIPELINE_OFF) {
		/* one statement: it travels with what is pending */
		if (!PQsendQueryParams(d->c, sql, 0, NULL, NULL, NULL, NULL, 0))
			return fail(d, NULL, err, sql);
		d->kept[d->pending++] = NULL;
		return drain(d, err);
	}
	PGresult *res = PQexec(d->c, sql);
	ExecStatusType st = PQresultStatus(res);
	int r = (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) ? 0 : fail(d, res, err, sql);
	PQclear(res);
	return r;
}

static void p_close(struct db *db)
{
	struct pdb *d = (struct pdb *)db;
	PQfinish(d->c);
	free(d->more);
	free(d);
}

static int p_session(struct db *db, const char *sql, struct excise_err *err)
{
	struct pdb *d = (struct pdb *)db;
	int r = p_exec(db, sql, err);
	if (r < 0)
		return r;
	size_t n = d->more ? strlen(d->more) : 0, m = strlen(sql);
	char *more = realloc(d->more, n + m + 3);
	if (!more)
		return err_set(err, -ENOMEM, "database (postgresql): out of memory");
	snprintf(more + n, m + 3, "%s%s", n ? "; " : "", sql);
	d->more = more;
	return 0;
}

static int p_open(const char *url, const struct db_opts *o, struct db **ret, struct excise_err *err)
{
	struct pdb *d = calloc(1, sizeof(*d));
	if (!d)
		return err_set(err, -ENOMEM, "database (postgresql): out of memory");
	d->base.ops = &db_pg_ops;
	d->c = PQconnectdb(url);
	if (!d->c || PQstatus(d->c) != CONNECTION_OK) {
		int r = d->c ? fail(d, NULL, err, "connecting") :
			       err_set(err, -ENOMEM, "database (postgresql): out of memory");
		if (r == -EIO) {
			r = -ECONNREFUSED;
			if (err)
				err->code = r;
		}
		p_close(&d->base);
		return r;
	}
	PQsetNoticeProcessor(d->c, quiet, NULL);
	d->session = o->read_only ? "SET synchronous_commit = on; SET client_min_messages = warning; "
				    "SET default_transaction_read_only = on" :
				    "SET synchronous_commit = on; SET client_min_messages = warning";
	d->read_only = o->read_only;
	int r = p_exec(&d->base, d->session, err);
	if (r < 0) {
		p_close(&d->base);
		return r;
	}
	prefer_lz4(d, d->read_only);
	*ret = &d->base;
	return 0;
}

/* The highest $N in `sql` (outside quoted strings). */
static int count_params(const char *sql)
{
	int max = 0;
	bool quoted = false;
	for (const char *p = sql; *p; p++) {
		if (*p == '\'')
			quoted = !quoted;
		else if (!quoted && *p == '$' && p[1] >= '0' && p[1] <= '9') {
			int n = (int)strtol(p + 1, NULL, 10);
			if (n > max)
				max = n;
		}
	}
	return max;
}

static int p_prepare(struct db *db, const char *sql, struct db_stmt **ret, struct excise_err *err)
{
	struct pdb *d = (struct pdb *)db;
	int n = count_params(sql);
	if (n > PG_MAX_PARAMS)
		return err_set(err, -EXCISE_E_USAGE, "database (postgresql): more than %d parameters in '%.60s'",
			       PG_MAX_PARAMS, sql);
	/* PQprepare waits for its answer, which pipeline mode forbids: the statements sent
	 * before it go first (their first error is this call's) */
	if (PQpipelineStatus(d->c) != PQ_PIPELINE_OFF) {
		int r = drain(d, err);
		if (r < 0)
			return r;
	}
	struct pstmt *s = calloc(1, sizeof(*s));
	if (!s || !(s->sql = strdup(sql))) {
		free(s);
		return err_set(err, -ENOMEM, "database (postgresql): out of memory");
	}
	s->base.ops = &db_pg_ops;
	s->db = d;
	s->nparams = n;
	snprintf(s->name, sizeof(s->name), "excise_s%u", ++d->next);
	s->epoch = d->epoch;
	PGresult *res = PQprepare(d->c, s->name, sql, n, NULL);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		int r = fail(d, res, err, sql);
		PQclear(res);
		free(s->sql);
		free(s);
		return r;
	}
	PQclear(res);
	*ret = &s->base;
	return 0;
}

static int set_val(struct pstmt *s, int i, char *v)
{
	if (i < 1 || i > s->nparams) {
		free(v);
		return -EXCISE_E_USAGE;
	}
	free(s->vals[i - 1]);
	s->vals[i - 1] = v;
	if (s->fmts[i - 1]) {
		s->fmts[i - 1] = 0;
		s->n_bin--;
	}
	return 0;
}

/* Parameter i as a binary value of `len` bytes (owned from here). */
static int set_bin(struct pstmt *s, int i, char *v, size_t len)
{
	int r = set_val(s, i, v);
	if (r >= 0) {
		s->fmts[i - 1] = 1;
		s->lens[i - 1] = (int)len;
		s->n_bin++;
	}
	return r;
}

/* PostgreSQL's binary array (array_recv): ndim, has-nulls, element type, then the one
 * dimension's length and lower bound; then each element as its length (-1: NULL) and bytes. */
#define OID_BYTEA 17
#define OID_INT8 20
#define OID_TEXT 25

static char *put32(char *p, uint32_t v)
{
	v = htonl(v);
	memcpy(p, &v, 4);
	return p + 4;
}

static char *array_head(size_t total, size_t n, bool nulls, uint32_t oid)
{
	char *b = malloc(total);
	if (!b)
		return NULL;
	char *p = put32(b, n ? 1 : 0);
	p = put32(p, nulls);
	p = put32(p, oid);
	if (n) {
		p = put32(p, (uint32_t)n);
		put32(p, 1);
	}
	return b;
}

#define ARRAY_HEAD(n) ((n) ? 20u : 12u)

/* Entry k: lens[k] bytes at v[k] (NULL: SQL NULL), elements of type `oid`. */
static int bind_var_array(struct db_stmt *st, int i, uint32_t oid, const void *const *v, const size_t *lens, size_t n)
{
	size_t total = ARRAY_HEAD(n);
	bool nulls = false;
	for (size_t k = 0; k < n; k++) {
		total += 4 + (v[k] ? lens[k] : 0);
		nulls |= !v[k];
		if (v[k] && lens[k] > INT_MAX)
			return -EXCISE_E_LIMIT;
	}
	if (total > INT_MAX || n > INT_MAX)
		return -EXCISE_E_LIMIT;
	char *b = array_head(total, n, nulls, oid);
	if (!b)
		return -ENOMEM;
	char *p = b + ARRAY_HEAD(n);
	for (size_t k = 0; k < n; k++) {
		size_t len = v[k] ? lens[k] : 0;
		p = put32(p, v[k] ? (uint32_t)len : UINT32_MAX);
		if (len)
			memcpy(p, v[k], len);
		p += len;
	}
	return set_bin((struct pstmt *)st, i, b, total);
}

static int p_bind_blob_array(struct db_stmt *st, int i, const void *const *v, const size_t *lens, size_t n)
{
	return bind_var_array(st, i, OID_BYTEA, v, lens, n);
}

static int p_bind_text_array(struct db_stmt *st, int i, const char *const *v, size_t n)
{
	size_t *lens = malloc((n + 1) * sizeof(*lens));
	if (!lens)
		return -ENOMEM;
	for (size_t k = 0; k < n; k++)
		lens[k] = v[k] ? strlen(v[k]) : 0;
	int r = bind_var_array(st, i, OID_TEXT, (const void *const *)v, lens, n);
	free(lens);
	return r;
}

static int p_bind_int64_array(struct db_stmt *st, int i, const int64_t *v, const bool *set, size_t n)
{
	if (n > INT_MAX / 12)
		return -EXCISE_E_LIMIT;
	bool nulls = false;
	for (size_t k = 0; set && k < n; k++)
		nulls |= !set[k];
	size_t total = ARRAY_HEAD(n) + 12 * n;
	char *b = array_head(total, n, nulls, OID_INT8);
	if (!b)
		return -ENOMEM;
	char *p = b + ARRAY_HEAD(n);
	for (size_t k = 0; k < n; k++) {
		if (set && !set[k]) {
			p = put32(p, UINT32_MAX);
			continue;
		}
		uint64_t u = (uint64_t)v[k];
		p = put32(p, 8);
		p = put32(p, (uint32_t)(u >> 32));
		p = put32(p, (uint32_t)u);
	}
	return set_bin((struct pstmt *)st, i, b, (size_t)(p - b));
}

static int p_bind_text(struct db_stmt *st, int i, const char *v)
{
	char *c = strdup(v);
	return c ? set_val((struct pstmt *)st, i, c) : -ENOMEM;
}

static int p_bind_int64(struct db_stmt *st, int i, int64_t v)
{
	char buf[24];
	snprintf(buf, sizeof(buf), "%" PRId64, v);
	return p_bind_text(st, i, buf);
}

/* BYTEA's hex input form: "\\x" and two hex digits a byte. */
static int p_bind_blob(struct db_stmt *st, int i, const void *v, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	char *c = n <= (SIZE_MAX - 3) / 2 ? malloc(2 * n + 3) : NULL;
	if (!c)
		return -ENOMEM;
	const unsigned char *b = v;
	c[0] = '\\', c[1] = 'x';
	for (size_t k = 0; k < n; k++) {
		c[2 + 2 * k] = hex[b[k] >> 4];
		c[3 + 2 * k] = hex[b[k] & 15];
	}
	c[2 + 2 * n] = '\0';
	return set_val((struct pstmt *)st, i, c);
}

static int p_bind_null(struct db_stmt *st, int i)
{
	return set_val((struct pstmt *)st, i, NULL);
}

/*
 * Read the results of a pipeline: the d->pending statements sent, each result to the
 * statement that waits for it (d->kept), then the sync point; then leave pipeline
 * mode. The first error is returned (a statement after a failed one is aborted by
 * the server, and the transaction with it).
 */
static int drain(struct pdb *d, struct excise_err *err)
{
	int r = 0, want = d->pending, idx = 0;
	if (!PQpipelineSync(d->c))
		r = fail(d, NULL, err, "pipeline sync");
	for (;;) {
		PGresult *res = PQgetResult(d->c);
		if (!res) {
			if (idx++ > want) {
				/* nothing more will come: the connection is lost */
				if (r >= 0)
					r = fail(d, NULL, err, "reading a pipeline's results");
				break;
			}
			continue;
		}
		ExecStatusType t = PQresultStatus(res);
		if (t == PGRES_PIPELINE_SYNC) {
			PQclear(res);
			break;
		}
		if (t == PGRES_FATAL_ERROR && r >= 0)
			r = fail(d, res, err, "a statement sent in a pipeline");
		else if (t == PGRES_PIPELINE_ABORTED && r >= 0)
			r = err_set(err, -EIO, "database (postgresql): pipeline aborted");
		struct pstmt *k = idx < want ? d->kept[idx] : NULL;
		if (k && !k->res && (t == PGRES_TUPLES_OK || t == PGRES_COMMAND_OK)) {
			k->res = res;
			k->nrows = t == PGRES_TUPLES_OK ? PQntuples(res) : 0;
			k->row = -1;
		} else
			PQclear(res);
	}
	for (int i = 0; i < want; i++)
		if (d->kept[i])
			d->kept[i]->sent = false;
	d->pending = 0;
	if (!PQexitPipelineMode(d->c) && r >= 0)
		r = fail(d, NULL, err, "leaving pipeline mode");
	return r;
}

/* Prepared on this connection (again, after a new connection was made). */
static int ensure_prepared(struct pstmt *s, struct excise_err *err)
{
	struct pdb *d = s->db;
	int r = PQpipelineStatus(d->c) == PQ_PIPELINE_OFF ? revive(d, err) : 0;
	if (r < 0 || s->epoch == d->epoch)
		return r;
	if (PQpipelineStatus(d->c) != PQ_PIPELINE_OFF && (r = drain(d, err)) < 0)
		return r;
	PGresult *res = PQprepare(d->c, s->name, s->sql, s->nparams, NULL);
	r = PQresultStatus(res) == PGRES_COMMAND_OK ? 0 : fail(d, res, err, s->sql);
	PQclear(res);
	if (r >= 0)
		s->epoch = d->epoch;
	return r;
}

/* Send `s` in pipeline mode; its result goes to `keep` (may be NULL). */
static int pipe_send(struct pdb *d, struct pstmt *s, struct pstmt *keep, struct excise_err *err)
{
	int r = ensure_prepared(s, err);
	if (r < 0)
		return r;
	if (PQpipelineStatus(d->c) == PQ_PIPELINE_OFF && !PQenterPipelineMode(d->c))
		return fail(d, NULL, err, "entering pipeline mode");
	if (!PQsendQueryPrepared(d->c, s->name, s->nparams, (const char *const *)s->vals, s->n_bin ? s->lens : NULL,
				 s->n_bin ? s->fmts : NULL, 0))
		return fail(d, NULL, err, s->sql);
	d->kept[d->pending++] = keep;
	if (keep)
		keep->sent = true;
	return d->pending >= PG_MAX_PENDING ? drain(d, err) : 0;
}

static int p_step_defer(struct db_stmt *st, struct excise_err *err)
{
	struct pstmt *s = (struct pstmt *)st;
	int r = pipe_send(s->db, s, NULL, err);
	p_reset(st);
	return r;
}

static int p_send(struct db_stmt *st, struct excise_err *err)
{
	struct pstmt *s = (struct pstmt *)st;
	PQclear(s->res);
	s->res = NULL;
	return pipe_send(s->db, s, s, err);
}

static int p_step(struct db_stmt *st, struct excise_err *err)
{
	struct pstmt *s = (struct pstmt *)st;
	if (!s->res && (s->sent || PQpipelineStatus(s->db->c) != PQ_PIPELINE_OFF)) {
		/* sent with the pending statements, in one round trip */
		int r = s->sent ? 0 : pipe_send(s->db, s, s, err);
		if (r >= 0 && s->sent)
			r = drain(s->db, err);
		if (r < 0 || !s->res) {
			PQclear(s->res);
			s->res = NULL;
			return r < 0 ? r : err_set(err, -EIO, "database (postgresql): no result for '%.60s'", s->sql);
		}
	}
	if (!s->res) {
		int r = ensure_prepared(s, err);
		if (r < 0)
			return r;
		s->res = PQexecPrepared(s->db->c, s->name, s->nparams, (const char *const *)s->vals,
					s->n_bin ? s->lens : NULL, s->n_bin ? s->fmts : NULL, 0);
		ExecStatusType t = PQresultStatus(s->res);
		if (t != PGRES_TUPLES_OK && t != PGRES_COMMAND_OK) {
			r = fail(s->db, s->res, err, s->sql);
			PQclear(s->res);
			s->res = NULL;
			return r;
		}
		s->nrows = t == PGRES_TUPLES_OK ? PQntuples(s->res) : 0;
		s->row = -1;
	}
	if (s->row < s->nrows)
		s->row++;
	return s->row < s->nrows ? 1 : 0;
}

static void p_reset(struct db_stmt *st)
{
	struct pstmt *s = (struct pstmt *)st;
	if (s->sent)
		for (int i = 0; i < s->db->pending; i++)
			if (s->db->kept[i] == s)
				s->db->kept[i] = NULL;
	s->sent = false;
	PQclear(s->res);
	s->res = NULL;
	PQfreemem(s->blob);
	s->blob = NULL;
	for (int i = 0; i < s->nparams; i++) {
		free(s->vals[i]);
		s->vals[i] = NULL;
		s->fmts[i] = 0;
	}
	s->n_bin = 0;
}

static const char *p_column_text(struct db_stmt *st, int col)
{
	struct pstmt *s = (struct pstmt *)st;
	if (!s->res || s->row < 0 || s->row >= s->nrows || col >= PQnfields(s->res) ||
	    PQgetisnull(s->res, s->row, col))
		return NULL;
	return PQgetvalue(s->res, s->row, col);
}

static int p_column_blob(struct db_stmt *st, int col, const void **ret, size_t *len)
{
	struct pstmt *s = (struct pstmt *)st;
	const char *v = p_column_text(st, col);
	PQfreemem(s->blob);
	s->blob = NULL;
	*ret = NULL;
	*len = 0;
	if (!v)
		return 0;
	if (v[0] != '\\' || v[1] != 'x') /* bytea_output = hex, the default: the escape form is refused */
		return -EXCISE_E_CORRUPT;
	if (!(s->blob = PQunescapeBytea((const unsigned char *)v, len)))
		return -ENOMEM;
	*ret = s->blob;
	return 0;
}

static int64_t p_column_int64(struct db_stmt *st, int col)
{
	const char *v = p_column_text(st, col);
	return v ? strtoll(v, NULL, 10) : 0;
}

static bool p_column_null(struct db_stmt *st, int col)
{
	return p_column_text(st, col) == NULL;
}

static void p_finalize(struct db_stmt *st)
{
	struct pstmt *s = (struct pstmt *)st;
	p_reset(st);
	if (PQstatus(s->db->c) == CONNECTION_OK && PQpipelineStatus(s->db->c) == PQ_PIPELINE_OFF &&
	    PQtransactionStatus(s->db->c) == PQTRANS_IDLE) {
		char sql[48];
		snprintf(sql, sizeof(sql), "DEALLOCATE %s", s->name);
		PQclear(PQexec(s->db->c, sql));
	}
	free(s->sql);
	free(s);
}

const struct db_ops db_pg_ops = {
	.name = "postgresql",
	.open = p_open,
	.close = p_close,
	.exec = p_exec,
	.prepare = p_prepare,
	.bind_text = p_bind_text,
	.bind_int64 = p_bind_int64,
	.bind_null = p_bind_null,
	.bind_text_array = p_bind_text_array,
	.bind_int64_array = p_bind_int64_array,
	.bind_blob_array = p_bind_blob_array,
	.step = p_step,
	.step_defer = p_step_defer,
	.send = p_send,
	.reset = p_reset,
	.column_text = p_column_text,
	.bind_blob_static = p_bind_blob,
	.column_blob = p_column_blob,
	.column_int64 = p_column_int64,
	.column_null = p_column_null,
	.finalize = p_finalize,
	.session = p_session,
};
