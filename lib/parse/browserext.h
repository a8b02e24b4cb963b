/* SPDX-License-Identifier: Apache-2.0 */
/*
 * browserext: what browsers record about their extensions, JSON bytes in
 * (jansson), one callback per extension out.
 *
 * bext_parse_manifest: a Chromium extension's manifest.json. One callback
 *   with id NULL (the id is the folder's name), name, version, default_locale.
 * bext_parse_chromium_prefs: a Chromium profile's "Preferences" or "Secure
 *   Preferences": one callback per key of the extensions.settings object (id =
 *   the key). enabled: "state" 1/0 when present (older browsers), else a
 *   non-zero or non-empty "disable_reasons" means disabled, else enabled;
 *   from_webstore; path (relative "<id>/<version>" or an unpacked folder);
 *   location (the number as a word, "unpacked"...); name and version from an
 *   embedded "manifest" object. A file without extensions.settings has none.
 * bext_parse_firefox: a Firefox profile's extensions.json (or the add-on
 *   metadata cache addons.json, same "addons" array): one callback per array
 *   element that is an object with a string "id". name: defaultLocale.name,
 *   else "name"; enabled: "active" when a boolean, else !"userDisabled", else
 *   unknown; version, type, location, path as written.
 * bext_parse_messages: the "message" of `key` (ASCII case-insensitive, as
 *   Chromium looks it up) in a _locales/<locale>/messages.json.
 *
 * Errors (every one stops the parse; `err` names `name` and the place):
 * input over EXCISE_MAX_BROWSER_JSON_SIZE is -EXCISE_E_TOOBIG; bytes that are
 * not JSON, nesting deeper than jansson's 2048 levels, or a wrong top-level
 * shape is -EXCISE_E_CORRUPT ("'<name>': line L column C (byte B): why");
 * after EXCISE_MAX_BROWSER_EXTENSIONS callbacks -EXCISE_E_LIMIT (those
 * delivered stand). Strings are NUL-terminated UTF-8, borrowed for the call.
 */
#ifndef EXCISE_PARSE_BROWSEREXT_H
#define EXCISE_PARSE_BROWSEREXT_H

#include <stdbool.h>
#include <stddef.h>

#include "core/macro.h"
#include "excise/error.h"

struct bext {
	const char *id;             /* NULL from a manifest */
	const char *name;           /* as written: may be "__MSG_key__" */
	const char *version;
	const char *default_locale; /* manifest only */
	const char *path;
	const char *type;           /* Firefox: extension, theme, locale, dictionary... */
	const char *location;
	int enabled;                /* 1, 0, or -1 when the file does not say */
	int from_webstore;          /* 1, 0, or -1 */
};

/* Return 0 to go on, < 0 to stop the parse with that value (err untouched). */
typedef int (*bext_fn)(void *ud, const struct bext *e);

/* Each returns the number of callbacks made (>= 0) or < 0 with `err` filled. */
NODISCARD int bext_parse_manifest(const char *name, const void *data, size_t len, bext_fn cb,
				  void *ud, struct excise_err *err);
NODISCARD int bext_parse_chromium_prefs(const char *name, const void *data, size_t len, bext_fn cb,
					void *ud, struct excise_err *err);
NODISCARD int bext_parse_firefox(const char *name, const void *data, size_t len, bext_fn cb,
				 void *ud, struct excise_err *err);

/* *ret: the message (malloc'd), or NULL when the file has no such key. Returns 0 or < 0. */
NODISCARD int bext_parse_messages(const char *name, const void *data, size_t len, const char *key,
				  char **ret, struct excise_err *err);

/* When `s` is "__MSG_<key>__" (a localized name), *key and *klen give the key. */
bool bext_msg_ref(const char *s, const char **key, size_t *klen);

#endif
