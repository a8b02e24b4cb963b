/* SPDX-License-Identifier: Apache-2.0 */
/*
 * reinstall: `excise restore RUN --reinstall FILE...` puts back a package the run
 * purged, from a package file the operator supplies. On the live host the host's
 * package manager installs it (dpkg -i, rpm -i). On an offline root no program of
 * the image runs: a .deb is unpacked by the host's dpkg-deb into a private
 * directory outside the root, its files are created in the root through
 * root-confined calls (openat2 RESOLVE_IN_ROOT; a name is replaced by rename, never
 * written through), and the image's dpkg database gets the package in state
 * "unpacked" (info/PKG.list, .md5sums, .conffiles, the control scripts; conffiles
 * as PATH.dpkg-new), as `dpkg --unpack` leaves it: its configure step, scripts
 * included, runs on the image itself (`dpkg --configure -a`). An offline rpm is
 * refused: rpm resolves the root's paths itself.
 */
#ifndef EXCISE_REINSTALL_H
#define EXCISE_REINSTALL_H

#include <stdbool.h>
#include <stddef.h>

#include "core/macro.h"
#include "core/root.h"
#include "excise/error.h"

/* A package the run purged (a dpkg-purge or rpm-erase step done). */
struct reinstall_pkg {
	bool dpkg;
	const char *name;
	const char *version;   /* as the plan recorded it; may be NULL */
};

/* One package file, checked against the purged packages. */
struct reinstall_file {
	char *path;            /* absolute host path */
	bool dpkg;             /* a .deb (else an .rpm) */
	char *name, *version;  /* what the file says it is */
	const struct reinstall_pkg *pkg;  /* the purged package it puts back */
};

/* Identify every file (the host's dpkg-deb or rpm reads it) and match it to a purged
 * package by name and kind, before anything is touched: a file that is no package, or
 * the package of none the run purged, or (offline) an rpm, is refused (-EXCISE_E_REFUSED,
 * naming the file). A version other than the one purged is allowed; *warnings (a
 * NULL-terminated vector, free with excise_strv_free) says so. */
NODISCARD int reinstall_check(const struct root *r, const char *const *files, const struct reinstall_pkg *purged,
			      size_t n_purged, struct reinstall_file **ret, size_t *ret_n, char ***warnings,
			      struct excise_err *err);

/* Install each checked file (see above); `log_fd` gets the tools' output. *done gets one
 * line per package put back ("dpkg kesl 12.1.0-1191 from FILE: ..."). Stops at the first
 * failure, naming the file. */
NODISCARD int reinstall_apply(const struct root *r, int log_fd, const struct reinstall_file *f, size_t n,
			      char ***done, struct excise_err *err);

void reinstall_files_free(struct reinstall_file *f, size_t n);

#endif
