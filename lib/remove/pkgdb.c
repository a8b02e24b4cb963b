/* SPDX-License-Identifier: Apache-2.0 */
/* pkgdb: one package, as dpkg-query or rpm -q tell it (see pkgdb.h). */
#include "remove/pkgdb.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/err.h"
#include "core/limits.h"
#include "core/text.h"
#include "remove/spawn.h"
#include "parse/dpkg.h"
#include "parse/rpmdb.h"


bool pkgdb_name_ok(const char *s)
{
	if (!s || !s[0] || s[0] == '-' || strlen(s) > EXCISE_MAX_PACKAGE_NAME_LEN)
		return false;
	for (const char *c = s; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
		      *c == '.' || *c == '+' || *c == '-' || *c == '_' || *c == '~' || *c == '^'))
			return false;
	return true;
}

void pkg_info_done(struct pkg_info *p)
{
	free(p->publisher);
	free(p->packager);
	free(p->version);
	excise_strv_free(p->needs);
	excise_strv_free(p->provides);
	*p = (struct pkg_info){ 0 };
}

/* Append the first word of each item of `list` split at any of `seps`. */
static int add_words(char ***v, size_t *n, char *list, const char *seps)
{
	char *save = NULL;
	for (char *t = strtok_r(list, seps, &save); t; t = strtok_r(NULL, seps, &save)) {
		while (*t == ' ' || *t == '\t')
			t++;
		size_t l = strcspn(t, " \t(:");
		if (!l)
			continue;
		char **w = realloc(*v, (*n + 2) * sizeof(*w));
		if (!w)
			return -ENOMEM;
		*v = w;
		if (!(w[*n] = strndup(t, l)))
			return -ENOMEM;
		w[++*n] = NULL;
	}
	return 0;
}

/* Split tab-separated fields in place. */
static size_t fields(char *s, char **f, size_t max)
{
	size_t n = 0;
	char *nl = strchr(s, '\n');
	if (nl)
		*nl = 0;
	while (n < max) {
		f[n++] = s;
		char *t = strchr(s, '\t');
		if (!t)
			break;
		*t = 0;
		s = t + 1;
	}
	return n;
}

/* A ${db:Status-Abbrev} of a package an interrupted dpkg run left midway: half-installed,
 * half-configured, unpacked, awaiting or pending triggers, or reinstallation required. */
bool dpkg_unsettled(const char *abbrev)
{
	return abbrev[0] && abbrev[1] && (strchr("HFUWt", abbrev[1]) || abbrev[2] == 'R');
}

int pkgdb_dpkg_check(const struct root *r, bool links, struct excise_err *err)
{
	static const char *const dirs[] = { "/var/lib/dpkg", "/var/lib/dpkg/updates", "/var/lib/dpkg/triggers" };
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		DIR *dh = NULL;
		int e = root_opendir(r, dirs[i], &dh);
		if (e == -ENOENT || e == -ENOTDIR)
			continue;
		if (e < 0)
			return err_setc(err, e, "'%s' under '%s'", dirs[i], r->path);
		struct dirent *de;
		unsigned n = 0;
		while (e == 0 && (de = readdir(dh))) {
			struct stat st;
			if (++n > EXCISE_MAX_DPKG_UPDATES)
				e = err_set(err, -EXCISE_E_REFUSED, "'%s' under '%s': more than %u entries "
					    "(EXCISE_MAX_DPKG_UPDATES): not dpkg's database; dpkg not run", dirs[i], r->path,
					    EXCISE_MAX_DPKG_UPDATES);
			else if (fstatat(dirfd(dh), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
				continue;
			else if (S_ISLNK(st.st_mode) && links)
				e = err_set(err, -EXCISE_E_REFUSED, "'%s/%s' under '%s' is a symlink: dpkg would write "
					    "through it; dpkg not run (a dpkg database holds none)", dirs[i], de->d_name,
					    r->path);
			else if (!S_ISLNK(st.st_mode) && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode))
				e = err_set(err, -EXCISE_E_REFUSED, "'%s/%s' under '%s' is a %s: dpkg would block on it "
					    "or read a device; dpkg not run", dirs[i], de->d_name, r->path,
					    S_ISFIFO(st.st_mode) ? "FIFO" : S_ISSOCK(st.st_mode) ? "socket" : "device");
		}
		closedir(dh);
		if (e < 0)
			return e;
	}
	return 0;
}

static int query_dpkg(const struct root *r, const char *pkg, int log_fd, struct pkg_info *p, struct excise_err *err)
{
	int c = r->live ? 0 : pkgdb_dpkg_check(r, false, err);
	if (c < 0)
		return c;
	char *ad = path_join(r->path, "/var/lib/dpkg");
	char opt[4200];
	if (!ad)
		return err_set(err, -ENOMEM, "out of memory");
	snprintf(opt, sizeof(opt), "--admindir=%s", ad);
	free(ad);
	const char *argv[] = { "dpkg-query", opt, "-W",
			       "-f=${db:Status-Abbrev}\\t${Maintainer}\\t${Version}\\t${Depends}, ${Pre-Depends}\\t${Provides}\\n",
			       "--", pkg, NULL };
	char *out = NULL;
	int k = spawn_capture_in(r, argv, log_fd, EXCISE_MAX_TOOL_OUTPUT, &out, err);
	if (k < 0)
		return k;
	int e = 0;
	/* present is what dpkg has on disk (the second letter: not-installed 'n' or not), never
	 * what was wanted (the first): a purge killed midway leaves "pi", "pF" or "pH" */
	if (k == 0 && out[0] && out[1] && out[1] != 'n') {
		char *f[5] = { 0 };
		p->unsettled = dpkg_unsettled(out);
		size_t n = fields(out, f, 5);
		size_t nn = 0, np = 0;
		p->present = true;
		if (n >= 2 && !(p->publisher = strdup(f[1])))
			e = -ENOMEM;
		if (e == 0 && n >= 3 && !(p->version = strdup(f[2])))
			e = -ENOMEM;
		if (e == 0 && n >= 4)
			e = add_words(&p->needs, &nn, f[3], ",|");
		if (e == 0 && n >= 5)
			e = add_words(&p->provides, &np, f[4], ",");
	} else if (k != 0 && k != 1) {
		e = err_set(err, -EIO, "dpkg-query -W %s under '%s': exit status %d", pkg, r->path, k);
	}
	free(out);
	return e == -ENOMEM ? err_set(err, e, "out of memory") : e;
}

const char *pkgdb_rpm_dbpath(const struct root *r, char *buf, size_t size)
{
	const char *db = rpmdb_dir(r);
	if (!db || r->live)
		return db;
	char link[64], dir[PATH_MAX], top[PATH_MAX];
	int fd = root_openat(r, db, O_PATH | O_DIRECTORY);
	if (fd < 0)
		return db;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	ssize_t n = readlink(link, dir, sizeof(dir) - 1);
	close(fd);
	snprintf(link, sizeof(link), "/proc/self/fd/%d", r->fd);
	ssize_t t = readlink(link, top, sizeof(top) - 1);
	if (n <= 0 || t <= 0)
		return db;
	dir[n] = top[t] = 0;
	size_t tl = strcmp(top, "/") ? (size_t)t : 0;
	if (strncmp(dir, top, tl) || dir[tl] != '/' || (size_t)snprintf(buf, size, "%s", dir + tl) >= size)
		return db;
	return buf;
}

static int query_rpm(const struct root *r, const char *pkg, int log_fd, struct pkg_info *p, struct excise_err *err)
{
	char dbbuf[PATH_MAX];
	const char *db = pkgdb_rpm_dbpath(r, dbbuf, sizeof(dbbuf));
	if (!db)
		return err_set(err, -ENOENT, "no RPM database under '%s' (looked in /usr/lib/sysimage/rpm and /var/lib/rpm)",
			       r->path);
	const char *argv[] = { "rpm", "--root", r->path, "--dbpath", db, "-q", "--qf",
			       "%{VENDOR}\\t%{PACKAGER}\\t%{VERSION}-%{RELEASE}\\t[%{REQUIRENAME},]\\t[%{PROVIDENAME},]\\n",
			       pkg, NULL };
	char *out = NULL;
	int k = spawn_capture_in(r, argv, log_fd, EXCISE_MAX_TOOL_OUTPUT, &out, err);
	if (k < 0)
		return k;
	int e = 0;
	if (k == 0) {
		char *f[5] = { 0 };
		size_t n = fields(out, f, 5), nn = 0, np = 0;
		p->present = true;
		if (n >= 1 && strcmp(f[0], "(none)") && !(p->publisher = strdup(f[0])))
			e = -ENOMEM;
		if (e == 0 && n >= 2 && strcmp(f[1], "(none)") && !(p->packager = strdup(f[1])))
			e = -ENOMEM;
		if (e == 0 && n >= 3 && !(p->version = strdup(f[2])))
			e = -ENOMEM;
		if (e == 0 && n >= 4)
			e = add_words(&p->needs, &nn, f[3], ",");
		if (e == 0 && n >= 5)
			e = add_words(&p->provides, &np, f[4], ",");
	}
	free(out);
	return e == -ENOMEM ? err_set(err, e, "out of memory") : e;
}

int pkgdb_query(const struct root *r, enum pkgdb_kind k, const char *pkg, int log_fd, struct pkg_info *ret,
		struct excise_err *err)
{
	*ret = (struct pkg_info){ 0 };
	if (!pkgdb_name_ok(pkg))
		return err_set(err, -EXCISE_E_REFUSED, "'%s' is not a package name", pkg ? pkg : "");
	int e = k == PKGDB_DPKG ? query_dpkg(r, pkg, log_fd, ret, err) : query_rpm(r, pkg, log_fd, ret, err);
	if (e < 0)
		pkg_info_done(ret);
	return e;
}

/* A name in dpkg's info directory that is `pkg`'s file list (PKG.list or PKG:ARCH.list). */
static bool list_of(const char *name, const char *pkg)
{
	size_t n = strlen(pkg), l = strlen(name);
	if (l < n + 5 || strncmp(name, pkg, n) || strcmp(name + l - 5, ".list"))
		return false;
	return l == n + 5 || (name[n] == ':' && l > n + 6 && !memchr(name + n + 1, '/', l - n - 6));
}

static int files_dpkg(const struct root *r, const char *pkg, pkgdb_path_fn fn, void *ud, struct excise_err *err)
{
	static const char info[] = "/var/lib/dpkg/info";
	DIR *dh = NULL;
	int e = root_opendir(r, info, &dh);
	if (e == -ENOENT)
		return 0;
	if (e < 0)
		return err_setc(err, e, "'%s' under '%s'", info, r->path);
	struct dirent *de;
	while (e == 0 && (de = readdir(dh))) {
		if (!list_of(de->d_name, pkg))
			continue;
		char *lp = path_join(info, de->d_name), *text = NULL;
		size_t len = 0;
		struct stat st = { 0 };
		e = lp ? root_read_regular(r, lp, EXCISE_MAX_DPKG_LIST_SIZE, &text, &len, &st) : -ENOMEM;
		if (e == -EXCISE_E_TOOBIG)
			e = err_set(err, e, "'%s' under '%s': over %u bytes", lp, r->path, EXCISE_MAX_DPKG_LIST_SIZE);
		else if (e == -ELOOP || e == -EXCISE_E_SPECIAL || e == -EISDIR)
			e = err_set(err, -EXCISE_E_REFUSED, "'%s' under '%s' is a %s, not dpkg's file list: not read", lp,
				    r->path, e == -ELOOP ? "symbolic link" : root_type_name(st.st_mode));
		else if (e < 0)
			e = err_setc(err, e, "'%s' under '%s'", lp ? lp : de->d_name, r->path);
		else
			e = dpkg_list_paths(text, len, fn, ud);
		free(text);
		free(lp);
	}
	closedir(dh);
	return e;
}

static int files_rpm(const struct root *r, const char *pkg, pkgdb_path_fn fn, void *ud, struct excise_err *err)
{
	char dbbuf[PATH_MAX];
	const char *db = pkgdb_rpm_dbpath(r, dbbuf, sizeof(dbbuf));
	if (!db)
		return 0;
	const char *argv[] = { "rpm", "--root", r->path, "--dbpath", db, "-ql", "--", pkg, NULL };
	char *out = NULL;
	int k = spawn_capture_in(r, argv, -1, EXCISE_MAX_TOOL_OUTPUT, &out, err);
	if (k < 0)
		return k;
	/* one path a line, as in dpkg's lists ("(contains no files)" is not a path) */
	int e = k == 0 ? dpkg_list_paths(out, strlen(out), fn, ud) : 0;
	free(out);
	return e;
}

int pkgdb_files(const struct root *r, enum pkgdb_kind k, const char *pkg, pkgdb_path_fn fn, void *userdata,
		struct excise_err *err)
{
	if (!pkgdb_name_ok(pkg))
		return err_set(err, -EXCISE_E_REFUSED, "'%s' is not a package name", pkg ? pkg : "");
	return k == PKGDB_DPKG ? files_dpkg(r, pkg, fn, userdata, err) : files_rpm(r, pkg, fn, userdata, err);
}

struct vendor_hit {
	const char *vendor;
	bool found;
};

static int vendor_cb(void *ud, const struct excise_indicator *ind)
{
	struct vendor_hit *h = ud;
	if (ind->vendor_id && strcmp(ind->vendor_id, h->vendor) == 0 && ind->confidence >= EXCISE_CONF_STRONG) {
		h->found = true;
		return 1;
	}
	return 0;
}

bool pkgdb_names_vendor(const struct matcher *m, const char *vendor_id, const struct pkg_info *p)
{
	if (!vendor_id)
		return false;
	struct vendor_hit h = { .vendor = vendor_id };
	const char *f[] = { p->publisher, p->packager };
	for (size_t i = 0; i < 2 && !h.found; i++)
		if (f[i] && f[i][0])
			(void)matcher_match(m, EXCISE_OBS_PACKAGE, EXCISE_F_PUBLISHER, f[i], strlen(f[i]), vendor_cb, &h);
	return h.found;
}
