/* SPDX-License-Identifier: Apache-2.0 */
/*
 * summary: excise.removal/1, the summary of one removal run that `excise submit
 * RUN_DIR` sends to a collector (the shape is in include/excise/store.h), made
 * from the run directory's journal and plan, read as untrusted input: relative
 * to the directory's descriptor, no link followed, each file bounded.
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/err.h"
#include "core/limits.h"
#include "core/root.h"
#include "excise/plan.h"
#include "excise/remove.h"
#include "remove/journal.h"

#define REMOVAL_SCHEMA "excise.removal/1"

static int read_at(int dfd, const char *dir, const char *name, size_t max, char **ret, size_t *ret_len,
		   struct excise_err *err)
{
	int fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return err_setc(err, -errno, "run directory '%s': %s", dir, name);
	struct stat st;
	int r = fstat(fd, &st) < 0 ? -errno : !S_ISREG(st.st_mode) ? -EXCISE_E_SPECIAL : 0;
	if (r == 0)
		r = read_fd_all(fd, max, ret, ret_len);
	close(fd);
	return r < 0 ? err_setc(err, r, "run directory '%s': %s", dir, name) : 0;
}

/* The "time" of the journal's first record and of its last one. */
static void journal_times(const char *data, size_t len, json_t **first, json_t **last)
{
	*first = *last = NULL;
	for (size_t off = 0; off < len;) {
		const char *nl = memchr(data + off, '\n', len - off);
		if (!nl)
			break;  /* a torn last line never was */
		json_t *o = json_loadb(data + off, (size_t)(nl - (data + off)), 0, NULL);
		json_t *t = json_object_get(o, "time");
		if (json_is_string(t)) {
			if (!*first)
				*first = json_incref(t);
			json_decref(*last);
			*last = json_incref(t);
		}
		json_decref(o);
		off = (size_t)(nl - data) + 1;
	}
}

int excise_removal_summary(const char *run_dir, char **ret, size_t *ret_len, struct excise_err *err)
{
	*ret = NULL;
	*ret_len = 0;
	int dfd = open(run_dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0)
		return err_setc(err, -errno, "run directory '%s'", run_dir);
	struct journal_state st = { 0 };
	char *plan_text = NULL, *jtext = NULL;
	size_t plan_len = 0, jlen = 0;
	struct excise_plan *p = NULL;
	json_t *first = NULL, *last = NULL, *o = NULL;
	int r = journal_peek_at(dfd, run_dir, &st, err);
	if (r >= 0)
		r = read_at(dfd, run_dir, "plan.json", EXCISE_MAX_PLAN_SIZE, &plan_text, &plan_len, err);
	if (r >= 0)
		r = excise_plan_read_json("plan.json", plan_text, plan_len, &p, err);
	if (r >= 0 && p->n_steps != st.n_steps)
		r = err_set(err, -EXCISE_E_CORRUPT, "run directory '%s': the journal counts %zu steps, its plan %zu",
			    run_dir, st.n_steps, p->n_steps);
	if (r >= 0)
		r = read_at(dfd, run_dir, "journal.jsonl", EXCISE_MAX_JOURNAL_SIZE, &jtext, &jlen, err);
	if (r < 0)
		goto done;
	journal_times(jtext, jlen, &first, &last);
	size_t done = 0, failed = 0, skipped = 0, pending = 0;
	for (size_t i = 0; i < st.n_steps; i++) {
		switch (st.outcomes[i]) {
		case EXCISE_STEP_DONE:
		case EXCISE_STEP_ALREADY: done++; break;
		case EXCISE_STEP_SKIPPED: skipped++; break;
		case EXCISE_STEP_FAILED:
		case EXCISE_STEP_REFUSED: failed++; break;
		case EXCISE_STEP_PENDING: pending++; break;
		}
	}
	/* running: another excise holds the run's lock (a run, its resume, a restore) */
	bool running = false;
	int lfd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (lfd >= 0) {
		running = flock(lfd, LOCK_SH | LOCK_NB) < 0 && errno == EWOULDBLOCK;
		close(lfd);
	}
	const char *status = failed ? "failed" : !pending ? "done" : running ? "running" : "partial";
	bool finished = !running && (failed || !pending);
	json_t *products = json_array();
	for (size_t i = 0; products && i < p->n_steps; i++) {
		const char *id = p->steps[i].product;
		bool seen = !id || !*id;
		for (size_t k = 0; !seen && k < json_array_size(products); k++)
			seen = strcmp(json_string_value(json_array_get(products, k)), id) == 0;
		if (!seen)
			json_array_append_new(products, json_string(id));
	}
	o = json_pack("{s:s,s:s,s:{s:s?,s:s?},s:s?,s:O?,s:O?,s:s,s:{s:I,s:I,s:I,s:I},s:o?}", "schema",
		      REMOVAL_SCHEMA, "run_id", st.run_id, "host", "machine_id", p->machine_id, "hostname",
		      p->hostname, "root", st.root, "started", first, "finished", finished ? last : NULL, "status",
		      status, "steps", "total", (json_int_t)st.n_steps, "done", (json_int_t)done, "failed",
		      (json_int_t)failed, "skipped", (json_int_t)skipped, "products", products);
	char *text = o ? json_dumps(o, JSON_INDENT(2) | JSON_ENSURE_ASCII) : NULL;
	if (!text) {
		r = err_set(err, -ENOMEM, "out of memory");
		goto done;
	}
	size_t n = strlen(text);
	char *t2 = realloc(text, n + 2);
	if (!t2) {
		free(text);
		r = err_set(err, -ENOMEM, "out of memory");
		goto done;
	}
	t2[n] = '\n';
	t2[n + 1] = 0;
	*ret = t2;
	*ret_len = n + 1;
done:
	json_decref(o);
	json_decref(first);
	json_decref(last);
	excise_plan_free(p);
	free(plan_text);
	free(jtext);
	journal_state_done(&st);
	close(dfd);
	return r;
}
