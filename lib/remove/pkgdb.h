/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pkgdb: what dpkg and rpm say about one package right now, asked of the tools
 * themselves (dpkg-query --admindir, rpm --root -q) so that planning and removal
 * see exactly what the package manager will act on.
 */
#ifndef EXCISE_PKGDB_H
#define EXCISE_PKGDB_H

#include <stdbool.h>
#include <stddef.h>

#include "catalog/match.h"
#include "core/macro.h"
#include "core/root.h"
#include "excise/error.h"

enum pkgdb_kind { PKGDB_DPKG, PKGDB_RPM };

struct pkg_info {
	bool present;      /* installed, or (dpkg) config-files left, or left midway by an interrupted run */
	bool unsettled;    /* (dpkg) left midway by an interrupted run: see dpkg_unsettled */
	char *publisher;   /* dpkg Maintainer, rpm Vendor */
	char *packager;    /* rpm Packager, or NULL */
	char *version;
	char **needs;      /* NULL-terminated: package names (dpkg Depends/Pre-Depends) or capabilities (rpm Requires) */
	char **provides;   /* NULL-terminated: rpm Provides, the dpkg package's Provides */
};

/* Ask about `pkg`; `log_fd` (may be -1) gets the tools' stderr. */
NODISCARD int pkgdb_query(const struct root *r, enum pkgdb_kind k, const char *pkg, int log_fd,
			  struct pkg_info *ret, struct excise_err *err);
void pkg_info_done(struct pkg_info *p);

/*
 * The files the package manager owns for `pkg` and deletes when it is purged: each
 * path of dpkg's info/PKG.list and PKG:ARCH.list (conffiles included; read confined
 * in the root, untrusted: lib/parse/dpkg.c) or of `rpm -ql`. `fn` gets each path.
 * A package without a list gives none.
 */
typedef int (*pkgdb_path_fn)(void *userdata, const char *path, size_t len);
NODISCARD int pkgdb_files(const struct root *r, enum pkgdb_kind k, const char *pkg, pkgdb_path_fn fn,
			  void *userdata, struct excise_err *err);

/* True when the package's publisher or packager matches a strong or definitive
 * publisher indicator of `vendor_id`. */
bool pkgdb_names_vendor(const struct matcher *m, const char *vendor_id, const struct pkg_info *p);

/* Whether a dpkg ${db:Status-Abbrev} ("pH ", "iF ", "iiR") is a package an interrupted dpkg
 * run left midway (half-installed, half-configured, unpacked, triggers, reinst-required). */
bool dpkg_unsettled(const char *abbrev);

/* The RPM database directory (rpmdb_dir) as a path inside the root with no symlink on
 * it, resolved in the root (an image's /usr/lib/sysimage/rpm linked to /var/lib/rpm is
 * the image's /var/lib/rpm): rpm joins --root and --dbpath, and an absolute link would
 * otherwise be followed from wherever rpm runs. Written to `buf` when it differs; NULL
 * when there is no database. */
const char *pkgdb_rpm_dbpath(const struct root *r, char *buf, size_t size);

/* An offline root's dpkg database as dpkg opens it (the files directly in
 * /var/lib/dpkg, updates/ and triggers/): a FIFO, socket or device there, or (with
 * `links`: before a purge) a symlink dpkg would write through, refuses the tool with a
 * message naming it (-EXCISE_E_REFUSED). The confinement holds without it; this says
 * why instead of a dpkg error or a deadline. */
NODISCARD int pkgdb_dpkg_check(const struct root *r, bool links, struct excise_err *err);

/* dpkg and rpm package names: no option, no path, no shell word. */
bool pkgdb_name_ok(const char *s);

#endif
