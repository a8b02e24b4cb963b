/* SPDX-License-Identifier: Apache-2.0 */
/* excise: the command. Dispatches to one file per subcommand. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *help;
} commands[] = {
	{ "scan", cmd_scan, "find covered software on this host or under --root DIR" },
	{ "catalog", cmd_catalog, "lint, show, sign or verify a vendor catalog" },
	{ "plan", cmd_plan, "the ordered removal steps for what a scan or a report found (text, JSON, sh, ps1)" },
	{ "remove", cmd_remove, "carry out a removal plan (a dry run unless --apply), or --resume one" },
	{ "restore", cmd_restore, "put back what a removal run quarantined" },
	{ "verify", cmd_verify, "rescan and write an attestation of the result (optionally signed), or --check one" },
};

static void usage(FILE *out)
{
	fputs("usage: excise COMMAND [OPTIONS]\n\ncommands:\n", out);
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].help);
	fputs("\n`excise COMMAND --help` for the options of each; see excise(1).\n", out);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return EXIT_ERROR;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("excise %s\n", excise_version());
		return 0;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].fn(argc - 1, argv + 1);
	cli_error("unknown command '%s'", argv[1]);
	usage(stderr);
	return EXIT_ERROR;
}
