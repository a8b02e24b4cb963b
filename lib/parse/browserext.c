/* SPDX-License-Identifier: Apache-2.0 */
/* browserext: extension records from Chromium and Firefox profile JSON (jansson). */
#include "parse/browserext.h"

#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "core/err.h"
#include "core/limits.h"

#define LABEL(name) ((name) ? (name) : "(input)")

/* Parse `data` as one JSON value (objects and arrays only at the top). */
static int load(const char *name, const void *data, size_t len, json_t **ret,
		struct excise_err *err)
{
	if (len > EXCISE_MAX_BROWSER_JSON_SIZE)
		return err_set(err, -EXCISE_E_TOOBIG, "'%s': larger than %u bytes", LABEL(name),
			       EXCISE_MAX_BROWSER_JSON_SIZE);
	json_error_t je;
	json_t *j = json_loadb(data, len, JSON_REJECT_DUPLICATES, &je);
	if (!j) {
		if (json_error_code(&je) == json_error_out_of_memory)
			return err_set(err, -ENOMEM, "'%s': out of memory", LABEL(name));
		return err_set(err, -EXCISE_E_CORRUPT, "'%s': line %d column %d (byte %d): %s",
			       LABEL(name), je.line, je.column, je.position, je.text);
	}
	*ret = j;
	return 0;
}

static const char *str(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s && *s ? s : NULL;
}

/* 1 / 0 for a JSON boolean, -1 otherwise. */
static int tri(const json_t *v)
{
	return json_is_boolean(v) ? json_is_true(v) : -1;
}

static int deliver(const char *name, bext_fn cb, void *ud, const struct bext *e, int *n,
		   struct excise_err *err)
{
	if ((unsigned)*n >= EXCISE_MAX_BROWSER_EXTENSIONS)
		return err_set(err, -EXCISE_E_LIMIT, "'%s': more than %u extensions, only the first %u read",
			       LABEL(name), EXCISE_MAX_BROWSER_EXTENSIONS, EXCISE_MAX_BROWSER_EXTENSIONS);
	(*n)++;
	return cb(ud, e);
}

int bext_parse_manifest(const char *name, const void *data, size_t len, bext_fn cb, void *ud,
			struct excise_err *err)
{
	json_t *j = NULL;
	int r = load(name, data, len, &j, err);
	if (r < 0)
		return r;
	if (!json_is_object(j)) {
		json_decref(j);
		return err_set(err, -EXCISE_E_CORRUPT, "'%s': not a JSON object", LABEL(name));
	}
	struct bext e = { .enabled = -1, .from_webstore = -1 };
	e.name = str(j, "name");
	e.version = str(j, "version");
	e.default_locale = str(j, "default_locale");
	r = cb(ud, &e);
	json_decref(j);
	return r < 0 ? r : 1;
}

static const char *const chromium_locations[] = {
	[1] = "internal", [2] = "external_pref", [3] = "external_registry", [4] = "unpacked",
	[5] = "component", [6] = "external_pref_download", [7] = "external_policy_download",
	[8] = "command_line", [9] = "external_policy", [10] = "external_component",
};

static int chromium_enabled(const json_t *s)
{
	const json_t *state = json_object_get(s, "state");
	if (json_is_integer(state))
		return json_integer_value(state) == 1;
	const json_t *dr = json_object_get(s, "disable_reasons");
	if (json_is_integer(dr))
		return json_integer_value(dr) == 0;
	if (json_is_array(dr))
		return json_array_size(dr) == 0;
	return 1;
}

int bext_parse_chromium_prefs(const char *name, const void *data, size_t len, bext_fn cb, void *ud,
			      struct excise_err *err)
{
	json_t *j = NULL;
	int r = load(name, data, len, &j, err);
	if (r < 0)
		return r;
	if (!json_is_object(j)) {
		json_decref(j);
		return err_set(err, -EXCISE_E_CORRUPT, "'%s': not a JSON object", LABEL(name));
	}
	const json_t *settings = json_object_get(json_object_get(j, "extensions"), "settings");
	int n = 0;
	const char *id;
	json_t *s;
	json_object_foreach((json_t *)settings, id, s) {
		if (!json_is_object(s) || !*id)
			continue;
		struct bext e = { .id = id };
		e.enabled = chromium_enabled(s);
		e.from_webstore = tri(json_object_get(s, "from_webstore"));
		e.path = str(s, "path");
		const json_t *loc = json_object_get(s, "location");
		json_int_t l = json_is_integer(loc) ? json_integer_value(loc) : 0;
		if (l > 0 && l < (json_int_t)ARRAY_SIZE(chromium_locations))
			e.location = chromium_locations[l];
		const json_t *m = json_object_get(s, "manifest");
		e.name = str(m, "name");
		e.version = str(m, "version");
		e.default_locale = str(m, "default_locale");
		r = deliver(name, cb, ud, &e, &n, err);
		if (r < 0)
			break;
	}
	json_decref(j);
	return r < 0 ? r : n;
}

int bext_parse_firefox(const char *name, const void *data, size_t len, bext_fn cb, void *ud,
		       struct excise_err *err)
{
	json_t *j = NULL;
	int r = load(name, data, len, &j, err);
	if (r < 0)
		return r;
	const json_t *addons = json_object_get(j, "addons");
	if (!json_is_array(addons)) {
		json_decref(j);
		return err_set(err, -EXCISE_E_CORRUPT, "'%s': no \"addons\" array", LABEL(name));
	}
	int n = 0;
	size_t i;
	json_t *a;
	json_array_foreach(addons, i, a) {
		struct bext e = { .id = str(a, "id"), .from_webstore = -1 };
		if (!json_is_object(a) || !e.id)
			continue;
		e.name = str(json_object_get(a, "defaultLocale"), "name");
		if (!e.name)
			e.name = str(a, "name");
		e.version = str(a, "version");
		e.type = str(a, "type");
		e.location = str(a, "location");
		e.path = str(a, "path");
		e.enabled = tri(json_object_get(a, "active"));
		if (e.enabled < 0) {
			int ud_ = tri(json_object_get(a, "userDisabled"));
			e.enabled = ud_ < 0 ? -1 : !ud_;
		}
		r = deliver(name, cb, ud, &e, &n, err);
		if (r < 0)
			break;
	}
	json_decref(j);
	return r < 0 ? r : n;
}

int bext_parse_messages(const char *name, const void *data, size_t len, const char *key, char **ret,
			struct excise_err *err)
{
	*ret = NULL;
	json_t *j = NULL;
	int r = load(name, data, len, &j, err);
	if (r < 0)
		return r;
	const char *k;
	json_t *v;
	json_object_foreach(j, k, v) {
		if (strcasecmp(k, key) != 0)
			continue;
		const char *m = str(v, "message");
		if (m && !(*ret = strdup(m)))
			r = err_set(err, -ENOMEM, "'%s': out of memory", LABEL(name));
		break;
	}
	json_decref(j);
	return r;
}

bool bext_msg_ref(const char *s, const char **key, size_t *klen)
{
	size_t n = s ? strlen(s) : 0;
	if (n <= 8 || strncmp(s, "__MSG_", 6) != 0 || strcmp(s + n - 2, "__") != 0)
		return false;
	*key = s + 6;
	*klen = n - 8;
	return true;
}
