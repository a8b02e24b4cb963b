/* SPDX-License-Identifier: Apache-2.0 */
/* verb: running one row of a verb table (main.c's, or a verb's own): dispatch and
 * help, the options every verb shares, and the release of what the verb ran with. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const struct option help_options[] = {
	{ "help", no_argument, NULL, 'h' },
	{ 0 },
};

static const struct option format_options[] = {
	{ "format", required_argument, NULL, OPT_FORMAT },
	{ 0 },
};

static const struct cli_verb *find(const struct cli_verbs *t, const char *name)
{
	for (size_t i = 0; i < t->n; i++)
		if (strcmp(name, t->v[i].name) == 0)
			return &t->v[i];
	return NULL;
}

static void print_help(const struct cli_verb *v, FILE *out)
{
	if (v->help_fn)
		v->help_fn(out);
	else
		fputs(v->help, out);
}

static void run_done(struct cli_run *run)
{
	cli_catalog_opts_done(&run->catalog_opts);
	cli_scan_opts_done(&run->scan);
	excise_catalog_free(run->catalog);
	run->catalog = NULL;
}

int cli_dispatch(const struct cli_verbs *t, int argc, char **argv)
{
	if (argc < 2) {
		t->usage(stderr);
		return EXIT_ERROR;
	}
	/* `help VERB [VERB...]`: the help of VERB; `help`, `--help`, `-h`: the listing */
	bool help = argc > 2 && strcmp(argv[1], "help") == 0;
	if (!help && (!strcmp(argv[1], "help") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		t->usage(stdout);
		return EXIT_CLEAN;
	}
	const struct cli_verb *v = find(t, argv[1 + help]);
	if (!v) {
		cli_error("unknown %s%s%s '%s'", t->parent ? t->parent : "", t->parent ? " " : "", t->noun,
			  argv[1 + help]);
		fprintf(stderr, "Try 'excise %s%s--help' for more information.\n", t->parent ? t->parent : "",
			t->parent ? " " : "");
		return EXIT_ERROR;
	}
	if (v->verbs) {
		if (help) { /* help catalog show -> catalog help show */
			char *h = argv[1];
			argv[1] = argv[2];
			argv[2] = h;
		}
		return cli_dispatch(v->verbs, argc - 1, argv + 1);
	}
	if (help) {
		print_help(v, stdout);
		return EXIT_CLEAN;
	}
	struct cli_run run = { .verb = v };
	snprintf(run.name, sizeof(run.name), "%s%s%s", t->parent ? t->parent : "", t->parent ? " " : "", v->name);
	optind = 0; /* a full getopt reset */
	int rc = v->run(&run, argc - 1, argv + 1);
	run_done(&run);
	return rc;
}

static bool add_options(struct cli_run *run, size_t *n, const struct option *o)
{
	for (; o && o->name; o++) {
		if (*n + 1 >= sizeof(run->longopts) / sizeof(run->longopts[0]))
			return false;
		run->longopts[(*n)++] = *o;
	}
	return true;
}

/* The long option `arg` ("--name" or "--name=value") is, or NULL; *ambiguous when
 * it abbreviates more than one. */
static const struct option *long_option(const struct cli_run *run, const char *arg, bool *ambiguous)
{
	const char *name = arg + 2;
	size_t len = strcspn(name, "=");
	const struct option *hit = NULL;
	*ambiguous = false;
	for (const struct option *o = run->longopts; o->name; o++) {
		if (strncmp(o->name, name, len) != 0)
			continue;
		if (strlen(o->name) == len)
			return o;
		*ambiguous = hit != NULL;
		hit = o;
	}
	return *ambiguous ? NULL : hit;
}

/* What getopt_long refused, in its words, then where to look: one line each, as
 * coreutils and git do (not the whole help). */
static void bad_option(struct cli_run *run, int argc, char **argv)
{
	const char *arg = optind > 0 && optind <= argc ? argv[optind - 1] : "";
	bool ambiguous = false;
	const struct option *o = strncmp(arg, "--", 2) == 0 && arg[2] ? long_option(run, arg, &ambiguous) : NULL;
	int len = (int)strcspn(arg, "=");
	if (ambiguous)
		cli_error("option '%.*s' is ambiguous", len, arg);
	else if (strncmp(arg, "--", 2) == 0 && arg[2] && !o)
		cli_error("unrecognized option '%.*s'", len, arg);
	else if (o && o->has_arg == no_argument && arg[len] == '=')
		cli_error("option '--%s' doesn't allow an argument", o->name);
	else if (o)
		cli_error("option '--%s' requires an argument", o->name);
	else if (optopt && strchr(run->shortopts, optopt))
		cli_error("option requires an argument -- '%c'", optopt);
	else
		cli_error("invalid option -- '%c'", optopt ? optopt : '?');
	fprintf(stderr, "Try 'excise %s --help' for more information.\n", run->name);
	run->exit = EXIT_ERROR;
}

/* The verb's own options, then those its table row adds, then --help. */
static bool build_options(struct cli_run *run, const char *shortopts, const struct option *options)
{
	size_t n = 0;
	int w = snprintf(run->shortopts, sizeof(run->shortopts), "%s%sh", shortopts ? shortopts : "",
			 run->verb->root ? "q" : "");
	return w > 0 && (size_t)w < sizeof(run->shortopts) && add_options(run, &n, options) &&
	       (!run->verb->root || add_options(run, &n, cli_scan_options)) &&
	       (!run->verb->catalog || add_options(run, &n, cli_catalog_options)) &&
	       (!run->verb->formats || add_options(run, &n, format_options)) &&
	       add_options(run, &n, help_options);
}

int cli_getopt(struct cli_run *run, int argc, char **argv, const char *shortopts, const struct option *options)
{
	run->exit = EXIT_ERROR;
	if (!run->longopts[0].name && !build_options(run, shortopts, options)) {
		cli_error("too many options for %s", run->name);
		return CLI_OPT_EXIT;
	}
	opterr = 0; /* said by bad_option(), with the command's prefix */
	for (;;) {
		int c = getopt_long(argc, argv, run->shortopts, run->longopts, NULL);
		if (c == -1)
			return -1;
		int taken = run->verb->catalog ? cli_catalog_opt(&run->catalog_opts, c, optarg) : 0;
		if (!taken && run->verb->root)
			taken = cli_scan_opt(&run->scan, c, optarg);
		if (!taken && run->verb->formats && c == OPT_FORMAT)
			taken = (run->format = cli_choice(run, "--format", optarg, run->verb->formats)) < 0 ? -1 : 1;
		if (taken < 0)
			return CLI_OPT_EXIT;
		if (taken)
			continue;
		if (c == 'h') {
			print_help(run->verb, stdout);
			run->exit = EXIT_CLEAN;
			return CLI_OPT_EXIT;
		}
		if (c == '?' || c == ':') {
			bad_option(run, argc, argv);
			return CLI_OPT_EXIT;
		}
		return c;
	}
}

void cli_usage_error(const struct cli_run *run, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("excise: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	fprintf(stderr, "Try 'excise %s --help' for more information.\n", run->name);
}

int cli_choice(const struct cli_run *run, const char *option, const char *arg, const char *const *names)
{
	char allowed[256] = "";
	size_t n = 0;
	for (; names[n]; n++)
		if (strcmp(arg, names[n]) == 0)
			return (int)n;
	for (size_t i = 0; i < n; i++)
		snprintf(allowed + strlen(allowed), sizeof(allowed) - strlen(allowed), "%s%s",
			 i == 0 ? "" : i + 1 == n ? " or " : ", ", names[i]);
	cli_usage_error(run, "%s must be %s, not '%s'", option, allowed, arg);
	return -1;
}
