/* SPDX-License-Identifier: Apache-2.0 */
/* safety: what a removal may never touch (see safety.h). */
#include "remove/safety.h"

#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "core/err.h"

/*
 * Matched with fnmatch(FNM_PATHNAME | FNM_CASEFOLD): a '*' never crosses a '/'.
 * Every directory of depth one is protected, and the system's own directories
 * below them; a vendor's folder inside any of these is not. Being allowed here is
 * not enough to be removed: the path must also be what evidence of strong or
 * definitive confidence, matched again against the catalog, names (plan.c).
 */
static const char *const protected[] = {
	"/", "/*",
	/* Linux */
	"/usr/*", "/usr/local/*", "/usr/share/*", "/usr/lib/*", "/usr/lib64/*", "/usr/libexec/*",
	"/usr/lib/systemd/*", "/lib/systemd/*", "/usr/lib/modules/*", "/lib/modules/*",
	"/usr/lib/modules/*/*", "/lib/modules/*/*", "/usr/local/share/*", "/usr/local/lib/*",
	"/var/*", "/var/lib/*", "/var/cache/*", "/var/log/*", "/var/spool/*",
	"/etc/*", "/etc/systemd/*", "/etc/systemd/system/*.wants", "/etc/systemd/system/*.requires",
	"/etc/ssl/*", "/etc/pki/*", "/etc/pki/ca-trust/*", "/etc/pki/ca-trust/source/*",
	"/etc/pki/ca-trust/extracted/*", "/etc/rc?.d", "/etc/init.d", "/etc/opt",
	"/home/*", "/root/*", "/boot/*",
	/* Windows */
	"/Windows/*", "/Windows/System32/*", "/Windows/SysWOW64/*", "/Program Files/Common Files",
	"/Program Files (x86)/Common Files", "/ProgramData/Microsoft", "/Users/*", "/Users/*/AppData",
	"/Users/*/AppData/*", "/Users/*/AppData/Local/Microsoft", "/Users/*/AppData/Roaming/Microsoft",
	/* macOS; vendors keep their folders in Application Support, Apple its own */
	"/System/*", "/Library/*", "/Library/Application Support/Apple", "/Users/*/Library",
	"/Users/*/Library/*", "/Users/*/Library/Application Support/Apple", "/private/*", "/private/var/*",
};

bool safety_protected(const char *path)
{
	for (size_t i = 0; i < sizeof(protected) / sizeof(protected[0]); i++)
		if (fnmatch(protected[i], path, FNM_PATHNAME | FNM_CASEFOLD) == 0)
			return true;
	return false;
}

/* An absolute path with no empty, "." or ".." component and no trailing slash. */
static bool normal_form(const char *path)
{
	if (path[0] != '/')
		return false;
	if (path[1] == 0)
		return true;
	for (const char *p = path; *p;) {
		const char *c = p + 1, *e = strchrnul(c, '/');
		size_t n = (size_t)(e - c);
		if (n == 0 || (n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
			return false;
		p = e;
	}
	return true;
}

int safety_check_path(const struct root *r, const char *path, struct excise_err *err)
{
	if (!path || !normal_form(path))
		return err_set(err, -EXCISE_E_REFUSED, "'%s': not an absolute path in normal form (no ., .. or //)",
			       path ? path : "(null)");
	if (safety_protected(path))
		return err_set(err, -EXCISE_E_REFUSED, "'%s' is a protected system path: never removed", path);
	const char *slash = strrchr(path, '/');
	char *dir = strndup(path, slash == path ? 1 : (size_t)(slash - path));
	if (!dir)
		return err_set(err, -ENOMEM, "out of memory");
	/* every parent component, none a symlink, inside the root */
	int dfd = root_openat_nofollow(r, dir, O_PATH | O_DIRECTORY);
	if (dfd < 0) {
		int e = dfd;
		if (e == -ELOOP || e == -EXDEV)
			e = err_set(err, -EXCISE_E_SYMLINK, "'%s': a parent directory is a symlink: never removed through it",
				    path);
		else if (e != -ENOENT && e != -ENOTDIR)
			e = err_setc(err, e, "'%s': opening its directory", path);
		else
			e = -ENOENT;
		free(dir);
		return e;
	}
	free(dir);
	struct stat pst;
	struct statx sx;
	int e = 0;
	if (fstat(dfd, &pst) < 0)
		e = err_setc(err, -errno, "'%s': stat of its directory", path);
	else if (statx(dfd, slash + 1, AT_SYMLINK_NOFOLLOW, STATX_TYPE | STATX_INO, &sx) < 0)
		e = errno == ENOENT ? -ENOENT : err_setc(err, -errno, "'%s': lstat", path);
	else if ((sx.stx_attributes_mask & sx.stx_attributes & STATX_ATTR_MOUNT_ROOT) ||
		 makedev(sx.stx_dev_major, sx.stx_dev_minor) != pst.st_dev)
		e = err_set(err, -EXCISE_E_REFUSED, "'%s' is a mount point: never removed", path);
	close(dfd);
	return e;
}
