/* SPDX-License-Identifier: Apache-2.0 */
/*
 * journal: the write-ahead record of one removal run. A run directory holds
 * plan.json (the plan, fsynced before the first step) and journal.jsonl, one
 * JSON object a line (excise.journal/1, docs/removal.md):
 *
 *   {"event":"start","schema":"excise.journal/1","run_id":..,"root":..,"quarantine":..,"steps":N,...}
 *   {"event":"begin","step":3,"time":..}
 *   {"event":"end","step":3,"outcome":"done","detail":..,"time":..}
 *   {"event":"restore","restored":n,"conflicts":m,"time":..}
 *
 * Every record is written whole and fdatasync'ed before the caller goes on, so
 * the action of a step happens only after its "begin" is on disk. A last line
 * without its newline (the process died inside write) is a record that never
 * was, and is ignored; anything else malformed is an error naming the line.
 */
#ifndef EXCISE_JOURNAL_H
#define EXCISE_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "core/macro.h"
#include "excise/error.h"
#include "excise/remove.h"

struct journal {
	int dir_fd;             /* the run directory */
	int fd;                 /* journal.jsonl, O_APPEND */
	char *dir;              /* its host path */
	char run_id[37];
};

/* What a journal says: the start record and the last outcome of every step. */
struct journal_state {
	char run_id[37];
	char *root;             /* host path of the root the run works on */
	char *quarantine;       /* host path of the quarantine store directory */
	size_t n_steps;
	enum excise_step_outcome *outcomes; /* n_steps; PENDING when no "end" yet */
	bool *begun;            /* n_steps; a "begin" was recorded */
	size_t *moved;          /* n_steps; objects the step moved into quarantine (its "end" record's "moved") */
	size_t n_restores;      /* "restore" records */
	size_t n_records;
};

/* Create <runs_dir>/<run_id>/ with plan.json and the start record. */
NODISCARD int journal_create(int runs_fd, const char *runs_dir, const char *run_id, const char *plan_json,
			     size_t plan_len, const char *root, const char *quarantine, size_t n_steps,
			     struct journal *ret, struct excise_err *err);

/* Lock the run directory `dir` against every other excise (a run, its resume, a
 * restore) before its journal or store is touched; *ret_fd holds the lock until
 * closed. -EBUSY when another holds it. */
NODISCARD int journal_lock(const char *dir, int *ret_fd, struct excise_err *err);

/* journal_lock, then journal_open: on success the caller closes *ret_lock_fd when done. */
NODISCARD int journal_open_locked(const char *dir, int *ret_lock_fd, struct journal *ret, char **ret_plan,
				  size_t *ret_plan_len, struct journal_state *st, struct excise_err *err);

/* Open an existing run directory for appending; reads plan.json (into *ret_plan,
 * free() it) and the journal (into *st). */
NODISCARD int journal_open(const char *dir, struct journal *ret, char **ret_plan, size_t *ret_plan_len,
			   struct journal_state *st, struct excise_err *err);

/* Read the journal of the run directory `dir` into *st, changing nothing (no lock, no repair). */
NODISCARD int journal_peek(const char *dir, struct journal_state *st, struct excise_err *err);

/* The same three on a run directory already opened (and checked: lib/remove/rundir.c)
 * as dir_fd, every file opened relative to it without following a link; `dir` names
 * it in messages. */
NODISCARD int journal_peek_at(int dir_fd, const char *dir, struct journal_state *st, struct excise_err *err);
NODISCARD int journal_open_at(int dir_fd, const char *dir, struct journal *ret, char **ret_plan,
			      size_t *ret_plan_len, struct journal_state *st, struct excise_err *err);
NODISCARD int journal_open_locked_at(int dir_fd, const char *dir, int *ret_lock_fd, struct journal *ret,
				     char **ret_plan, size_t *ret_plan_len, struct journal_state *st,
				     struct excise_err *err);

/* Open (or create) the file `name` of the run directory to append to: a step log,
 * backups.jsonl. Never through a link, never blocking, a regular file (else -EINVAL):
 * the fd or -errno. */
NODISCARD int journal_open_log(const struct journal *j, const char *name);

NODISCARD int journal_begin(struct journal *j, unsigned step, struct excise_err *err);
NODISCARD int journal_end(struct journal *j, unsigned step, enum excise_step_outcome o, const char *detail,
			  struct excise_err *err);
/* The end record with "moved": the objects the step moved into the quarantine store. */
NODISCARD int journal_end_moved(struct journal *j, unsigned step, enum excise_step_outcome o, const char *detail,
				size_t moved, struct excise_err *err);
NODISCARD int journal_restore(struct journal *j, size_t restored, size_t conflicts, struct excise_err *err);

void journal_close(struct journal *j);

/* Parse journal bytes (untrusted: bounded by EXCISE_MAX_JOURNAL_*). `name` labels errors. */
NODISCARD int journal_parse(const char *name, const char *bytes, size_t len, struct journal_state *st,
			    struct excise_err *err);
void journal_state_done(struct journal_state *st);

const char *journal_outcome_name(enum excise_step_outcome o);

#endif
