/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Removal: carry out a plan (include/excise/plan.h) on a live Linux host or an
 * offline Linux root, journaled so that a run killed at any instant can be
 * resumed, with every removed file kept in a quarantine store so that it can be
 * restored byte-exact.
 *
 *   run directory  /var/lib/excise/runs/<run id>/ on the host, an offline root's too (or
 *                  opts.runs_dir/<run id>); never inside the offline root it acts on
 *     plan.json       the plan being carried out (excise.plan/1), written first
 *     journal.jsonl   one JSON object a line, appended and fsynced before and after every step
 *     step-N.log      what the commands of step N printed
 *     manifest.jsonl  the quarantine's manifest (lib/remove/quarantine.h)
 *   quarantine     <root>/var/lib/excise/quarantine/<run id>/data/ (lib/remove/quarantine.h): the
 *                  moved bytes alone, on the root's filesystem
 *
 * docs/removal.md describes the journal and the safety rules.
 */
#ifndef EXCISE_REMOVE_H
#define EXCISE_REMOVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "excise/catalog.h"
#include "excise/error.h"
#include "excise/plan.h"

#ifdef __cplusplus
extern "C" {
#endif

enum excise_step_outcome {
	EXCISE_STEP_PENDING,   /* not reached (or a dry run) */
	EXCISE_STEP_DONE,      /* carried out and checked */
	EXCISE_STEP_ALREADY,   /* nothing to do: already gone */
	EXCISE_STEP_SKIPPED,   /* not applicable here (a live-only step on an offline root, a fallback not needed) */
	EXCISE_STEP_FAILED,
	EXCISE_STEP_REFUSED,   /* a safety rule refused it; nothing was touched */
};

/* Called for every step as it starts (outcome PENDING) and ends. In a dry run (apply
 * false) it is called the same way for every step, before the preflight, with the
 * outcome the step would have (DONE: would be done; ALREADY, SKIPPED, REFUSED) and a
 * detail of one line each: "run: ARGV" for a command as it would be spawned, "move:
 * PATH" for a path it would move, "already gone: PATH", or why. */
typedef void (*excise_remove_log_fn)(void *userdata, const struct excise_plan_step *step, size_t n_steps,
				     enum excise_step_outcome outcome, const char *detail);
/* Called after each journal record is on disk: "begin" or "end" of step `step_id`.
 * Tests use it to kill the process at each point in turn. */
typedef void (*excise_remove_hook_fn)(void *userdata, unsigned step_id, const char *event);

struct excise_remove_opts {
	const struct excise_catalog *catalog; /* the catalog the plan was made with */
	bool apply;                /* false: a dry run that checks and reports, changing nothing */
	const char *runs_dir;      /* absolute host path; NULL: <root>/var/lib/excise/runs */
	const char *quarantine_dir;/* absolute host path; NULL: <root>/var/lib/excise/quarantine */
	excise_remove_log_fn log;
	excise_remove_hook_fn hook;
	void *userdata;
	const char *root;          /* the root the operator named (--root), NULL: none; must be the
				    * plan's root, else refused before anything is touched. A resumed run
				    * acts on this root alone (NULL: the live host) and its records must
				    * agree with it (excise_run_open) */
};

struct excise_remove_result {
	char run_id[37];
	char *run_dir;             /* host path of the run directory, NULL on a dry run */
	enum excise_step_outcome *outcomes; /* one per plan step */
	size_t n_steps;
	size_t n_done, n_already, n_skipped, n_failed, n_refused;
	size_t n_moved;            /* objects moved into the quarantine store (journal: "moved" of each end) */
	size_t n_purged;           /* package steps done: packages the package manager removed */
	bool reboot_required;
};

/* Carry out `p` (a new run). Before anything is touched, every step is checked
 * against the host as it is now (the preflight): a plan older than the host's
 * state, a changed or swapped path, a protected path, a package whose metadata
 * does not name the vendor... refuses the whole run (-EXCISE_E_REFUSED) and
 * changes nothing. Otherwise steps run in order and the first failure stops the
 * run (returns 0 with n_failed > 0; the journal says where). */
EXCISE_API int excise_remove_run(const struct excise_plan *p, const struct excise_remove_opts *o,
				 struct excise_remove_result **ret, struct excise_err *err);

/* Continue the run whose directory is `run_dir` from its journal, on o->root (NULL:
 * the live host), with o->runs_dir where the run directory must lie (excise_run_open
 * checks both against the records); the preflight is repeated (all of it but the
 * plan's age, which the run itself changed), then steps that ended are not repeated;
 * a step that began and did not end is carried out again (every step is idempotent). */
EXCISE_API int excise_remove_resume(const char *run_dir, const struct excise_remove_opts *o,
				    struct excise_remove_result **ret, struct excise_err *err);

/* The target named once: `named` (a root given on the command line, NULL: none)
 * must be the same directory as `recorded` (the root a plan or run records),
 * compared as canonical real paths. 0 when it is or nothing was named;
 * -EXCISE_E_USAGE for an empty `named`; -EXCISE_E_REFUSED naming both (`whose`:
 * "plan", "run") when they differ; -errno when either cannot be resolved. */
EXCISE_API int excise_target_check(const char *named, const char *recorded, const char *whose,
				   struct excise_err *err);

/* The root the run at `run_dir` works on, as its journal records it (*ret: free()). */
EXCISE_API int excise_target_run_root(const char *run_dir, char **ret, struct excise_err *err);

/* A run directory read back is untrusted input: open `run_dir` for restore, remove
 * --resume or verify --run on `root`, the root the operator names (NULL: the live
 * host; never the one the journal records). The directory must be named by a run id
 * and lie directly in `runs_dir` (NULL: the host's /var/lib/excise/runs), not be a
 * link, and, for an offline root, lie outside that root; its journal must be of that
 * run and record the same root. *ret_fd (the caller's to close) is the directory,
 * through which every record is read and every file made without following links.
 * -EXCISE_E_REFUSED saying why, -EXCISE_E_USAGE for an empty root. */
EXCISE_API int excise_run_open(const char *run_dir, const char *root, const char *runs_dir, int *ret_fd,
			       struct excise_err *err);

/* What `excise restore` did. */
struct excise_restore_result {
	size_t n_restored;         /* files, links and directories put back */
	size_t n_conflicts;        /* left in quarantine: something exists at the original path */
	char **notes;              /* NULL-terminated: conflicts, metadata that could not be set */
	char **packages;           /* NULL-terminated "dpkg kesl 12.1.0-1191": not restorable by file copy */
	char **dangling;           /* NULL-terminated "PATH -> TARGET": symlinks put back whose target is gone */
	char **reinstalled;        /* NULL-terminated "dpkg kesl 12.1.0-1191 from FILE: ...": packages put back
				    * from the operator's package files (excise_restore_opts.reinstall) */
};

/* Whom a restore acts on: named by the operator, never taken from the run's records. */
struct excise_restore_opts {
	const char *root;          /* the root named (--root); NULL: the live host */
	const char *runs_dir;      /* where the run directory must lie; NULL: the host's /var/lib/excise/runs */
	/* NULL-terminated package files (.deb, .rpm) to reinstall, each the package of one the
	 * run purged (by name; another version is allowed, with a warning in notes): on the
	 * live host by dpkg -i / rpm -i; on an offline root a .deb is unpacked into the root
	 * and registered "unpacked" in its dpkg database, no program of the image run (it is
	 * configured on the image, dpkg --configure -a), and an rpm is refused. Every file is
	 * checked before anything is touched. NULL: none. */
	const char *const *reinstall;
};

/* Put back every file the run at `run_dir` quarantined, byte-exact with its metadata,
 * into the root `o` names, after the run directory and its records are checked
 * against it (excise_run_open) and the plan's host is that root's. */
EXCISE_API int excise_restore_run_opts(const char *run_dir, const struct excise_restore_opts *o,
				       struct excise_restore_result **ret, struct excise_err *err);
/* The same for the live host and the default runs folder. */
EXCISE_API int excise_restore_run(const char *run_dir, struct excise_restore_result **ret,
				  struct excise_err *err);

/* excise.removal/1 (the shape is in excise/store.h): the summary of the run at `run_dir`
 * for a collector, from its journal (counts, times, whether it ended) and its plan (the
 * machine, the products), read without following links. "running" when another excise
 * holds the run's lock, "partial" when it stopped before its last step without a
 * failure (resume it). *ret (free()) is NUL-terminated JSON ending in a newline. */
EXCISE_API int excise_removal_summary(const char *run_dir, char **ret, size_t *ret_len, struct excise_err *err);

EXCISE_API struct excise_remove_result *excise_remove_result_free(struct excise_remove_result *r);
EXCISE_API struct excise_restore_result *excise_restore_result_free(struct excise_restore_result *r);
EXCISE_API const char *excise_step_outcome_name(enum excise_step_outcome o);

#ifdef __cplusplus
}
#endif
#endif
