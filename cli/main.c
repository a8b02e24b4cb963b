/* SPDX-License-Identifier: Apache-2.0 */
/* excise: the command. The verb table: dispatch, `excise help [VERB]`, `excise
 * --help` and the usage listing all come from it. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static void usage(FILE *out);

static const struct cli_verb verbs[] = {
	{ "scan", cmd_scan, NULL, "find covered software on this host or under --root DIR",
	  .catalog = true, .root = true, .help_fn = cmd_scan_help,
	  .formats = (const char *const[]){ "text", "json", "csv", NULL } },
	{ "catalog", NULL, NULL, "lint, show, sign or verify a vendor catalog", .verbs = &cmd_catalog_verbs },
	{ "plan", cmd_plan, cmd_plan_help,
	  "the ordered removal steps for what a scan or a report found (text, JSON, sh, ps1)",
	  .catalog = true, .root = true, .formats = (const char *const[]){ "text", "json", NULL } },
	{ "remove", cmd_remove, cmd_remove_help,
	  "carry out a removal plan (a dry run unless --apply), or --resume one", .catalog = true, .root = true },
	{ "restore", cmd_restore, cmd_restore_help, "put back what a removal run quarantined" },
	{ "verify", cmd_verify, cmd_verify_help,
	  "rescan and write an attestation of the result (optionally signed), or --check one",
	  .catalog = true, .root = true },
	{ "serve", cmd_serve, cmd_serve_help,
	  "run the collector hosts submit to (HTTPS), or administer its database", .catalog = true },
	{ "enroll", cmd_enroll, cmd_enroll_help, "enroll this host or an offline root's machine with a collector" },
	{ "submit", cmd_submit, cmd_submit_help,
	  "send reports, plans, attestations and removal runs to the collector, or --spool" },
};

static const struct cli_verbs table = {
	.noun = "command", .v = verbs, .n = sizeof(verbs) / sizeof(verbs[0]), .usage = usage,
};

static void usage(FILE *out)
{
	fputs("usage: excise COMMAND [OPTIONS]\n\ncommands:\n", out);
	for (size_t i = 0; i < table.n; i++)
		fprintf(out, "  %-10s %s\n", verbs[i].name, verbs[i].summary);
	fputs("\n`excise help COMMAND` or `excise COMMAND --help` for the options of each;\n`excise --version` (-V) for the version; see excise(1).\n", out);
}

int main(int argc, char **argv)
{
	if (argc > 1 && (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0)) {
		printf("excise %s\n", excise_version());
		return 0;
	}
	return cli_dispatch(&table, argc, argv);
}
