/* SPDX-License-Identifier: Apache-2.0 */
/* rpmdb: where an RPM database lives in a root (see rpmdb.h). */
#include <fcntl.h>
#include <sys/stat.h>

#include "core/macro.h"
#include "parse/rpmdb.h"

const char *const rpmdb_dirs[2] = { "/usr/lib/sysimage/rpm", "/var/lib/rpm" };

const struct rpmdb_backend rpmdb_backends[3] = {
	{ "SQLite", "rpmdb.sqlite", { "rpmdb.sqlite", "rpmdb.sqlite-wal", NULL } },
	{ "NDB", "Packages.db", { "Packages.db", "Index.db", NULL } },
	{ "Berkeley DB", "Packages", { "Packages", NULL } },
};

const struct rpmdb_backend *rpmdb_backend_of(int dfd)
{
	for (size_t b = 0; b < ARRAY_SIZE(rpmdb_backends); b++) {
		struct stat st;
		if (fstatat(dfd, rpmdb_backends[b].marker, &st, AT_SYMLINK_NOFOLLOW) == 0)
			return &rpmdb_backends[b];
	}
	return NULL;
}

const char *rpmdb_dir(const struct root *root)
{
	for (size_t i = 0; i < ARRAY_SIZE(rpmdb_dirs); i++) {
		_cleanup_close_ int dfd = root_openat(root, rpmdb_dirs[i], O_PATH | O_DIRECTORY);
		if (dfd >= 0 && rpmdb_backend_of(dfd))
			return rpmdb_dirs[i];
	}
	return NULL;
}
