/* SPDX-License-Identifier: Apache-2.0 */
/* plan-io: a plan as excise.plan/1 JSON (written and read back) and as text for people (every
 * string of the plan through text_escape: it may quote an image's names). */
#include <errno.h>
#include <stddef.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/doc.h"
#include "core/err.h"
#include "core/jsonbytes.h"
#include "core/limits.h"
#include "core/text.h"
#include "remove/plan_int.h"

/* ---- writing ---- */

static int set_str(json_t *o, const char *key, const char *s)
{
	if (!s)
		return json_object_set_new(o, key, json_null()) < 0 ? -ENOMEM : 0;
	return json_set_bytes(o, key, s, strlen(s));
}

static json_t *evidence_json(const struct excise_plan_evidence *e, int *r)
{
	json_t *o = json_object();
	if (!o || set_str(o, "source", e->source) || set_str(o, "kind", e->kind) || set_str(o, "value", e->value) ||
	    set_str(o, "path", e->path) || set_str(o, "indicator", e->indicator) ||
	    json_object_set_new(o, "confidence", json_string(excise_confidence_name(e->confidence))) < 0)
		*r = -ENOMEM;
	return o;
}

static json_t *strv_json(char **v)
{
	json_t *a = json_array();
	for (; a && v && *v; v++)
		json_array_append_new(a, json_string(*v));
	return a;
}

static json_t *step_json(const struct excise_plan_step *s, int *r)
{
	json_t *o = json_pack("{s:I, s:s}", "id", (json_int_t)s->id, "action", excise_plan_action_name(s->action));
	if (!o || set_str(o, "target", s->target) || set_str(o, "version", s->version) || set_str(o, "path", s->path) ||
	    set_str(o, "product", s->product) || set_str(o, "note", s->note) || (s->user && set_str(o, "user", s->user))) {
		*r = -ENOMEM;
		return o;
	}
	json_object_set_new(o, "args", strv_json(s->args));
	if (s->forms)
		json_object_set_new(o, "forms", strv_json(s->forms));
	json_object_set_new(o, "pid", json_integer(s->pid));
	json_object_set_new(o, "live_only", json_boolean(s->live_only));
	json_object_set_new(o, "fallback", json_boolean(s->fallback));
	json_object_set_new(o, "reboot", json_boolean(s->reboot));
	if (s->action == EXCISE_PLAN_REMOVE_PATH) {
		char t[2] = { s->seen.type ? s->seen.type : 'o', 0 };
		json_object_set_new(o, "seen", s->seen.known ?
				    json_pack("{s:b, s:s, s:I, s:I, s:I, s:I}", "known", 1, "type", t, "dev",
					      (json_int_t)s->seen.dev, "ino", (json_int_t)s->seen.ino, "size",
					      (json_int_t)s->seen.size, "mtime_ns", (json_int_t)s->seen.mtime_ns) :
				    json_pack("{s:b}", "known", 0));
	}
	json_t *ev = json_array();
	for (size_t i = 0; i < s->n_evidence; i++)
		json_array_append_new(ev, evidence_json(&s->evidence[i], r));
	json_object_set_new(o, "evidence", ev);
	return o;
}

static json_t *plan_json(const struct excise_plan *p, int *r)
{
	char scanned[32], created[32];
	time_rfc3339(p->scanned_ns, scanned);
	time_rfc3339(p->created_ns, created);
	json_t *host = json_object(), *cat = json_object();
	if (!host || !cat || set_str(host, "hostname", p->hostname) || set_str(host, "machine_id", p->machine_id) ||
	    set_str(host, "root", p->root) || set_str(host, "platform", p->platform) ||
	    (p->platforms && set_str(host, "platforms", p->platforms)) ||
	    json_object_set_new(host, "live", json_boolean(p->live)) < 0 || set_str(cat, "id", p->catalog_id) ||
	    set_str(cat, "version", p->catalog_version) || set_str(cat, "sha256", p->catalog_sha256))
		*r = -ENOMEM;
	json_t *o = json_pack("{s:s, s:o, s:o, s:s, s:I, s:s, s:I, s:o, s:b}", "schema", PLAN_SCHEMA, "report_id",
			      p->report_id ? json_string(p->report_id) : json_null(), "host", host, "scanned", scanned,
			      "scanned_ns", (json_int_t)p->scanned_ns, "created", created, "created_ns",
			      (json_int_t)p->created_ns, "catalog", cat, "reboot_required", p->reboot_required);
	if (!o) {
		*r = -ENOMEM;
		return NULL;
	}
	json_t *steps = json_array(), *sk = json_array();
	for (size_t i = 0; i < p->n_steps; i++)
		json_array_append_new(steps, step_json(&p->steps[i], r));
	for (size_t i = 0; i < p->n_skipped; i++) {
		json_t *k = json_object();
		if (!k || set_str(k, "what", p->skipped[i].what) || set_str(k, "why", p->skipped[i].why) ||
		    json_object_set_new(k, "refused", json_boolean(p->skipped[i].refused)))
			*r = -ENOMEM;
		json_array_append_new(sk, k);
	}
	json_object_set_new(o, "steps", steps);
	json_object_set_new(o, "skipped", sk);
	return o;
}

int plan_write_json(const struct excise_plan *p, FILE *out, struct excise_err *err)
{
	int r = 0;
	json_t *o = plan_json(p, &r);
	if (r == 0 && (json_dumpf(o, out, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII) < 0 ||
		       fputc('\n', out) == EOF))
		r = -EIO;
	json_decref(o);
	return r < 0 ? err_set(err, r, "writing the plan: %s", excise_strerror(r)) : 0;
}

int plan_write_text(const struct excise_plan *p, FILE *out, struct excise_err *err)
{
	char created[32];
	time_rfc3339(p->created_ns, created);
	text_printf(out, "Removal plan for %s (%s%s%s), report %s, made %s\n",
		    p->hostname && p->hostname[0] ? p->hostname : "?", p->platform, p->live ? ", live host" : ", offline root ",
		    p->live ? "" : p->root, p->report_id ? p->report_id : "?", created);
	text_printf(out, "Catalog %s %s\n\n", p->catalog_id ? p->catalog_id : "?",
		    p->catalog_version ? p->catalog_version : "?");
	if (!p->n_steps)
		fputs("Nothing to remove.\n", out);
	for (size_t i = 0; i < p->n_steps; i++) {
		const struct excise_plan_step *s = &p->steps[i];
		fprintf(out, "%3u. %-19s ", s->id, excise_plan_action_name(s->action));
		text_printf(out, "%s%s%s%s%s%s%s\n", s->target, s->version ? " " : "", s->version ? s->version : "",
			    s->path ? " (" : "", s->path ? s->path : "", s->path ? ")" : "",
			    s->fallback ? "  [only if the step before fails]" : "");
		if (s->live_only && !p->live)
			fputs("       skipped on an offline root\n", out);
		if (s->user)
			text_printf(out, "       a per-user install: run as %s\n", s->user);
		if (s->note)
			text_printf(out, "       %s\n", s->note);
		for (char **a = s->args; a && *a; a++)
			text_printf(out, "       needs %s from the operator\n", *a);
		for (size_t k = 0; k < s->n_evidence; k++) {
			const struct excise_plan_evidence *e = &s->evidence[k];
			text_printf(out, "       because: %s %s '%s'%s%s [%s, %s]\n", e->source, e->kind, e->value,
				    e->path ? " at " : "", e->path ? e->path : "", e->indicator,
				    excise_confidence_name(e->confidence));
		}
	}
	if (p->reboot_required)
		fputs("\nA reboot is needed to finish.\n", out);
	if (p->n_skipped) {
		fputs("\nNot acted on:\n", out);
		for (size_t i = 0; i < p->n_skipped; i++)
			text_printf(out, "  - %s%s: %s\n", p->skipped[i].refused ? "REFUSED " : "", p->skipped[i].what,
				    p->skipped[i].why);
	}
	return ferror(out) ? err_set(err, -EIO, "writing the plan") : 0;
}

int excise_plan_write(const struct excise_plan *p, enum excise_plan_format f, FILE *out, struct excise_err *err)
{
	switch (f) {
	case EXCISE_PLAN_TEXT: return plan_write_text(p, out, err);
	case EXCISE_PLAN_JSON: return plan_write_json(p, out, err);
	case EXCISE_PLAN_SH: return plan_emit_sh(p, out, err);
	case EXCISE_PLAN_PS1: return plan_emit_ps1(p, out, err);
	}
	return err_set(err, -EXCISE_E_USAGE, "unknown plan format %d", (int)f);
}

/* ---- reading ---- */

static struct excise_plan *plan_of(struct doc *d)
{
	return d->userdata;
}

static int action_field(struct doc *d, const struct doc_field *f, json_t *v, void *ret)
{
	(void)f;
	int a = plan_action_from_name(json_string_value(v));
	if (a < 0) {
		char names[512] = "";
		for (int i = 0; i < EXCISE_PLAN_ACTION_MAX; i++)
			snprintf(names + strlen(names), sizeof(names) - strlen(names), "%s%s", i ? "|" : "",
				 excise_plan_action_name((enum excise_plan_action)i));
		return doc_fail(d, "expected one of %s", names);
	}
	*(enum excise_plan_action *)ret = (enum excise_plan_action)a;
	return 0;
}

static const char *const seen_types[] = { "f", "d", "l", "o", NULL };

static int seen_type(struct doc *d, const struct doc_field *f, json_t *v, void *ret)
{
	int i = 0;
	int r = doc_enum(d, f, v, &i);
	if (r >= 0)
		*(char *)ret = seen_types[i][0];
	return r;
}

#define OBJ_FIELD(key, handler, member, flags) \
	{ key, DOC_INTEGER, handler, offsetof(struct excise_plan_object, member), flags }
static const struct doc_field seen_known_fields[] = {
	{ "known", DOC_BOOLEAN, doc_bool, offsetof(struct excise_plan_object, known), DOC_REQUIRED },
	{ 0 },
};
static const struct doc_table seen_known_table = { seen_known_fields, DOC_UNKNOWN_REFUSE, NULL, NULL };
/* dev, ino and size are written as JSON's signed integers: their bits are read back */
static const struct doc_field seen_fields[] = {
	{ "known", DOC_BOOLEAN, NULL, 0, DOC_REQUIRED },
	{ "type", DOC_STRING, seen_type, offsetof(struct excise_plan_object, type), DOC_REQUIRED, .values = seen_types },
	OBJ_FIELD("dev", doc_int64, dev, DOC_REQUIRED),
	OBJ_FIELD("ino", doc_int64, ino, DOC_REQUIRED),
	OBJ_FIELD("size", doc_int64, size, DOC_REQUIRED),
	OBJ_FIELD("mtime_ns", doc_int64, mtime_ns, DOC_REQUIRED),
	{ 0 },
};
static const struct doc_table seen_table = { seen_fields, DOC_UNKNOWN_REFUSE, NULL, NULL };

/* "seen": {"known": false}, or what was at the path: {"known": true, "type", ...}. Each
 * form is read by a table that refuses any other member. */
static int seen_field(struct doc *d, const struct doc_field *f, json_t *v, void *ret)
{
	(void)f;
	struct excise_plan_object *o = ret;
	if (!json_is_true(json_object_get(v, "known")))
		return doc_dispatch(d, v, &seen_known_table, o);
	o->known = true;
	return doc_dispatch(d, v, &seen_table, o);
}

static const char *const confidences[] = { "none", "weak", "strong", "definitive", NULL };

#define BYTES(type, key, member, flags) \
	{ key, DOC_STRING, doc_bytes, offsetof(type, member), DOC_REQUIRED | DOC_HEX | (flags) }
static const struct doc_field evidence_fields[] = {
	BYTES(struct excise_plan_evidence, "source", source, 0),
	BYTES(struct excise_plan_evidence, "kind", kind, 0),
	BYTES(struct excise_plan_evidence, "value", value, 0),
	BYTES(struct excise_plan_evidence, "path", path, DOC_NULLABLE),
	BYTES(struct excise_plan_evidence, "indicator", indicator, 0),
	{ "confidence", DOC_STRING, doc_enum, offsetof(struct excise_plan_evidence, confidence), DOC_REQUIRED,
	  .min = EXCISE_CONF_WEAK, .values = confidences },
	{ 0 },
};
static const struct doc_table evidence_table = { evidence_fields, DOC_UNKNOWN_REFUSE, NULL, NULL };

static int step_check(struct doc *d, json_t *obj, void *base)
{
	(void)obj;
	struct excise_plan_step *s = base;
	if (s->id != (unsigned)(s - plan_of(d)->steps) + 1) {
		doc_enter_key(d, "id");
		return doc_fail(d, "steps must be numbered 1, 2, ... in order");
	}
	size_t na = 0, nf = 0;
	if (s->args && !s->args[0]) { /* none: as written */
		free(s->args);
		s->args = NULL;
	}
	if (s->forms && !s->forms[0]) {
		free(s->forms);
		s->forms = NULL;
	}
	while (s->args && s->args[na])
		na++;
	while (s->forms && s->forms[nf])
		nf++;
	/* an MSI's properties are passed in the forms the catalog gave them, one each */
	if (s->action == EXCISE_PLAN_MSI_UNINSTALL && na != nf) {
		doc_enter_key(d, "forms");
		return doc_fail(d, "expected the form of each of args (a plan of an older excise: plan again)");
	}
	return 0;
}

#define STEP_FIELD(key, type, handler, member, flags) \
	{ key, type, handler, offsetof(struct excise_plan_step, member), DOC_REQUIRED | (flags) }
static const struct doc_field step_fields[] = {
	STEP_FIELD("id", DOC_INTEGER, doc_unsigned, id, 0),
	STEP_FIELD("action", DOC_STRING, action_field, action, 0),
	BYTES(struct excise_plan_step, "target", target, 0),
	BYTES(struct excise_plan_step, "version", version, DOC_NULLABLE),
	BYTES(struct excise_plan_step, "path", path, DOC_NULLABLE),
	BYTES(struct excise_plan_step, "product", product, DOC_NULLABLE),
	BYTES(struct excise_plan_step, "note", note, DOC_NULLABLE),
	/* only in steps of a per-user install: absent from the others */
	{ "user", DOC_STRING, doc_bytes, offsetof(struct excise_plan_step, user), DOC_HEX | DOC_NULLABLE },
	STEP_FIELD("pid", DOC_INTEGER, doc_int64, pid, 0),
	STEP_FIELD("live_only", DOC_BOOLEAN, doc_bool, live_only, 0),
	STEP_FIELD("fallback", DOC_BOOLEAN, doc_bool, fallback, 0),
	STEP_FIELD("reboot", DOC_BOOLEAN, doc_bool, reboot, 0),
	{ "args", DOC_ARRAY, doc_strv_dup, offsetof(struct excise_plan_step, args), DOC_REQUIRED,
	  .max = EXCISE_MAX_PLAN_ARGS },
	{ "forms", DOC_ARRAY, doc_strv_dup, offsetof(struct excise_plan_step, forms), 0, .max = EXCISE_MAX_PLAN_ARGS },
	{ "seen", DOC_OBJECT, seen_field, offsetof(struct excise_plan_step, seen), 0 },
	{ "evidence", DOC_ARRAY, doc_objects, offsetof(struct excise_plan_step, evidence), DOC_REQUIRED, .min = 1,
	  .max = EXCISE_MAX_PLAN_EVIDENCE, .table = &evidence_table, .size = sizeof(struct excise_plan_evidence),
	  .count = offsetof(struct excise_plan_step, n_evidence) },
	{ 0 },
};
static const struct doc_table step_table = { step_fields, DOC_UNKNOWN_REFUSE, NULL, step_check };

static const struct doc_field skip_fields[] = {
	BYTES(struct excise_plan_skip, "what", what, 0),
	BYTES(struct excise_plan_skip, "why", why, 0),
	{ "refused", DOC_BOOLEAN, doc_bool, offsetof(struct excise_plan_skip, refused), DOC_REQUIRED },
	{ 0 },
};
static const struct doc_table skip_table = { skip_fields, DOC_UNKNOWN_REFUSE, NULL, NULL };

static const char *const platforms[] = { "linux", "windows", "macos", NULL };

static int host_check(struct doc *d, json_t *obj, void *base)
{
	(void)obj;
	const struct excise_plan *p = base;
	if (p->root[0] != '/') {
		doc_enter_key(d, "root");
		return doc_fail(d, "expected an absolute path");
	}
	/* platforms: a list of known platforms, the primary first */
	for (const char *c = p->platforms; c && *c; c += strcspn(c, ","), c += *c == ',') {
		size_t k = strcspn(c, ","), i = 0;
		while (platforms[i] && (strlen(platforms[i]) != k || strncmp(c, platforms[i], k)))
			i++;
		if (!platforms[i] || (c == p->platforms && (strlen(p->platform) != k || strncmp(c, p->platform, k)))) {
			doc_enter_key(d, "platforms");
			return doc_fail(d, "expected a comma-separated list of linux|windows|macos, the platform first");
		}
	}
	for (size_t i = 0; platforms[i]; i++)
		if (!strcmp(p->platform, platforms[i]))
			return 0;
	doc_enter_key(d, "platform");
	return doc_fail(d, "expected one of linux|windows|macos");
}

static const struct doc_field host_fields[] = {
	BYTES(struct excise_plan, "hostname", hostname, 0),
	BYTES(struct excise_plan, "machine_id", machine_id, DOC_NULLABLE),
	BYTES(struct excise_plan, "root", root, 0),
	BYTES(struct excise_plan, "platform", platform, 0),
	{ "platforms", DOC_STRING, doc_bytes, offsetof(struct excise_plan, platforms), DOC_NULLABLE | DOC_NONEMPTY },
	{ "live", DOC_BOOLEAN, doc_bool, offsetof(struct excise_plan, live), DOC_REQUIRED },
	{ 0 },
};
static const struct doc_table host_table = { host_fields, DOC_UNKNOWN_REFUSE, NULL, host_check };

static const struct doc_field catalog_fields[] = {
	BYTES(struct excise_plan, "id", catalog_id, DOC_NULLABLE),
	BYTES(struct excise_plan, "version", catalog_version, DOC_NULLABLE),
	BYTES(struct excise_plan, "sha256", catalog_sha256, DOC_NULLABLE),
	{ 0 },
};
static const struct doc_table catalog_table = { catalog_fields, DOC_UNKNOWN_REFUSE, NULL, NULL };

static const char *const plan_schema[] = { PLAN_SCHEMA, NULL };

#define PLAN_FIELD(key, type, handler, member) \
	{ key, type, handler, offsetof(struct excise_plan, member), DOC_REQUIRED }
/* host and catalog are read into the plan itself */
static const struct doc_field plan_fields[] = {
	{ "schema", DOC_STRING, NULL, 0, DOC_REQUIRED, .values = plan_schema },
	BYTES(struct excise_plan, "report_id", report_id, DOC_NULLABLE),
	{ "host", DOC_OBJECT, doc_object, 0, DOC_REQUIRED, .table = &host_table },
	{ "catalog", DOC_OBJECT, doc_object, 0, DOC_REQUIRED, .table = &catalog_table },
	PLAN_FIELD("scanned_ns", DOC_INTEGER, doc_int64, scanned_ns),
	PLAN_FIELD("created_ns", DOC_INTEGER, doc_int64, created_ns),
	/* the same times for people to read: the _ns members are what counts */
	{ "scanned", DOC_STRING, NULL, 0, 0, .max = 64 },
	{ "created", DOC_STRING, NULL, 0, 0, .max = 64 },
	PLAN_FIELD("reboot_required", DOC_BOOLEAN, doc_bool, reboot_required),
	{ "steps", DOC_ARRAY, doc_objects, offsetof(struct excise_plan, steps), DOC_REQUIRED,
	  .max = EXCISE_MAX_PLAN_STEPS, .table = &step_table, .size = sizeof(struct excise_plan_step),
	  .count = offsetof(struct excise_plan, n_steps) },
	{ "skipped", DOC_ARRAY, doc_objects, offsetof(struct excise_plan, skipped), DOC_REQUIRED,
	  .max = EXCISE_MAX_PLAN_STEPS, .table = &skip_table, .size = sizeof(struct excise_plan_skip),
	  .count = offsetof(struct excise_plan, n_skipped) },
	{ 0 },
};
static const struct doc_table plan_table = { plan_fields, DOC_UNKNOWN_REFUSE, NULL, NULL };

int excise_plan_read_json(const char *name, const char *bytes, size_t len, struct excise_plan **ret,
			  struct excise_err *err)
{
	*ret = NULL;
	struct doc d;
	doc_init(&d, "plan", name, err);
	json_t *o = NULL;
	int r = doc_load(&d, bytes, len, EXCISE_MAX_PLAN_SIZE, &o);
	if (r < 0)
		return r;
	struct excise_plan *p = calloc(1, sizeof(*p));
	d.userdata = p;
	r = p ? doc_dispatch(&d, o, &plan_table, p) : doc_failc(&d, -ENOMEM, "out of memory");
	json_decref(o);
	if (r < 0) {
		excise_plan_free(p);
		return r;
	}
	*ret = p;
	return 0;
}
