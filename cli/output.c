/* SPDX-License-Identifier: Apache-2.0 */
/* output: what every subcommand shares — errors, catalog selection, output files. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

void cli_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("excise: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
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
		cli_error("%s", err.msg);
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

int cli_read_file(const char *path, size_t max, char **ret, size_t *ret_len)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		cli_error("cannot open '%s': %s", path, strerror(errno));
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
				cli_error("'%s': larger than %zu bytes", path, max);
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
		cli_error("cannot read '%s'", path);
		return EXIT_ERROR;
	}
	p[n] = 0;
	*ret = p;
	*ret_len = n;
	return 0;
}
