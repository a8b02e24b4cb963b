/* SPDX-License-Identifier: Apache-2.0 */
/* journal: the fsynced, append-only record of a removal run (see journal.h). */
#include "remove/journal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <inttypes.h>
#include <jansson.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/doc.h"
#include "core/err.h"
#include "core/jsonbytes.h"
#include "core/limits.h"
#include "core/root.h"
#include "core/text.h"

#define JOURNAL_FILE "journal.jsonl"
#define PLAN_FILE "plan.json"
#define JOURNAL_SCHEMA "excise.journal/1"

static const char *const outcome_names[] = {
	[EXCISE_STEP_PENDING] = "pending", [EXCISE_STEP_DONE] = "done",
	[EXCISE_STEP_ALREADY] = "already", [EXCISE_STEP_SKIPPED] = "skipped",
	[EXCISE_STEP_FAILED] = "failed",   [EXCISE_STEP_REFUSED] = "refused", NULL,
};

const char *journal_outcome_name(enum excise_step_outcome o)
{
	return (unsigned)o < ARRAY_SIZE(outcome_names) - 1 ? outcome_names[o] : "?";
}

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Append one record (a JSON object; "time" is added) and make it durable. */
static int append(struct journal *j, json_t *rec, struct excise_err *err)
{
	char when[32];
	time_rfc3339(now_ns(), when);
	if (!rec || json_object_set_new(rec, "time", json_string(when)) < 0) {
		json_decref(rec);
		return err_set(err, -ENOMEM, "out of memory");
	}
	char *line = json_dumps(rec, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII);
	json_decref(rec);
	if (!line)
		return err_set(err, -ENOMEM, "out of memory");
	size_t len = strlen(line);
	line[len] = '\n'; /* json_dumps' NUL becomes the newline; written as one write(2) where it fits */
	int r = write_fd_all(j->fd, line, len + 1);
	free(line);
	if (r < 0)
		return err_setc(err, r, "journal '%s/" JOURNAL_FILE "': write", j->dir);
	if (fdatasync(j->fd) < 0)
		return err_setc(err, -errno, "journal '%s/" JOURNAL_FILE "': fdatasync", j->dir);
	return 0;
}

static int write_file_synced(int dir_fd, const char *dir, const char *name, const char *data, size_t len,
			     struct excise_err *err)
{
	int fd = openat(dir_fd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return err_setc(err, -errno, "'%s/%s': create", dir, name);
	int r = write_fd_all(fd, data, len);
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	close(fd);
	if (r < 0)
		return err_setc(err, r, "'%s/%s': write", dir, name);
	return 0;
}

/* A run directory made under a hidden name is taken away again: nothing was done yet. */
static void drop_new(int runs_fd, int dir_fd, const char *tmp)
{
	if (dir_fd >= 0) {
		(void)unlinkat(dir_fd, JOURNAL_FILE, 0);
		(void)unlinkat(dir_fd, PLAN_FILE, 0);
	}
	(void)unlinkat(runs_fd, tmp, AT_REMOVEDIR);
}

/*
 * The run directory appears whole or not at all: it is made under a hidden name
 * (".RUN_ID.new"), given the plan and the journal's start record (both fsynced), and
 * only then renamed to RUN_ID. A run killed before the rename did nothing yet and left
 * no run directory (at most the hidden one, which nothing reads); one killed after it
 * can always be resumed.
 */
int journal_create(int runs_fd, const char *runs_dir, const char *run_id, const char *plan_json,
		   size_t plan_len, const char *root, const char *quarantine, size_t n_steps,
		   struct journal *ret, struct excise_err *err)
{
	*ret = (struct journal){ .dir_fd = -1, .fd = -1 };
	if (strlen(run_id) != 36)
		return err_set(err, -EXCISE_E_USAGE, "run id '%s' is not a UUID", run_id);
	memcpy(ret->run_id, run_id, 37);
	ret->dir = path_join(runs_dir, run_id);
	if (!ret->dir)
		return err_set(err, -ENOMEM, "out of memory");
	char tmp[48];
	snprintf(tmp, sizeof(tmp), ".%s.new", run_id);
	int r;
	struct stat st;
	errno = EEXIST; /* a run directory is never reused */
	if (fstatat(runs_fd, run_id, &st, AT_SYMLINK_NOFOLLOW) == 0 || mkdirat(runs_fd, tmp, 0700) < 0) {
		r = err_setc(err, -errno, "run directory '%s': mkdir", ret->dir);
		journal_close(ret);
		return r;
	}
	ret->dir_fd = openat(runs_fd, tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (ret->dir_fd < 0) {
		r = err_setc(err, -errno, "run directory '%s': open", ret->dir);
		goto fail;
	}
	r = write_file_synced(ret->dir_fd, ret->dir, PLAN_FILE, plan_json, plan_len, err);
	if (r < 0)
		goto fail;
	ret->fd = openat(ret->dir_fd, JOURNAL_FILE, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC | O_NOFOLLOW,
			 0600);
	if (ret->fd < 0) {
		r = err_setc(err, -errno, "journal '%s/" JOURNAL_FILE "': create", ret->dir);
		goto fail;
	}
	json_t *rec = json_pack("{s:s, s:s, s:s, s:s, s:s, s:I}", "event", "start", "schema", JOURNAL_SCHEMA,
				"run_id", run_id, "root", root, "quarantine", quarantine,
				"steps", (json_int_t)n_steps);
	r = append(ret, rec, err);
	if (r < 0)
		goto fail;
	/* the files' names, then the run directory's, must survive a crash too */
	if (fsync(ret->dir_fd) < 0) {
		r = err_setc(err, -errno, "run directory '%s': fsync", ret->dir);
		goto fail;
	}
	r = renameat2(runs_fd, tmp, runs_fd, run_id, RENAME_NOREPLACE);
	if (r < 0 && errno == EINVAL) /* a file system without it: checked absent above */
		r = renameat(runs_fd, tmp, runs_fd, run_id);
	if (r < 0) {
		r = err_setc(err, -errno, "run directory '%s': rename from '%s'", ret->dir, tmp);
		goto fail;
	}
	if (fsync(runs_fd) < 0) {
		r = err_setc(err, -errno, "run directory '%s': fsync", runs_dir);
		journal_close(ret);
		return r;
	}
	return 0;
fail:
	drop_new(runs_fd, ret->dir_fd, tmp);
	journal_close(ret);
	return r;
}

int journal_open_log(const struct journal *j, const char *name)
{
	int fd = openat(j->dir_fd, name, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY,
			0600);
	struct stat st;
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return -EINVAL;
	}
	return fd;
}

int journal_begin(struct journal *j, unsigned step, struct excise_err *err)
{
	return append(j, json_pack("{s:s, s:I}", "event", "begin", "step", (json_int_t)step), err);
}

int journal_end(struct journal *j, unsigned step, enum excise_step_outcome o, const char *detail,
		struct excise_err *err)
{
	json_t *rec = json_pack("{s:s, s:I, s:s}", "event", "end", "step", (json_int_t)step, "outcome",
				journal_outcome_name(o));
	/* a detail naming a path that is not UTF-8 keeps its bytes: detail_hex */
	if (rec && detail && json_set_bytes(rec, "detail", detail, strlen(detail)) < 0) {
		json_decref(rec);
		rec = NULL;
	}
	return append(j, rec, err);
}

int journal_end_moved(struct journal *j, unsigned step, enum excise_step_outcome o, const char *detail,
		      size_t moved, struct excise_err *err)
{
	json_t *rec = json_pack("{s:s, s:I, s:s, s:I}", "event", "end", "step", (json_int_t)step, "outcome",
				journal_outcome_name(o), "moved", (json_int_t)moved);
	/* a detail naming a path that is not UTF-8 keeps its bytes: detail_hex */
	if (rec && detail && json_set_bytes(rec, "detail", detail, strlen(detail)) < 0) {
		json_decref(rec);
		rec = NULL;
	}
	return append(j, rec, err);
}

int journal_restore(struct journal *j, size_t restored, size_t conflicts, struct excise_err *err)
{
	return append(j, json_pack("{s:s, s:I, s:I}", "event", "restore", "restored", (json_int_t)restored,
				   "conflicts", (json_int_t)conflicts), err);
}

void journal_close(struct journal *j)
{
	if (j->fd >= 0)
		close(j->fd);
	if (j->dir_fd >= 0)
		close(j->dir_fd);
	free(j->dir);
	*j = (struct journal){ .dir_fd = -1, .fd = -1 };
}

void journal_state_done(struct journal_state *st)
{
	free(st->root);
	free(st->quarantine);
	free(st->outcomes);
	free(st->begun);
	free(st->moved);
	*st = (struct journal_state){ 0 };
}

/* ---- reading ---- */

enum { EV_START, EV_BEGIN, EV_END, EV_RESTORE };
static const char *const events[] = { "start", "begin", "end", "restore", NULL };

struct record {
	int event;
	const char *run_id, *root, *quarantine;
	int64_t steps;
	int64_t step;
	int outcome;
	int64_t moved;
};

/* "steps": a count a start record announces, within EXCISE_MAX_JOURNAL_STEPS. */
static int steps_field(struct doc *d, const struct doc_field *f, json_t *v, void *ret)
{
	(void)f;
	json_int_t n = json_integer_value(v);
	if (n < 0 || n > EXCISE_MAX_JOURNAL_STEPS)
		return doc_failc(d, -EXCISE_E_LIMIT, "%lld steps (at most %u)", (long long)n, EXCISE_MAX_JOURNAL_STEPS);
	*(int64_t *)ret = n;
	return 0;
}

static const char *const journal_schema[] = { JOURNAL_SCHEMA, NULL };

static const struct doc_field start_fields[] = {
	{ "schema", DOC_STRING, NULL, 0, DOC_REQUIRED, .values = journal_schema },
	{ "run_id", DOC_STRING, doc_string, offsetof(struct record, run_id), DOC_REQUIRED, .min = 36, .max = 36 },
	{ "root", DOC_STRING, doc_string, offsetof(struct record, root), DOC_REQUIRED | DOC_ABSOLUTE },
	{ "quarantine", DOC_STRING, doc_string, offsetof(struct record, quarantine), DOC_REQUIRED | DOC_ABSOLUTE },
	{ "steps", DOC_INTEGER, steps_field, offsetof(struct record, steps), DOC_REQUIRED },
	{ 0 },
};
static const struct doc_table start_table = { start_fields, DOC_UNKNOWN_IGNORE, NULL, NULL };

/* "step": 1..n of the start record */
static int step_field(struct doc *d, const struct doc_field *f, json_t *v, void *ret)
{
	(void)f;
	const struct journal_state *st = d->userdata;
	json_int_t s = json_integer_value(v);
	if (s < 1 || (uint64_t)s > st->n_steps)
		return doc_fail(d, "expected an integer from 1 to %zu", st->n_steps);
	*(int64_t *)ret = s;
	return 0;
}

static const struct doc_field step_fields[] = {
	{ "step", DOC_INTEGER, step_field, offsetof(struct record, step), DOC_REQUIRED },
	{ 0 },
};
static const struct doc_table step_table = { step_fields, DOC_UNKNOWN_IGNORE, NULL, NULL };

/* "moved": objects one step moved, within EXCISE_MAX_QUARANTINE_OBJECTS */
static int moved_field(struct doc *d, const struct doc_field *f, json_t *v, void *ret)
{
	(void)f;
	json_int_t n = json_integer_value(v);
	if (n < 0 || n > EXCISE_MAX_QUARANTINE_OBJECTS)
		return doc_failc(d, -EXCISE_E_LIMIT, "%lld objects moved (at most %u)", (long long)n,
				 EXCISE_MAX_QUARANTINE_OBJECTS);
	*(int64_t *)ret = n;
	return 0;
}

static const struct doc_field end_fields[] = {
	{ "step", DOC_INTEGER, step_field, offsetof(struct record, step), DOC_REQUIRED },
	{ "outcome", DOC_STRING, doc_enum, offsetof(struct record, outcome), DOC_REQUIRED,
	  .min = EXCISE_STEP_PENDING + 1, .values = outcome_names },
	{ "moved", DOC_INTEGER, moved_field, offsetof(struct record, moved), 0 },
	{ 0 },
};
static const struct doc_table end_table = { end_fields, DOC_UNKNOWN_IGNORE, NULL, NULL };

static int parse_start(struct doc *d, json_t *o, struct journal_state *st)
{
	struct record rec = { 0 };
	int r = doc_dispatch(d, o, &start_table, &rec);
	if (r < 0)
		return r;
	memcpy(st->run_id, rec.run_id, 37);
	st->n_steps = (size_t)rec.steps;
	st->root = strdup(rec.root);
	st->quarantine = strdup(rec.quarantine);
	st->outcomes = calloc(st->n_steps + 1, sizeof(*st->outcomes));
	st->begun = calloc(st->n_steps + 1, sizeof(*st->begun));
	st->moved = calloc(st->n_steps + 1, sizeof(*st->moved));
	if (!st->root || !st->quarantine || !st->outcomes || !st->begun || !st->moved)
		return doc_failc(d, -ENOMEM, "out of memory");
	return 0;
}

static int parse_record(struct doc *d, json_t *o, void *userdata)
{
	struct journal_state *st = userdata;
	struct record rec = { 0 };
	int r = doc_event(d, o, events, EV_START, &rec.event);
	if (r < 0)
		return r;
	switch (rec.event) {
	case EV_START:
		return parse_start(d, o, st);
	case EV_BEGIN:
		r = doc_dispatch(d, o, &step_table, &rec);
		if (r >= 0)
			st->begun[rec.step - 1] = true;
		return r;
	case EV_END:
		r = doc_dispatch(d, o, &end_table, &rec);
		if (r < 0)
			return r;
		if (!st->begun[rec.step - 1])
			return doc_fail(d, "step %" PRId64 " ends without a begin", rec.step);
		st->outcomes[rec.step - 1] = (enum excise_step_outcome)rec.outcome;
		st->moved[rec.step - 1] = (size_t)rec.moved;
		return 0;
	default:
		st->n_restores++;
		return 0;
	}
}

int journal_parse(const char *name, const char *bytes, size_t len, struct journal_state *st, struct excise_err *err)
{
	*st = (struct journal_state){ 0 };
	struct doc d;
	doc_init(&d, "journal", name, err);
	d.userdata = st;
	int r = doc_size(&d, len, EXCISE_MAX_JOURNAL_SIZE);
	if (r >= 0)
		r = doc_lines(&d, bytes, len, EXCISE_MAX_JOURNAL_RECORDS, parse_record, st, &st->n_records);
	if (r >= 0 && st->n_records == 0)
		r = doc_fail(&d, "no start record");
	if (r < 0)
		journal_state_done(st);
	return r;
}

static int read_at(int dir_fd, const char *dir, const char *name, size_t max, char **ret, size_t *ret_len,
		   struct excise_err *err)
{
	int fd = openat(dir_fd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0)
		return err_setc(err, -errno, "'%s/%s': open", dir, name);
	int r = read_fd_all(fd, max, ret, ret_len);
	close(fd);
	if (r < 0)
		return err_setc(err, r, "'%s/%s': read", dir, name);
	return 0;
}

int journal_peek_at(int dir_fd, const char *dir, struct journal_state *st, struct excise_err *err)
{
	*st = (struct journal_state){ 0 };
	char *text = NULL;
	size_t len = 0;
	int r = read_at(dir_fd, dir, JOURNAL_FILE, EXCISE_MAX_JOURNAL_SIZE, &text, &len, err);
	if (r < 0)
		return r;
	char name[4096];
	snprintf(name, sizeof(name), "%s/" JOURNAL_FILE, dir);
	r = journal_parse(name, text, len, st, err);
	free(text);
	return r;
}

int journal_peek(const char *dir, struct journal_state *st, struct excise_err *err)
{
	*st = (struct journal_state){ 0 };
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0)
		return err_setc(err, -errno, "run directory '%s': open", dir);
	int r = journal_peek_at(dfd, dir, st, err);
	close(dfd);
	return r;
}

int journal_open_at(int dir_fd, const char *dir, struct journal *ret, char **ret_plan, size_t *ret_plan_len,
		    struct journal_state *st, struct excise_err *err)
{
	*ret = (struct journal){ .dir_fd = -1, .fd = -1 };
	*st = (struct journal_state){ 0 };
	*ret_plan = NULL;
	ret->dir = strdup(dir);
	if (!ret->dir)
		return err_set(err, -ENOMEM, "out of memory");
	char *text = NULL;
	size_t len = 0;
	int r;
	ret->dir_fd = dir_fd >= 0 ? fcntl(dir_fd, F_DUPFD_CLOEXEC, 3) :
		      open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (ret->dir_fd < 0) {
		r = err_setc(err, -errno, "run directory '%s': open", dir);
		goto fail;
	}
	r = read_at(ret->dir_fd, dir, JOURNAL_FILE, EXCISE_MAX_JOURNAL_SIZE, &text, &len, err);
	if (r < 0)
		goto fail;
	char name[4096];
	snprintf(name, sizeof(name), "%s/" JOURNAL_FILE, dir);
	r = journal_parse(name, text, len, st, err);
	if (r < 0)
		goto fail;
	/* a torn last record is cut off, so the next one starts on a line of its own */
	const char *nl = len ? memrchr(text, '\n', len) : NULL;
	size_t keep = nl ? (size_t)(nl - text) + 1 : 0;
	ret->fd = openat(ret->dir_fd, JOURNAL_FILE, O_WRONLY | O_APPEND | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (ret->fd < 0 || (keep < len && ftruncate(ret->fd, (off_t)keep) < 0)) {
		r = err_setc(err, -errno, "journal '%s': open for append", name);
		goto fail;
	}
	memcpy(ret->run_id, st->run_id, 37);
	r = read_at(ret->dir_fd, dir, PLAN_FILE, EXCISE_MAX_JOURNAL_SIZE, ret_plan, ret_plan_len, err);
	if (r < 0)
		goto fail;
	free(text);
	return 0;
fail:
	free(text);
	journal_state_done(st);
	journal_close(ret);
	return r;
}

int journal_open(const char *dir, struct journal *ret, char **ret_plan, size_t *ret_plan_len,
		 struct journal_state *st, struct excise_err *err)
{
	return journal_open_at(-1, dir, ret, ret_plan, ret_plan_len, st, err);
}

/* The lock is taken on a description of its own (flock locks belong to one), opened
 * from dir_fd when it is given. */
static int lock_at(int dir_fd, const char *dir, int *ret_fd, struct excise_err *err)
{
	*ret_fd = -1;
	int fd = dir_fd >= 0 ? openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC) :
			       open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return err_setc(err, -errno, "run directory '%s'", dir);
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		int e = errno;
		close(fd);
		return e == EWOULDBLOCK ? err_set(err, -EBUSY, "run '%s' is being carried out or restored by another "
						  "excise", dir)
					: err_setc(err, -e, "run directory '%s': lock", dir);
	}
	*ret_fd = fd;
	return 0;
}

int journal_lock(const char *dir, int *ret_fd, struct excise_err *err)
{
	return lock_at(-1, dir, ret_fd, err);
}

int journal_open_locked_at(int dir_fd, const char *dir, int *ret_lock_fd, struct journal *ret, char **ret_plan,
			   size_t *ret_plan_len, struct journal_state *st, struct excise_err *err)
{
	int r = lock_at(dir_fd, dir, ret_lock_fd, err);
	if (r == 0)
		r = journal_open_at(dir_fd, dir, ret, ret_plan, ret_plan_len, st, err);
	if (r < 0 && *ret_lock_fd >= 0) {
		close(*ret_lock_fd);
		*ret_lock_fd = -1;
	}
	return r;
}

int journal_open_locked(const char *dir, int *ret_lock_fd, struct journal *ret, char **ret_plan,
			size_t *ret_plan_len, struct journal_state *st, struct excise_err *err)
{
	return journal_open_locked_at(-1, dir, ret_lock_fd, ret, ret_plan, ret_plan_len, st, err);
}
