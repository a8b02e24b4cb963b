/* SPDX-License-Identifier: Apache-2.0 */
/* rpmdb: where an RPM database lives in a root and which backend it uses; for the
 * rpm source, which reads it, and the remover, which hands it to rpm. */
#ifndef EXCISE_RPMDB_H
#define EXCISE_RPMDB_H

#include "core/root.h"

/* Where rpm keeps its database: rpm >= 4.17 and older ones. Often one is a symlink to the other. */
extern const char *const rpmdb_dirs[2];

struct rpmdb_backend {
	const char *label;            /* for messages */
	const char *marker;           /* the file whose presence says which backend */
	const char *const files[3];   /* the files copied (the marker first) */
};

/* In rpm's own order of preference when several are present: SQLite, NDB, Berkeley DB. */
extern const struct rpmdb_backend rpmdb_backends[3];

/* The backend whose marker file is in the directory `dfd`, or NULL. */
const struct rpmdb_backend *rpmdb_backend_of(int dfd);

/* The directory inside `root` holding an RPM database (the first of rpmdb_dirs with a
 * database file), or NULL when there is none. rpm itself is given it as --dbpath, so
 * that it acts on the database the scan read whatever its own compiled-in default
 * (Debian's rpm uses ~/.rpmdb). */
const char *rpmdb_dir(const struct root *root);

#endif
