/* SPDX-License-Identifier: Apache-2.0 */
/* rpm: what the rpm source knows that the remover needs too. */
#ifndef EXCISE_SOURCE_RPM_H
#define EXCISE_SOURCE_RPM_H

#include "core/root.h"

/* The directory inside `root` holding an RPM database (/usr/lib/sysimage/rpm or
 * /var/lib/rpm, the first with a database file), or NULL when there is none.
 * rpm itself is given it as --dbpath, so that it acts on the database the scan read
 * whatever its own compiled-in default (Debian's rpm uses ~/.rpmdb). */
const char *rpm_db_dir(const struct root *root);

#endif
