/* SPDX-License-Identifier: Apache-2.0 */
/* output: what every subcommand shares — errors, catalog selection, output files. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"

void cli_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *msg = NULL;
	int n = vasprintf(&msg, fmt, ap);
	va_end(ap);
	/* the message may quote an image's strings (the library's messages do): shown escaped */
	char *shown = n >= 0 ? excise_text_escape(msg, 0) : NULL;
	fprintf(stderr, "excise: %s\n", shown ? shown : "out of memory");
	free(shown);
	free(msg);
}

const struct option cli_catalog_options[] = {
	{ "catalog", required_argument, NULL, OPT_CATALOG },
	{ "catalog-sig", required_argument, NULL, OPT_CATALOG_SIG },
	{ "trusted-key", required_argument, NULL, OPT_TRUSTED_KEY },
	{ 0 },
};

int cli_catalog_opt(struct cli_catalog_opts *o, int opt, const char *arg)
{
	const char **v;
	switch (opt) {
	case OPT_CATALOG:
		o->file = arg;
		return 1;
	case OPT_CATALOG_SIG:
		o->sig = arg;
		return 1;
	case OPT_TRUSTED_KEY:
		if (!(v = realloc(o->keys, (o->n_keys + 1) * sizeof(*v)))) {
			cli_error("out of memory");
			return -1;
		}
		o->keys = v;
		v[o->n_keys++] = arg;
		return 1;
	default:
		return 0;
	}
}

void cli_catalog_opts_done(struct cli_catalog_opts *o)
{
	free(o->keys);
	*o = (struct cli_catalog_opts){ 0 };
}

int cli_load_catalog(struct cli_run *run)
{
	const struct cli_catalog_opts *o = &run->catalog_opts;
	struct excise_err err = { 0 };
	int r;
	if (!o->file) {
		r = excise_catalog_load_embedded(&run->catalog, &err);
		if (r < 0) {
			cli_error("%s", err.msg);
			return EXIT_CATALOG;
		}
		return 0;
	}
	/* Keys from the command line, then from EXCISE_TRUSTED_KEYS (colon-separated). */
	const char **keys = calloc(o->n_keys + EXCISE_MAX_TRUSTED_KEYS, sizeof(*keys));
	char *env = getenv("EXCISE_TRUSTED_KEYS") ? strdup(getenv("EXCISE_TRUSTED_KEYS")) : NULL;
	if (!keys) {
		free(env);
		cli_error("out of memory");
		return EXIT_ERROR;
	}
	size_t n = 0;
	for (size_t i = 0; i < o->n_keys; i++)
		keys[n++] = o->keys[i];
	char *save = NULL;
	for (char *k = env ? strtok_r(env, ":", &save) : NULL; k && n < o->n_keys + EXCISE_MAX_TRUSTED_KEYS;
	     k = strtok_r(NULL, ":", &save))
		keys[n++] = k;
	r = excise_catalog_load_file(o->file, o->sig, keys, n, true, &run->catalog, &err);
	free(keys);
	free(env);
	if (r < 0) {
		cli_error("%s%s", err.msg[0] == '\'' ? "catalog " : "", err.msg); /* the library's "'FILE': why" */
		return r == -ENOMEM || (r > -1000 && r != -ENOENT && r != -EACCES) ? EXIT_ERROR : EXIT_CATALOG;
	}
	return 0;
}

int cli_output_open(struct cli_output *out, const char *path)
{
	*out = (struct cli_output){ .f = stdout };
	if (!path || strcmp(path, "-") == 0)
		return 0;
	struct excise_err err = { 0 };
	if (excise_output_open(path, 0666, &out->o, &out->f, &err) < 0) {
		cli_error("%s", err.msg);
		out->f = NULL;
		return EXIT_ERROR;
	}
	return 0;
}

int cli_output_close(struct cli_output *out, bool ok)
{
	struct excise_err err = { 0 };
	int rc = 0;
	if (!out->o) {
		if (out->f && fflush(out->f) != 0 && ok) {
			cli_error("cannot write to standard output: %s", strerror(errno));
			rc = EXIT_ERROR;
		}
	} else if (!ok) {
		excise_output_abort(out->o);
	} else if (excise_output_commit(out->o, &err) < 0) {
		cli_error("%s", err.msg);
		rc = EXIT_ERROR;
	}
	*out = (struct cli_output){ 0 };
	return rc;
}

int cli_read_file(const char *what, const char *path, size_t max, char **ret, size_t *ret_len)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		cli_error("%s '%s': %s", what, path, strerror(errno));
		return EXIT_ERROR;
	}
	char *p = NULL;
	size_t n = 0, cap = 0;
	for (;;) {
		if (n == cap) {
			cap = cap ? cap * 2 : 65536;
			char *q = cap <= max + 1 ? realloc(p, cap + 1) : NULL;
			if (!q) {
				free(p);
				fclose(f);
				cli_error("%s '%s': larger than %zu bytes", what, path, max);
				return EXIT_ERROR;
			}
			p = q;
		}
		size_t k = fread(p + n, 1, cap - n, f);
		n += k;
		if (k == 0)
			break;
	}
	int bad = ferror(f);
	fclose(f);
	if (bad) {
		free(p);
		cli_error("%s '%s': cannot read it", what, path);
		return EXIT_ERROR;
	}
	p[n] = 0;
	*ret = p;
	*ret_len = n;
	return 0;
}

/* The "schema" of a JSON document, from its text: enough to name the kind of a document
 * given in the wrong place (the parsers decide whether it is valid). */
static bool doc_schema(const char *text, size_t len, char *buf, size_t size)
{
	const char *k = text ? memmem(text, len, "\"schema\"", 8) : NULL;
	if (!k)
		return false;
	const char *p = k + 8, *end = text + len;
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' || *p == ':'))
		p++;
	if (p >= end || *p++ != '"')
		return false;
	size_t n = 0;
	while (p + n < end && p[n] != '"' && (p[n] == '.' || p[n] == '/' || p[n] == '-' ||
	       (p[n] >= 'a' && p[n] <= 'z') || (p[n] >= '0' && p[n] <= '9')))
		n++;
	if (p + n >= end || p[n] != '"' || n == 0 || n >= size)
		return false;
	memcpy(buf, p, n);
	buf[n] = 0;
	return true;
}

bool cli_wrong_kind(const char *what, const char *path, const char *text, size_t len, const char *const hints[4])
{
	static const char *const kinds[] = { "excise.report/", "excise.plan/", "excise.attestation/", "excise.catalog/" };
	char schema[64];
	if (!doc_schema(text, len, schema, sizeof(schema)))
		return false;
	for (size_t i = 0; i < 4; i++)
		if (strncmp(schema, kinds[i], strlen(kinds[i])) == 0 && hints[i] &&
		    strncmp(kinds[i] + 7, what, strlen(kinds[i]) - 8) != 0) {
			cli_error("%s '%s' is an %s document: %s", what, path, schema, hints[i]);
			return true;
		}
	return false;
}

int cli_check_run_dir(const char *dir)
{
	struct stat st;
	char *journal = NULL;
	int bad = stat(dir, &st) < 0 ? errno : S_ISDIR(st.st_mode) ? 0 : ENOTDIR;
	if (bad) {
		cli_error("run directory '%s': %s", dir, strerror(bad));
		return EXIT_ERROR;
	}
	if (asprintf(&journal, "%s/journal.jsonl", dir) < 0) {
		cli_error("out of memory");
		return EXIT_ERROR;
	}
	int r = lstat(journal, &st);
	int e = errno;
	free(journal);
	if (r < 0 && e == ENOENT) {
		cli_error("'%s' is not a run directory (no journal.jsonl)", dir);
		return EXIT_ERROR;
	}
	return 0; /* anything else: the library says what */
}

const char *cli_runs_dir(const char *given)
{
	static char *runs;
	const char *state = getenv("EXCISE_STATE_DIR");
	if (given || !state || !*state)
		return given;
	if (!runs && asprintf(&runs, "%s/runs", state) < 0)
		runs = NULL;
	return runs;
}
