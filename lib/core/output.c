/* SPDX-License-Identifier: Apache-2.0 */
/* output: files that appear only whole (include/excise/output.h). */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/err.h"
#include "excise/output.h"

struct excise_output {
	FILE *f;
	char *path;   /* the name to appear */
	char *tmp;    /* the temporary file beside it; NULL: written in place */
	char *dir;    /* its directory, fsynced after the rename */
	int dir_fd;   /* excise_output_open_at: that directory, -1 otherwise */
	char *name, *tmp_name; /* ... and the names in it */
};

static void output_free(struct excise_output *o)
{
	if (o->dir_fd >= 0)
		close(o->dir_fd);
	free(o->path);
	free(o->tmp);
	free(o->dir);
	free(o->name);
	free(o->tmp_name);
	free(o);
}

/* "dir/.name.XXXXXXXX.tmp" beside `path`, created exclusively. */
static int output_create_tmp(struct excise_output *o, mode_t mode, struct excise_err *err)
{
	char *d = strdup(o->path), *b = strdup(o->path);
	int fd = -1;
	if (!d || !b || !(o->dir = strdup(dirname(d)))) {
		free(d);
		free(b);
		return err_set(err, -ENOMEM, "out of memory");
	}
	const char *base = basename(b);
	for (int tries = 0; tries < 16 && fd < 0; tries++) {
		unsigned long long n = 0;
		if (getrandom(&n, sizeof(n), 0) != (ssize_t)sizeof(n))
			n = (unsigned long long)getpid() * 2654435761u + (unsigned)tries;
		free(o->tmp);
		if (asprintf(&o->tmp, "%s/.%s.%016llx.tmp", o->dir, base, n) < 0) {
			o->tmp = NULL;
			break;
		}
		fd = open(o->tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
		if (fd < 0 && errno != EEXIST)
			break;
	}
	int e = errno;
	free(d);
	free(b);
	if (!o->tmp)
		return err_set(err, -ENOMEM, "out of memory");
	if (fd < 0)
		return err_setc(err, -(e ? e : EEXIST), "cannot write '%s'", o->path);
	if (!(o->f = fdopen(fd, "w"))) {
		e = errno;
		close(fd);
		unlink(o->tmp);
		return err_setc(err, -e, "cannot write '%s'", o->path);
	}
	return 0;
}

int excise_output_open(const char *path, mode_t mode, struct excise_output **ret, FILE **ret_f,
		       struct excise_err *err)
{
	*ret = NULL;
	*ret_f = NULL;
	if (!path || !*path)
		return err_set(err, -EXCISE_E_USAGE, "output: empty path");
	struct excise_output *o = calloc(1, sizeof(*o));
	if (!o)
		return err_set(err, -ENOMEM, "out of memory");
	o->dir_fd = -1;
	/* a symlink is followed: the file it names is the one replaced */
	struct stat st;
	o->path = realpath(path, NULL);
	if (!o->path && errno != ENOENT) {
		int e = errno;
		output_free(o);
		return err_setc(err, -e, "cannot write '%s'", path);
	}
	if (!o->path && !(o->path = strdup(path))) {
		output_free(o);
		return err_set(err, -ENOMEM, "out of memory");
	}
	int r;
	if (stat(o->path, &st) == 0 && !S_ISREG(st.st_mode)) {
		/* a device or a pipe: nothing to rename over */
		r = (o->f = fopen(o->path, "we")) ? 0 : err_setc(err, -errno, "cannot write '%s'", path);
	} else {
		r = output_create_tmp(o, mode, err);
		/* an existing file keeps its mode */
		if (r == 0 && stat(o->path, &st) == 0)
			(void)fchmod(fileno(o->f), st.st_mode & 07777);
	}
	if (r < 0) {
		output_free(o);
		return r;
	}
	*ret = o;
	*ret_f = o->f;
	return 0;
}

int excise_output_open_at(int dir_fd, const char *dir, const char *name, mode_t mode, struct excise_output **ret,
			  FILE **ret_f, struct excise_err *err)
{
	*ret = NULL;
	*ret_f = NULL;
	if (!name || !*name || strchr(name, '/'))
		return err_set(err, -EXCISE_E_USAGE, "output: '%s' is not a name in a directory", name ? name : "");
	struct excise_output *o = calloc(1, sizeof(*o));
	if (!o)
		return err_set(err, -ENOMEM, "out of memory");
	o->dir_fd = fcntl(dir_fd, F_DUPFD_CLOEXEC, 3);
	if (o->dir_fd < 0 || !(o->name = strdup(name)) || !(o->dir = strdup(dir)) ||
	    asprintf(&o->path, "%s/%s", dir, name) < 0) {
		o->path = NULL;
		output_free(o);
		return err_set(err, -ENOMEM, "out of memory");
	}
	int fd = -1, e = EEXIST;
	for (int tries = 0; tries < 16 && fd < 0 && e == EEXIST; tries++) {
		unsigned long long n = 0;
		if (getrandom(&n, sizeof(n), 0) != (ssize_t)sizeof(n))
			n = (unsigned long long)getpid() * 2654435761u + (unsigned)tries;
		free(o->tmp_name);
		free(o->tmp);
		o->tmp = NULL;
		if (asprintf(&o->tmp_name, ".%s.%016llx.tmp", name, n) < 0 ||
		    asprintf(&o->tmp, "%s/%s", dir, o->tmp_name) < 0) {
			o->tmp_name = o->tmp = NULL;
			output_free(o);
			return err_set(err, -ENOMEM, "out of memory");
		}
		fd = openat(o->dir_fd, o->tmp_name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
		e = fd < 0 ? errno : 0;
	}
	if (fd < 0 || !(o->f = fdopen(fd, "w"))) {
		e = fd < 0 ? e : errno;
		if (fd >= 0) {
			close(fd);
			unlinkat(o->dir_fd, o->tmp_name, 0);
		}
		int r = err_setc(err, -e, "cannot write '%s'", o->path);
		output_free(o);
		return r;
	}
	*ret = o;
	*ret_f = o->f;
	return 0;
}

const char *excise_output_tmp_path(const struct excise_output *o)
{
	return o->tmp ? o->tmp : o->path;
}

int excise_output_commit(struct excise_output *o, struct excise_err *err)
{
	int r = 0;
	if (fflush(o->f) != 0 || (o->tmp && fsync(fileno(o->f)) != 0))
		r = -errno;
	if (fclose(o->f) != 0 && r == 0)
		r = -errno;
	o->f = NULL;
	if (r == 0 && o->dir_fd >= 0 && renameat(o->dir_fd, o->tmp_name, o->dir_fd, o->name) != 0)
		r = -errno;
	else if (r == 0 && o->dir_fd < 0 && o->tmp && rename(o->tmp, o->path) != 0)
		r = -errno;
	if (r < 0) {
		if (o->dir_fd >= 0)
			unlinkat(o->dir_fd, o->tmp_name, 0);
		else if (o->tmp)
			unlink(o->tmp);
		err_setc(err, r, "cannot write '%s'", o->path);
	} else if (o->dir_fd >= 0) {
		(void)fsync(o->dir_fd);
	} else if (o->tmp) {
		int dfd = open(o->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd >= 0) {
			(void)fsync(dfd);
			close(dfd);
		}
	}
	output_free(o);
	return r;
}

void excise_output_abort(struct excise_output *o)
{
	if (!o)
		return;
	if (o->f)
		fclose(o->f);
	if (o->dir_fd >= 0)
		unlinkat(o->dir_fd, o->tmp_name, 0);
	else if (o->tmp)
		unlink(o->tmp);
	output_free(o);
}

int excise_output_write(const char *path, mode_t mode, const void *data, size_t len, struct excise_err *err)
{
	struct excise_output *o;
	FILE *f;
	int r = excise_output_open(path, mode, &o, &f, err);
	if (r < 0)
		return r;
	if (len && fwrite(data, 1, len, f) != len) {
		r = err_setc(err, -(errno ? errno : EIO), "cannot write '%s'", path);
		excise_output_abort(o);
		return r;
	}
	return excise_output_commit(o, err);
}
