/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The excise command: one verb table (main.c), one file per verb (cmd-<verb>.c),
 * each an `int cmd_<verb>(struct cli_run *run, int argc, char **argv)` returning the
 * process exit status. Only the public API (include/excise/) is used here: the
 * build gives cli/ no other include path.
 */
#ifndef EXCISE_CLI_H
#define EXCISE_CLI_H

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>

#include "excise/excise.h"

/* Exit statuses (excise(1), EXIT STATUS). */
enum {
	EXIT_CLEAN = 0,     /* ran; nothing covered found */
	EXIT_FOUND = 1,     /* ran; covered software found */
	EXIT_ERROR = 2,     /* usage or runtime error, or an incomplete scan that found nothing */
	EXIT_CATALOG = 3,   /* catalog refused: signature, trust, or content */
};

/* "excise: <message>" on stderr, the message through excise_text_escape (it may quote an
 * image's strings): one line, whatever it holds. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A usage error of the verb `run`: "excise: <message>", then "Try 'excise VERB --help' for
 * more information.", as for an unknown option. */
struct cli_run;
void cli_usage_error(const struct cli_run *run, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- options shared by the verbs (getopt_long codes) ---- */

enum {
	OPT_CATALOG = 0x1000, OPT_TRUSTED_KEY, OPT_CATALOG_SIG,
	OPT_ROOT = 0x1100, OPT_FULL, OPT_XDEV, OPT_THREADS, OPT_ONLY,
	OPT_FORMAT = 'f',   /* --format; -f too where the verb's short options say "f:" */
	OPT_VERB = 0x2000,  /* a verb's own long options start here */
};

/* The long options cli_getopt() adds for a verb whose table row says so. */
extern const struct option cli_catalog_options[];
extern const struct option cli_scan_options[];

/* Catalog selection: --catalog FILE, --catalog-sig SIG and --trusted-key KEY
 * (repeatable; a minisign .pub file or its base64 key line), plus the
 * colon-separated EXCISE_TRUSTED_KEYS environment variable. */
struct cli_catalog_opts {
	const char *file;      /* NULL: the embedded catalog */
	const char *sig;       /* NULL: file + ".minisig" */
	const char **keys;
	size_t n_keys;
};

/* 1 when `opt` was a catalog option and consumed, 0 when it is not one, -1 out of memory (said). */
int cli_catalog_opt(struct cli_catalog_opts *o, int opt, const char *arg);
void cli_catalog_opts_done(struct cli_catalog_opts *o);

/* The options of every verb that scans: --root DIR, --full, --xdev, --threads N,
 * --only LIST and -q (no progress line; the verb may keep other output quiet too). */
struct cli_scan_opts {
	struct excise_scan_opts scan;  /* .only points into `only` */
	const char **only;             /* owned vector over --only's argument */
	bool quiet;
	bool given;                    /* a scan option other than -q was given */
};

/* 1 when `opt` was a scan option and consumed, 0 when it is not one, -1 a bad value (said). */
int cli_scan_opt(struct cli_scan_opts *o, int opt, char *arg);
void cli_scan_opts_done(struct cli_scan_opts *o);

/* Scan with these options, showing the walk's progress on a terminal unless -q;
 * on failure says why and returns EXIT_ERROR, else 0. */
int cli_scan(const struct cli_scan_opts *o, const struct excise_catalog *c, struct excise_scan **ret);

/* "source NAME failed: ERROR" on stderr for each source of `scan` that failed. */
void cli_scan_failures(const struct excise_scan *scan);

/* ---- verbs ---- */

struct cli_run;
struct cli_verbs;

/* One row of a verb table. */
struct cli_verb {
	const char *name;
	int (*run)(struct cli_run *run, int argc, char **argv);
	const char *help;          /* the text of `excise VERB --help`, `excise help VERB` */
	const char *summary;       /* one line, for the usage listing */
	bool catalog;              /* loads a catalog: takes --catalog, --catalog-sig, --trusted-key */
	bool root;                 /* scans: takes the scan options (struct cli_scan_opts) */
	const char *const *formats;  /* --format's values, the default first (run->format); NULL: none */
	const struct cli_verbs *verbs;  /* a verb of verbs (catalog): `run` and `help` unused */
	void (*help_fn)(FILE *out);     /* instead of `help`, where the text is made at run time */
};

/* A table of verbs: the command's (main.c) or one verb's own (catalog). */
struct cli_verbs {
	const char *parent;        /* NULL for the command's table, else the verb it belongs to */
	const char *noun;          /* "command", "verb" */
	const struct cli_verb *v;
	size_t n;
	void (*usage)(FILE *out);
};

/* What one verb runs with. The options, the scan options and the catalog are
 * released by cli_dispatch() when the verb returns, on every path. */
struct cli_run {
	const struct cli_verb *verb;
	char name[32];                 /* "scan", "catalog show": for messages */
	struct cli_catalog_opts catalog_opts;
	struct cli_scan_opts scan;
	struct excise_catalog *catalog;  /* cli_load_catalog() */
	int format;                    /* --format: its index in verb->formats */
	int exit;                      /* the status to return after CLI_OPT_EXIT */
	struct option longopts[32];
	char shortopts[32];
};

/* Run the verb argv[1] of `t` (argv[0] is the command or the parent verb), or
 * `help [VERB...]`, `--help`, `-h`. Returns the exit status. */
int cli_dispatch(const struct cli_verbs *t, int argc, char **argv);

/* getopt_long over the verb's own options (`shortopts`, `options`, which may be
 * NULL) and, as its table row says, the catalog options, the scan options and
 * --format (its short form -f where `shortopts` has "f:"), which are consumed
 * into `run`. Returns the verb's next own option, -1 at the end of the
 * options, or CLI_OPT_EXIT: the verb returns run->exit (help was asked for: 0,
 * the help on stdout; an unknown option: EXIT_ERROR, the help on stderr; a bad
 * value: EXIT_ERROR, said). */
enum { CLI_OPT_EXIT = -2 };
int cli_getopt(struct cli_run *run, int argc, char **argv, const char *shortopts, const struct option *options);

/* The index of `arg` in the NULL-terminated `names`, or -1 after a usage error
 * naming the verb, the option and the allowed values. */
int cli_choice(const struct cli_run *run, const char *option, const char *arg, const char *const *names);

/* Load the catalog that run->catalog_opts select into run->catalog; on failure
 * says why and returns EXIT_CATALOG (signature or content refused) or EXIT_ERROR;
 * 0 on success. */
int cli_load_catalog(struct cli_run *run);

extern const struct cli_verbs cmd_catalog_verbs;

int cmd_scan(struct cli_run *run, int argc, char **argv);
int cmd_plan(struct cli_run *run, int argc, char **argv);
int cmd_remove(struct cli_run *run, int argc, char **argv);
int cmd_restore(struct cli_run *run, int argc, char **argv);
int cmd_serve(struct cli_run *run, int argc, char **argv);
int cmd_verify(struct cli_run *run, int argc, char **argv);
void cmd_scan_help(FILE *out);
extern const char cmd_plan_help[], cmd_remove_help[], cmd_restore_help[], cmd_verify_help[];
extern const char cmd_serve_help[];
int cmd_enroll(struct cli_run *run, int argc, char **argv);
int cmd_submit(struct cli_run *run, int argc, char **argv);
extern const char cmd_enroll_help[], cmd_submit_help[];

/* ---- the agent (cmd-agent.c) ---- */

/* The agent's folders (EXCISE_STATE_DIR/agent and /spool when that is set, else the
 * library's defaults) and the spool's bounds (EXCISE_SPOOL_MAX_FILES, EXCISE_SPOOL_MAX_BYTES). */
void cli_agent_opts(struct excise_agent_opts *o);
/* Submit a scan's JSON report (`excise scan --submit`), spooled when it cannot be
 * delivered, then flush the spool when it was; says what happened. EXIT_ERROR only when
 * the report could be neither delivered nor spooled, else 0. */
int cli_submit_report(const char *url, const char *name, const char *json, size_t len, bool quiet);

/* ---- plans, files ---- */

/* Where a plan comes from: an excise.plan/1 file, an excise.report/2 (or /1) file to plan
 * from, or (neither given) a fresh scan with `scan` (no root: the live host). */
struct cli_plan_source {
	const struct cli_scan_opts *scan;
	const char *report;
	const char *plan;
	bool report_positional;    /* the verb takes the report as an argument (plan), not --report */
};

/* Read or make the plan; on failure prints why and returns EXIT_ERROR, else 0. */
int cli_obtain_plan(const struct cli_plan_source *s, const struct excise_catalog *c, struct excise_plan **ret);

/* Read a whole file named on the command line (at most `max` bytes, NUL-terminated);
 * on failure prints why, naming what the file was meant to be (`what`: "plan",
 * "report", "attestation", "signature"), and returns EXIT_ERROR. */
int cli_read_file(const char *what, const char *path, size_t max, char **ret, size_t *ret_len);

/* When `text`, read from `path` as a `what` ("plan", "report"), is an excise document of
 * another kind, says so with the hint for that kind (in the order report, plan,
 * attestation, catalog; NULL: no hint) and returns true: "excise: plan 'r.json' is
 * an excise.report/2 document: pass it with --report". */
bool cli_wrong_kind(const char *what, const char *path, const char *text, size_t len, const char *const hints[4]);

/* Whether `dir` is a removal run's directory (it has a journal.jsonl); when not,
 * says so ("excise: 'DIR' is not a run directory (no journal.jsonl)") and returns
 * EXIT_ERROR, else 0. */
int cli_check_run_dir(const char *dir);
/* The folder of run directories: `given` (--runs-dir), else EXCISE_STATE_DIR/runs
 * when that is set (the tests keep the host's state folder clean with it), else
 * NULL (the library's default, the host's /var/lib/excise/runs). */
const char *cli_runs_dir(const char *given);

/* -o FILE (standard output for NULL or "-"), written through excise_output_open():
 * the file appears only when cli_output_close() is told the command succeeded. */
struct cli_output {
	FILE *f;                    /* where to write */
	struct excise_output *o;    /* NULL: standard output */
};

/* Start writing; on failure says why and returns EXIT_ERROR, else 0. */
int cli_output_open(struct cli_output *out, const char *path);

/* `ok`: put the file in place; otherwise remove what was written, leaving the name as it
 * was. EXIT_ERROR (said) when the file could not be put in place, else 0. */
int cli_output_close(struct cli_output *out, bool ok);

#endif
