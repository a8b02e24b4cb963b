/* SPDX-License-Identifier: Apache-2.0 */
/* dirlist: list a directory inside a root by name (see dirlist.h). */
#include "core/dirlist.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/limits.h"

static bool wanted(const struct dirlist *o, const char *name)
{
	if (!strcmp(name, ".") || !strcmp(name, "..") || (name[0] == '.' && !o->dotfiles))
		return false;
	if (o->suffix) {
		size_t n = strlen(name), k = strlen(o->suffix);
		if (n <= k || strcmp(name + n - k, o->suffix) != 0)
			return false;
	}
	return !o->match || o->match(name);
}

static void report(const struct dirlist *o, void *userdata, int code, const char *fmt, ...) PRINTF(4, 5);
static void report(const struct dirlist *o, void *userdata, int code, const char *fmt, ...)
{
	if (!o->error)
		return;
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	o->error(userdata, code, msg);
}

/* The matching names of `d`, in its order. */
static int read_names(DIR *d, const char *dir, const struct dirlist *o, void *userdata, char ***ret, size_t *ret_n)
{
	size_t max = o->max ? o->max : EXCISE_MAX_DIR_ENTRIES, n = 0;
	char **v = NULL;
	int r = 0;
	struct dirent *e;
	for (errno = 0; (e = readdir(d)); errno = 0) {
		if (!wanted(o, e->d_name))
			continue;
		if (n == max) {
			report(o, userdata, -EXCISE_E_LIMIT, "'%s': more than %zu %s, only the first %zu read", dir, max,
			       o->what ? o->what : "entries", max);
			break;
		}
		char **q = array_full(n) ? realloc(v, array_cap(n) * sizeof(*v)) : v;
		char *s = q ? strdup(e->d_name) : NULL;
		if (q)
			v = q;
		if (!s) {
			r = -ENOMEM;
			break;
		}
		v[n++] = s;
	}
	if (r == 0 && !e && errno)
		report(o, userdata, neg_errno(), "'%s': cannot list", dir);
	*ret = v;
	*ret_n = n;
	return r;
}

int dirlist_each(const struct root *r, const char *dir, const struct dirlist *o,
		 int (*fn)(void *userdata, const char *path, const char *name), void *userdata)
{
	DIR *d = NULL;
	int e = root_opendir(r, dir, &d);
	if (e < 0)
		return e;
	char **names = NULL;
	size_t n = 0;
	e = read_names(d, dir, o, userdata, &names, &n);
	closedir(d);
	if (e == 0 && o->compar && n)
		qsort(names, n, sizeof(*names), o->compar);
	for (size_t i = 0; e >= 0 && i < n; i++) {
		char *path = path_join(dir, names[i]);
		e = path ? fn(userdata, path, names[i]) : -ENOMEM;
		free(path);
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return e < 0 ? e : 0;
}
