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

static bool add_key(struct cli_catalog_opts *o, const char *k)
{
	const char **v = realloc(o->keys, (o->n_keys + 1) * sizeof(*v));
	if (!v)
		return false;
	o->keys = v;
	v[o->n_keys++] = k;
	return true;
}

bool cli_catalog_opt(struct cli_catalog_opts *o, int opt, const char *arg)
{
	switch (opt) {
	case OPT_CATALOG:
		o->file = arg;
		return true;
	case OPT_CATALOG_SIG:
		o->sig = arg;
		return true;
	case OPT_TRUSTED_KEY:
		if (!add_key(o, arg)) {
			cli_error("out of memory");
			exit(EXIT_ERROR);
		}
		return true;
	default:
		return false;
	}
}

void cli_catalog_opts_done(struct cli_catalog_opts *o)
{
	free(o->keys);
	*o = (struct cli_catalog_opts){ 0 };
}

int cli_help_exit(int opt, void (*help)(FILE *out), struct cli_catalog_opts *o)
{
	cli_catalog_opts_done(o);
	help(opt == 'h' ? stdout : stderr);
	return opt == 'h' ? 0 : EXIT_ERROR;
}

int cli_load_catalog(const struct cli_catalog_opts *o, struct excise_catalog **ret)
{
	struct excise_err err = { 0 };
	int r;
	if (!o->file) {
		r = excise_catalog_load_embedded(ret, &err);
		if (r < 0) {
			cli_error("%s", err.msg);
			return EXIT_CATALOG;
		}
		return 0;
	}
	/* Keys from the command line, then from EXCISE_TRUSTED_KEYS (colon-separated). */
	const char **keys = calloc(o->n_keys + 64, sizeof(*keys));
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
	for (char *k = env ? strtok_r(env, ":", &save) : NULL; k && n < o->n_keys + 64;
	     k = strtok_r(NULL, ":", &save))
		keys[n++] = k;
	r = excise_catalog_load_file(o->file, o->sig, keys, n, true, ret, &err);
	free(keys);
	free(env);
	if (r < 0) {
		cli_error("%s", err.msg);
		return r == -ENOMEM || (r > -1000 && r != -ENOENT && r != -EACCES) ? EXIT_ERROR : EXIT_CATALOG;
	}
	return 0;
}

FILE *cli_open_output(const char *path)
{
	if (!path || strcmp(path, "-") == 0)
		return stdout;
	FILE *f = fopen(path, "we");
	if (!f)
		cli_error("cannot write '%s': %s", path, strerror(errno));
	return f;
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
