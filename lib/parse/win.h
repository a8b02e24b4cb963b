/* SPDX-License-Identifier: Apache-2.0 */
/*
 * win: Windows paths inside a root, for the registry sources, the host facts of
 * an offline Windows root and the removal planner: a hive by its Windows-layout
 * path, a driver's image path as a root path.
 */
#ifndef EXCISE_WIN_H
#define EXCISE_WIN_H

#include "core/root.h"
#include "parse/hive.h"

#define WIN_SOFTWARE_HIVE "/Windows/System32/config/SOFTWARE"
#define WIN_SYSTEM_HIVE "/Windows/System32/config/SYSTEM"

/* Open the hive at the Windows-layout `path` (matched case-insensitively).
 * -EXCISE_E_ABSENT when there is none; other errors are described in `err`,
 * which names the file. *ret_path (optional) is the real path. */
NODISCARD int win_hive_open(const struct root *r, const char *path, struct hive **ret,
			    char **ret_path, struct excise_err *err);

/* A driver's ImagePath (expanded) as a root path: "\SystemRoot\System32\drivers\x.sys",
 * "System32\drivers\x.sys", "\??\C:\Windows\..." all give "/Windows/System32/drivers/x.sys".
 * NULL on OOM. */
char *win_root_path(const char *image);

#endif
