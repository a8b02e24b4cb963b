/* SPDX-License-Identifier: Apache-2.0 */
/* plan-io: a plan as excise.plan/1 JSON (written and read back) and as text for people. */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

static json_t *step_json(const struct excise_plan_step *s, int *r)
{
	json_t *o = json_pack("{s:I, s:s}", "id", (json_int_t)s->id, "action", excise_plan_action_name(s->action));
	if (!o || set_str(o, "target", s->target) || set_str(o, "version", s->version) || set_str(o, "path", s->path) ||
	    set_str(o, "product", s->product) || set_str(o, "note", s->note)) {
		*r = -ENOMEM;
		return o;
	}
	json_t *args = json_array();
	for (char **a = s->args; a && *a; a++)
		json_array_append_new(args, json_string(*a));
	json_object_set_new(o, "args", args);
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
	fprintf(out, "Removal plan for %s (%s%s%s), report %s, made %s\n", p->hostname && p->hostname[0] ? p->hostname : "?",
		p->platform, p->live ? ", live host" : ", offline root ", p->live ? "" : p->root,
		p->report_id ? p->report_id : "?", created);
	fprintf(out, "Catalog %s %s\n\n", p->catalog_id ? p->catalog_id : "?", p->catalog_version ? p->catalog_version : "?");
	if (!p->n_steps)
		fputs("Nothing to remove.\n", out);
	for (size_t i = 0; i < p->n_steps; i++) {
		const struct excise_plan_step *s = &p->steps[i];
		fprintf(out, "%3u. %-19s %s%s%s%s%s%s%s\n", s->id, excise_plan_action_name(s->action), s->target,
			s->version ? " " : "", s->version ? s->version : "", s->path ? " (" : "", s->path ? s->path : "",
			s->path ? ")" : "", s->fallback ? "  [only if the step before fails]" : "");
		if (s->live_only && !p->live)
			fputs("       skipped on an offline root\n", out);
		if (s->note)
			fprintf(out, "       %s\n", s->note);
		for (char **a = s->args; a && *a; a++)
			fprintf(out, "       needs %s from the operator\n", *a);
		for (size_t k = 0; k < s->n_evidence; k++) {
			const struct excise_plan_evidence *e = &s->evidence[k];
			fprintf(out, "       because: %s %s '%s'%s%s [%s, %s]\n", e->source, e->kind, e->value,
				e->path ? " at " : "", e->path ? e->path : "", e->indicator,
				excise_confidence_name(e->confidence));
		}
	}
	if (p->reboot_required)
		fputs("\nA reboot is needed to finish.\n", out);
	if (p->n_skipped) {
		fputs("\nNot acted on:\n", out);
		for (size_t i = 0; i < p->n_skipped; i++)
			fprintf(out, "  - %s%s: %s\n", p->skipped[i].refused ? "REFUSED " : "", p->skipped[i].what,
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

struct rd {
	const char *name;
	struct excise_err *err;
	int r;
	char where[96];
};

static int bad(struct rd *d, const char *key, const char *what)
{
	if (d->r == 0)
		d->r = err_set(d->err, -EXCISE_E_CORRUPT, "plan '%s': %s%s%s: %s", d->name, d->where, d->where[0] ? "." : "",
			       key, what);
	return d->r;
}

/* A string (or KEY_hex) or null when `nullable`. */
static char *str(struct rd *d, json_t *o, const char *key, bool nullable)
{
	json_t *v = json_object_get(o, key);
	if (json_is_null(v) && nullable)
		return NULL;
	char *s = json_get_bytes(o, key, NULL);
	if (!s)
		bad(d, key, nullable ? "must be a string or null" : "must be a string");
	return s;
}

static bool boolean(struct rd *d, json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	if (!json_is_boolean(v))
		bad(d, key, "must be true or false");
	return json_is_true(v);
}

static int64_t integer(struct rd *d, json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	if (!json_is_integer(v))
		bad(d, key, "must be an integer");
	return json_integer_value(v);
}

static enum excise_confidence confidence(struct rd *d, json_t *o)
{
	const char *c = json_string_value(json_object_get(o, "confidence"));
	for (int i = EXCISE_CONF_WEAK; c && i <= EXCISE_CONF_DEFINITIVE; i++)
		if (!strcmp(c, excise_confidence_name((enum excise_confidence)i)))
			return (enum excise_confidence)i;
	bad(d, "confidence", "must be weak, strong or definitive");
	return EXCISE_CONF_NONE;
}

static void read_step(struct rd *d, json_t *o, struct excise_plan_step *s, size_t index)
{
	snprintf(d->where, sizeof(d->where), "steps[%zu]", index);
	if (!json_is_object(o)) {
		bad(d, "", "must be an object");
		return;
	}
	const char *an = json_string_value(json_object_get(o, "action"));
	int a = an ? plan_action_from_name(an) : -1;
	if (a < 0)
		bad(d, "action", "unknown action");
	s->action = a < 0 ? 0 : (enum excise_plan_action)a;
	int64_t id = integer(d, o, "id");
	if (d->r == 0 && id != (int64_t)index + 1)
		bad(d, "id", "steps must be numbered 1, 2, ... in order");
	s->id = (unsigned)id;
	s->target = str(d, o, "target", false);
	s->version = str(d, o, "version", true);
	s->path = str(d, o, "path", true);
	s->product = str(d, o, "product", true);
	s->note = str(d, o, "note", true);
	s->pid = integer(d, o, "pid");
	s->live_only = boolean(d, o, "live_only");
	s->fallback = boolean(d, o, "fallback");
	s->reboot = boolean(d, o, "reboot");
	json_t *args = json_object_get(o, "args");
	if (!json_is_array(args) || json_array_size(args) > EXCISE_MAX_PLAN_ARGS) {
		char m[64];
		snprintf(m, sizeof(m), "must be an array of at most %u strings", EXCISE_MAX_PLAN_ARGS);
		bad(d, "args", m);
	} else if (json_array_size(args)) {
		s->args = calloc(json_array_size(args) + 1, sizeof(*s->args));
		if (!s->args && d->r == 0)
			d->r = err_set(d->err, -ENOMEM, "out of memory");
		for (size_t i = 0; s->args && i < json_array_size(args); i++) {
			const char *v = json_string_value(json_array_get(args, i));
			if (!v || !(s->args[i] = strdup(v)))
				bad(d, "args", "must be an array of strings");
		}
	}
	json_t *seen = json_object_get(o, "seen");
	if (seen) {
		s->seen.known = boolean(d, seen, "known");
		if (s->seen.known) {
			const char *t = json_string_value(json_object_get(seen, "type"));
			if (!t || strlen(t) != 1 || !strchr("fdlo", t[0]))
				bad(d, "seen.type", "must be f, d, l or o");
			s->seen.type = t ? t[0] : 'o';
			s->seen.dev = (uint64_t)integer(d, seen, "dev");
			s->seen.ino = (uint64_t)integer(d, seen, "ino");
			s->seen.size = (uint64_t)integer(d, seen, "size");
			s->seen.mtime_ns = integer(d, seen, "mtime_ns");
		}
	}
	json_t *ev = json_object_get(o, "evidence");
	size_t n = json_array_size(ev);
	if (!json_is_array(ev) || n < 1 || n > EXCISE_MAX_PLAN_EVIDENCE) {
		char m[64];
		snprintf(m, sizeof(m), "must be an array of 1 to %u objects", EXCISE_MAX_PLAN_EVIDENCE);
		bad(d, "evidence", m);
		return;
	}
	s->evidence = calloc(n, sizeof(*s->evidence));
	if (!s->evidence) {
		d->r = err_set(d->err, -ENOMEM, "out of memory");
		return;
	}
	s->n_evidence = n;
	for (size_t i = 0; i < n && d->r == 0; i++) {
		json_t *e = json_array_get(ev, i);
		snprintf(d->where, sizeof(d->where), "steps[%zu].evidence[%zu]", index, i);
		struct excise_plan_evidence *x = &s->evidence[i];
		x->source = str(d, e, "source", false);
		x->kind = str(d, e, "kind", false);
		x->value = str(d, e, "value", false);
		x->path = str(d, e, "path", true);
		x->indicator = str(d, e, "indicator", false);
		x->confidence = confidence(d, e);
	}
}

int excise_plan_read_json(const char *name, const char *bytes, size_t len, struct excise_plan **ret,
			  struct excise_err *err)
{
	*ret = NULL;
	if (len > EXCISE_MAX_PLAN_SIZE)
		return err_set(err, -EXCISE_E_TOOBIG, "plan '%s': %zu bytes (at most %u)", name, len, EXCISE_MAX_PLAN_SIZE);
	json_error_t je;
	json_t *o = json_loadb(bytes, len, JSON_REJECT_DUPLICATES, &je);
	if (!json_is_object(o)) {
		json_decref(o);
		return err_set(err, -EXCISE_E_CORRUPT, "plan '%s': line %d: %s", name, je.line,
			       o ? "not a JSON object" : je.text);
	}
	struct rd d = { .name = name, .err = err };
	struct excise_plan *p = calloc(1, sizeof(*p));
	if (!p) {
		json_decref(o);
		return err_set(err, -ENOMEM, "out of memory");
	}
	const char *schema = json_string_value(json_object_get(o, "schema"));
	if (!schema || strcmp(schema, PLAN_SCHEMA))
		bad(&d, "schema", "must be " PLAN_SCHEMA);
	p->report_id = str(&d, o, "report_id", true);
	json_t *host = json_object_get(o, "host"), *cat = json_object_get(o, "catalog");
	if (!json_is_object(host) || !json_is_object(cat))
		bad(&d, "host", "host and catalog must be objects");
	strcpy(d.where, "host");
	p->hostname = str(&d, host, "hostname", false);
	p->machine_id = str(&d, host, "machine_id", true);
	p->root = str(&d, host, "root", false);
	p->platform = str(&d, host, "platform", false);
	p->live = boolean(&d, host, "live");
	if (d.r == 0 && (p->root[0] != '/' || (strcmp(p->platform, "linux") && strcmp(p->platform, "windows") &&
					       strcmp(p->platform, "macos"))))
		bad(&d, "root", "root must be absolute and platform linux, windows or macos");
	strcpy(d.where, "catalog");
	p->catalog_id = str(&d, cat, "id", true);
	p->catalog_version = str(&d, cat, "version", true);
	p->catalog_sha256 = str(&d, cat, "sha256", true);
	d.where[0] = 0;
	p->scanned_ns = integer(&d, o, "scanned_ns");
	p->created_ns = integer(&d, o, "created_ns");
	p->reboot_required = boolean(&d, o, "reboot_required");
	json_t *steps = json_object_get(o, "steps"), *sk = json_object_get(o, "skipped");
	size_t n = json_array_size(steps), m = json_array_size(sk);
	if (!json_is_array(steps) || !json_is_array(sk) || n > EXCISE_MAX_PLAN_STEPS || m > EXCISE_MAX_PLAN_STEPS) {
		char msg[80];
		snprintf(msg, sizeof(msg), "steps and skipped must be arrays of at most %u entries", EXCISE_MAX_PLAN_STEPS);
		bad(&d, "steps", msg);
	}
	if (d.r == 0 && ((n && !(p->steps = calloc(n, sizeof(*p->steps)))) ||
			 (m && !(p->skipped = calloc(m, sizeof(*p->skipped))))))
		d.r = err_set(err, -ENOMEM, "out of memory");
	for (size_t i = 0; d.r == 0 && i < n; i++) {
		p->n_steps = i + 1;
		read_step(&d, json_array_get(steps, i), &p->steps[i], i);
	}
	for (size_t i = 0; d.r == 0 && i < m; i++) {
		snprintf(d.where, sizeof(d.where), "skipped[%zu]", i);
		p->n_skipped = i + 1;
		p->skipped[i].what = str(&d, json_array_get(sk, i), "what", false);
		p->skipped[i].why = str(&d, json_array_get(sk, i), "why", false);
		p->skipped[i].refused = boolean(&d, json_array_get(sk, i), "refused");
	}
	json_decref(o);
	if (d.r < 0) {
		excise_plan_free(p);
		return d.r;
	}
	*ret = p;
	return 0;
}
