/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The excise command: one file per subcommand (cmd-<verb>.c), each an
 * `int cmd_<verb>(int argc, char **argv)` returning the process exit status.
 * Only the public API (include/excise/) is used here.
 */
#ifndef EXCISE_CLI_H
#define EXCISE_CLI_H

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

int cmd_scan(int argc, char **argv);
int cmd_catalog(int argc, char **argv);
int cmd_plan(int argc, char **argv);
int cmd_remove(int argc, char **argv);
int cmd_restore(int argc, char **argv);
int cmd_verify(int argc, char **argv);

/* "excise: <message>" on stderr. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Catalog selection shared by every subcommand: --catalog FILE and --trusted-key KEY
 * (repeatable; a minisign .pub file or its base64 key line), plus the colon-separated
 * EXCISE_TRUSTED_KEYS environment variable. */
struct cli_catalog_opts {
	const char *file;      /* NULL: the embedded catalog */
	const char *sig;       /* NULL: file + ".minisig" */
	const char **keys;
	size_t n_keys;
};

/* Returns true when the option was a catalog option and consumed (getopt_long codes below). */
enum { OPT_CATALOG = 0x1000, OPT_TRUSTED_KEY, OPT_CATALOG_SIG };
bool cli_catalog_opt(struct cli_catalog_opts *o, int opt, const char *arg);
void cli_catalog_opts_done(struct cli_catalog_opts *o);

/* The end of the long options of a command that loads a catalog: the catalog
 * options, --help, and the terminator. */
#define CLI_CATALOG_OPTIONS                                            \
	{ "catalog", required_argument, NULL, OPT_CATALOG },           \
	{ "catalog-sig", required_argument, NULL, OPT_CATALOG_SIG },   \
	{ "trusted-key", required_argument, NULL, OPT_TRUSTED_KEY },   \
	{ "help", no_argument, NULL, 'h' },                            \
	{ 0 }

/* getopt gave -h (`help` on stdout, returns 0) or something unknown (`help` on
 * stderr, returns EXIT_ERROR); the catalog options are freed either way. */
int cli_help_exit(int opt, void (*help)(FILE *out), struct cli_catalog_opts *o);

/* Load the catalog; on failure prints why and returns EXIT_CATALOG (signature or
 * content refused) or EXIT_ERROR; 0 on success. */
int cli_load_catalog(const struct cli_catalog_opts *o, struct excise_catalog **ret);

/* Where a plan comes from: an excise.plan/1 file, an excise.report/1 file to plan
 * from, or (neither given) a fresh scan of `root` (NULL: the live host). */
struct cli_plan_source {
	const char *root;
	const char *report;
	const char *plan;
};

/* Read or make the plan; on failure prints why and returns EXIT_ERROR, else 0. */
int cli_obtain_plan(const struct cli_plan_source *s, const struct excise_catalog *c, struct excise_plan **ret);

/* Read a whole file named on the command line (at most `max` bytes, NUL-terminated);
 * on failure prints why and returns EXIT_ERROR. */
int cli_read_file(const char *path, size_t max, char **ret, size_t *ret_len);

/* Open -o FILE (or stdout for NULL or "-"). */
FILE *cli_open_output(const char *path);

#endif
