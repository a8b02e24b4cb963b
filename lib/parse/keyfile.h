/* SPDX-License-Identifier: Apache-2.0 */
/*
 * keyfile: parsers of two small "key = value" text formats, bytes in, one
 * callback per entry out.
 *
 * keyfile_parse_ini: systemd unit files (systemd.syntax(7)).
 *   - "[Section]" lines open a section; every assignment must be inside one;
 *   - "Key=Value": key and value stripped of ASCII white space, the value may
 *     be empty; the section and key are passed as written (case kept);
 *   - lines whose first non-blank byte is '#' or ';' are comments, blank lines
 *     are ignored;
 *   - a line ending in a backslash continues on the next line: the backslash
 *     becomes one space, and comment lines inside a continuation are skipped
 *     (as systemd does); a continuation at end of file just ends the line.
 *
 * keyfile_parse_env: shell-style assignment files such as /etc/os-release
 * (os-release(5)).
 *   - "KEY=VALUE" where KEY is [A-Za-z_][A-Za-z0-9_]*, no blanks around '=';
 *     an optional "export " prefix is accepted;
 *   - VALUE is a shell word: unquoted bytes, '...' (literal), "..." (backslash
 *     escapes \\ \" \$ \` and a backslash-newline which is removed; any other
 *     backslash is kept), and an unquoted backslash escapes the next byte;
 *     segments concatenate ("a"'b'c is "abc"); quoted values may span lines;
 *   - after the value only blanks and a "# comment" may follow;
 *   - '#' comment lines and blank lines are ignored. The section passed to the
 *     callback is always "".
 *
 * Both: CRLF line ends and a missing final newline are tolerated; a NUL byte
 * is an error. Limits (lib/core/limits.h): input over EXCISE_MAX_TEXT_FILE_SIZE
 * bytes is refused (-EXCISE_E_TOOBIG, nothing parsed); a logical line (after
 * joining continuations) or a value over EXCISE_MAX_KEYFILE_LINE bytes is
 * -EXCISE_E_TOOBIG; more than EXCISE_MAX_KEYFILE_ENTRIES entries is
 * -EXCISE_E_LIMIT. Any malformed line is -EXCISE_E_CORRUPT. On every error
 * the parse stops, `err` names `name` and the line ("'<name>': line N: ..."),
 * and the entries before the bad line have been delivered already, so a
 * caller can keep what it got.
 *
 * All strings given to the callback are NUL-terminated and borrowed for the
 * call only.
 */
#ifndef EXCISE_PARSE_KEYFILE_H
#define EXCISE_PARSE_KEYFILE_H

#include <stddef.h>

#include "core/macro.h"
#include "excise/error.h"

/* Return 0 to go on, < 0 to stop the parse with that value (passed through,
 * err left untouched), > 0 to stop early without error. */
typedef int (*keyfile_fn)(void *ud, const char *section, const char *key, const char *value);

/* Returns the number of entries delivered (>= 0), or < 0 with `err` filled
 * (when not NULL) as described above. `name` labels messages (may be NULL). */
NODISCARD int keyfile_parse_ini(const char *data, size_t len, const char *name, keyfile_fn cb,
				void *ud, struct excise_err *err);
NODISCARD int keyfile_parse_env(const char *data, size_t len, const char *name, keyfile_fn cb,
				void *ud, struct excise_err *err);

#endif
