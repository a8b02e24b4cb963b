/* SPDX-License-Identifier: Apache-2.0 */
/*
 * safety: the rules a removal path must pass, checked when a plan is made and
 * again just before a step acts (docs/removal.md, "Safety rules"):
 *  - an absolute path in normal form: no "//", ".", ".." components or trailing "/";
 *  - not a protected system path itself (/, /usr, /etc, /opt, /var, home folders...);
 *  - reached inside the root with no symlink in any parent component;
 *  - not a mount point.
 */
#ifndef EXCISE_SAFETY_H
#define EXCISE_SAFETY_H

#include <stdbool.h>

#include "core/macro.h"
#include "core/root.h"
#include "excise/error.h"

/* True for a path that is never removed itself (case-insensitive, for Windows and macOS roots too). */
bool safety_protected(const char *path);

/* 0 when `path` may be removed; -ENOENT when it is not there (nothing to do);
 * else -EXCISE_E_REFUSED or -EXCISE_E_SYMLINK with a message naming the rule. */
NODISCARD int safety_check_path(const struct root *r, const char *path, struct excise_err *err);

#endif
