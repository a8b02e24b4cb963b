/* SPDX-License-Identifier: Apache-2.0 */
/* journal: the fsynced, append-only record of a removal run (see journal.h). */
#include "remove/journal.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/err.h"
#include "core/limits.h"
#include "core/root.h"
#include "core/text.h"

#define JOURNAL_FILE "journal.jsonl"
#define PLAN_FILE "plan.json"
#define JOURNAL_SCHEMA "excise.journal/1"

static const char *const outcome_names[] = {
	[EXCISE_STEP_PENDING] = "pending", [EXCISE_STEP_DONE] = "done",
	[EXCISE_STEP_ALREADY] = "already", [EXCISE_STEP_SKIPPED] = "skipped",
	[EXCISE_STEP_FAILED] = "failed",   [EXCISE_STEP_REFUSED] = "refused",
};

const char *journal_outcome_name(enum excise_step_outcome o)
{
	return (unsigned)o < sizeof(outcome_names) / sizeof(outcome_names[0]) ? outcome_names[o] : "?";
}

static int outcome_from_name(const char *s)
{
	for (size_t i = 0; i < sizeof(outcome_names) / sizeof(outcome_names[0]); i++)
		if (strcmp(s, outcome_names[i]) == 0)
			return (int)i;
	return -1;
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
	int r;
	if (mkdirat(runs_fd, run_id, 0700) < 0) {
		r = err_setc(err, -errno, "run directory '%s': mkdir", ret->dir);
		goto fail;
	}
	ret->dir_fd = openat(runs_fd, run_id, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
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
	/* the new names must survive a crash too */
	if (fsync(ret->dir_fd) < 0 || fsync(runs_fd) < 0) {
		r = err_setc(err, -errno, "run directory '%s': fsync", ret->dir);
		goto fail;
	}
	json_t *rec = json_pack("{s:s, s:s, s:s, s:s, s:s, s:I}", "event", "start", "schema", JOURNAL_SCHEMA,
				"run_id", run_id, "root", root, "quarantine", quarantine,
				"steps", (json_int_t)n_steps);
	r = append(ret, rec, err);
	if (r < 0)
		goto fail;
	return 0;
fail:
	journal_close(ret);
	return r;
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
	if (rec && detail && json_object_set_new(rec, "detail", json_string(detail)) < 0)
		json_object_set_new(rec, "detail", json_string("(detail not valid UTF-8)"));
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
	*st = (struct journal_state){ 0 };
}

static const char *get_str(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	return json_is_string(v) ? json_string_value(v) : NULL;
}

/* "step": an integer in 1..n. Returns the index or -1. */
static long get_step(json_t *o, size_t n)
{
	json_t *v = json_object_get(o, "step");
	if (!json_is_integer(v))
		return -1;
	json_int_t s = json_integer_value(v);
	return s >= 1 && (size_t)s <= n ? (long)(s - 1) : -1;
}

static int parse_start(const char *name, size_t line, json_t *o, struct journal_state *st, struct excise_err *err)
{
	const char *schema = get_str(o, "schema"), *id = get_str(o, "run_id");
	const char *root = get_str(o, "root"), *q = get_str(o, "quarantine");
	json_t *steps = json_object_get(o, "steps");
	if (!schema || strcmp(schema, JOURNAL_SCHEMA) != 0)
		return err_set(err, -EXCISE_E_CORRUPT, "journal '%s': line %zu: schema is not " JOURNAL_SCHEMA,
			       name, line);
	if (!id || strlen(id) != 36 || !root || root[0] != '/' || !q || q[0] != '/' || !json_is_integer(steps))
		return err_set(err, -EXCISE_E_CORRUPT,
			       "journal '%s': line %zu: the start record needs run_id, root, quarantine and steps",
			       name, line);
	json_int_t n = json_integer_value(steps);
	if (n < 0 || n > EXCISE_MAX_JOURNAL_STEPS)
		return err_set(err, -EXCISE_E_LIMIT, "journal '%s': line %zu: %lld steps (at most %u)", name, line,
			       (long long)n, EXCISE_MAX_JOURNAL_STEPS);
	memcpy(st->run_id, id, 37);
	st->n_steps = (size_t)n;
	st->root = strdup(root);
	st->quarantine = strdup(q);
	st->outcomes = calloc(st->n_steps + 1, sizeof(*st->outcomes));
	st->begun = calloc(st->n_steps + 1, sizeof(*st->begun));
	if (!st->root || !st->quarantine || !st->outcomes || !st->begun)
		return err_set(err, -ENOMEM, "out of memory");
	return 0;
}

static int parse_record(const char *name, size_t line, json_t *o, struct journal_state *st, struct excise_err *err)
{
	const char *ev = get_str(o, "event");
	if (!ev)
		return err_set(err, -EXCISE_E_CORRUPT, "journal '%s': line %zu: no \"event\"", name, line);
	if (line == 1) {
		if (strcmp(ev, "start") != 0)
			return err_set(err, -EXCISE_E_CORRUPT, "journal '%s': line 1: not a start record", name);
		return parse_start(name, line, o, st, err);
	}
	if (strcmp(ev, "begin") == 0 || strcmp(ev, "end") == 0) {
		long i = get_step(o, st->n_steps);
		if (i < 0)
			return err_set(err, -EXCISE_E_CORRUPT, "journal '%s': line %zu: \"step\" not in 1..%zu", name,
				       line, st->n_steps);
		if (ev[0] == 'b') {
			st->begun[i] = true;
			return 0;
		}
		const char *oc = get_str(o, "outcome");
		int v = oc ? outcome_from_name(oc) : -1;
		if (v <= EXCISE_STEP_PENDING)
			return err_set(err, -EXCISE_E_CORRUPT, "journal '%s': line %zu: bad \"outcome\"", name, line);
		if (!st->begun[i])
			return err_set(err, -EXCISE_E_CORRUPT, "journal '%s': line %zu: step %ld ends without a begin",
				       name, line, i + 1);
		st->outcomes[i] = (enum excise_step_outcome)v;
		return 0;
	}
	if (strcmp(ev, "restore") == 0) {
		st->n_restores++;
		return 0;
	}
	return err_set(err, -EXCISE_E_CORRUPT, "journal '%s': line %zu: unknown event", name, line);
}

int journal_parse(const char *name, const char *bytes, size_t len, struct journal_state *st, struct excise_err *err)
{
	*st = (struct journal_state){ 0 };
	if (len > EXCISE_MAX_JOURNAL_SIZE)
		return err_set(err, -EXCISE_E_TOOBIG, "journal '%s': %zu bytes (at most %u)", name, len,
			       EXCISE_MAX_JOURNAL_SIZE);
	size_t line = 0, off = 0;
	int r = 0;
	while (off < len) {
		const char *nl = memchr(bytes + off, '\n', len - off);
		if (!nl)
			break; /* torn last record: it never was */
		size_t ll = (size_t)(nl - (bytes + off));
		line++;
		if (line > EXCISE_MAX_JOURNAL_RECORDS) {
			r = err_set(err, -EXCISE_E_LIMIT, "journal '%s': more than %u records", name,
				    EXCISE_MAX_JOURNAL_RECORDS);
			break;
		}
		json_error_t je;
		json_t *o = json_loadb(bytes + off, ll, JSON_REJECT_DUPLICATES, &je);
		if (!json_is_object(o)) {
			json_decref(o);
			r = err_set(err, -EXCISE_E_CORRUPT, "journal '%s': line %zu: not a JSON object%s%s", name,
				    line, o ? "" : ": ", o ? "" : je.text);
			break;
		}
		r = parse_record(name, line, o, st, err);
		json_decref(o);
		if (r < 0)
			break;
		off += ll + 1;
	}
	if (r == 0 && line == 0)
		r = err_set(err, -EXCISE_E_CORRUPT, "journal '%s': no start record", name);
	st->n_records = line;
	if (r < 0)
		journal_state_done(st);
	return r;
}

static int read_at(int dir_fd, const char *dir, const char *name, size_t max, char **ret, size_t *ret_len,
		   struct excise_err *err)
{
	int fd = openat(dir_fd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return err_setc(err, -errno, "'%s/%s': open", dir, name);
	int r = read_fd_all(fd, max, ret, ret_len);
	close(fd);
	if (r < 0)
		return err_setc(err, r, "'%s/%s': read", dir, name);
	return 0;
}

int journal_open(const char *dir, struct journal *ret, char **ret_plan, size_t *ret_plan_len,
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
	ret->dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
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
	ret->fd = openat(ret->dir_fd, JOURNAL_FILE, O_WRONLY | O_APPEND | O_CLOEXEC | O_NOFOLLOW);
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

int journal_lock(const char *dir, int *ret_fd, struct excise_err *err)
{
	*ret_fd = -1;
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
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

int journal_open_locked(const char *dir, int *ret_lock_fd, struct journal *ret, char **ret_plan,
			size_t *ret_plan_len, struct journal_state *st, struct excise_err *err)
{
	int r = journal_lock(dir, ret_lock_fd, err);
	if (r == 0)
		r = journal_open(dir, ret, ret_plan, ret_plan_len, st, err);
	if (r < 0 && *ret_lock_fd >= 0) {
		close(*ret_lock_fd);
		*ret_lock_fd = -1;
	}
	return r;
}
