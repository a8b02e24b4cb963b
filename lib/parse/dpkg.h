/* SPDX-License-Identifier: Apache-2.0 */
/*
 * dpkg: a parser of dpkg's status database (/var/lib/dpkg/status), deb822 text.
 *
 * Format accepted: stanzas of "Field: value" lines separated by one or more
 * blank lines (empty, or only spaces and tabs); a line starting with a space or
 * a tab continues the field above it (" ." stands for an empty line of a
 * multi-line value); CRLF line ends and a missing final newline are tolerated;
 * field names are compared ignoring ASCII case. Comment lines are not part of
 * the status format: a line starting with '#' is an error like any other.
 *
 * Errors are of two kinds:
 *  - a bad stanza (a line without a colon, a continuation before any field, an
 *    empty field name, a NUL byte, a duplicate known field, no Package field, a
 *    Status that is not three words, a field value over
 *    EXCISE_MAX_DPKG_FIELD_SIZE): the stanza is skipped as a whole (up to the
 *    next blank line) and reported through `on_error` with the number of the
 *    line at fault; parsing goes on, so one corrupt stanza never hides the
 *    other packages. Without `on_error` the first bad stanza ends the parse
 *    and is returned like a whole-file error.
 *  - a whole-file problem: more than EXCISE_MAX_DPKG_STATUS_SIZE bytes
 *    (-EXCISE_E_TOOBIG, nothing parsed), more than EXCISE_MAX_DPKG_PACKAGES
 *    stanzas (-EXCISE_E_LIMIT, the stanzas before the limit were delivered),
 *    -ENOMEM, or a callback's negative return value, which is passed through.
 *
 * Memory: lines are scanned in place; only the fields below are copied, into
 * one buffer reused from stanza to stanza. Every string in a struct dpkg_pkg
 * is borrowed for the duration of the callback.
 */
#ifndef EXCISE_PARSE_DPKG_H
#define EXCISE_PARSE_DPKG_H

#include <stddef.h>

#include "core/macro.h"
#include "excise/error.h"

struct dpkg_pkg {
	const char *package;        /* never NULL */
	const char *version;        /* the rest may be NULL when the field is absent */
	const char *architecture;
	const char *status;         /* "install ok installed", whitespace normalised */
	const char *want;           /* first word of Status: unknown install hold deinstall purge */
	const char *eflag;          /* second: ok reinstreq ... */
	const char *state;          /* third: installed config-files not-installed ... */
	const char *maintainer;
	const char *description;    /* whole value: synopsis, then "\n"-joined continuation lines */
	const char *synopsis;       /* first line of Description */
	const char *source;
	const char *installed_size;
	const char *conffiles;      /* raw multi-line value, as for description */
	size_t line;                /* line number (1-based) of the stanza's first line */
};

/* Return 0 to go on, < 0 to stop the parse with that value. */
typedef int (*dpkg_pkg_fn)(void *userdata, const struct dpkg_pkg *pkg);

/* A bad stanza: `code` is -EXCISE_E_CORRUPT or -EXCISE_E_TOOBIG, `line` the line
 * at fault and `msg` the whole message ("'<name>': line N: ..."). Return 0 to go
 * on, < 0 to stop with that value. */
typedef int (*dpkg_error_fn)(void *userdata, int code, size_t line, const char *msg);

/*
 * Parse `len` bytes of status file named `name` (for messages). Calls `on_pkg`
 * for each good stanza, in file order, and `on_error` (may be NULL, see above)
 * for each bad one. Returns the number of bad stanzas (>= 0), or < 0 on a
 * whole-file error with `reterr` filled (when not NULL).
 */
NODISCARD int dpkg_status_parse(const char *name, const void *data, size_t len,
				dpkg_pkg_fn on_pkg, dpkg_error_fn on_error, void *userdata,
				struct excise_err *reterr);

/*
 * Walk the directories of a package's file list (info/PKG.list: one absolute path a
 * line): `fn` gets the directory of each listed path (not "/"), as the bytes
 * dir[0..len). Lines that are not absolute paths are skipped. Returns 0 or the callback's negative value.
 */
typedef int (*dpkg_dir_fn)(void *userdata, const char *dir, size_t len);
NODISCARD int dpkg_list_dirs(const char *text, size_t len, dpkg_dir_fn fn, void *userdata);

/*
 * Walk the paths of a package's file list: `fn` gets each line that is an absolute
 * path in normal form (no ".", "..", "//", trailing "/", NUL or "\r"; not "/" or
 * "/."), at most EXCISE_MAX_DPKG_LIST_PATH bytes, as the bytes path[0..len).
 * Anything else is skipped: the list is the image's, untrusted. Returns 0 or the
 * callback's negative value.
 */
NODISCARD int dpkg_list_paths(const char *text, size_t len, dpkg_dir_fn fn, void *userdata);

#endif
