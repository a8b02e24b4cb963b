/* SPDX-License-Identifier: Apache-2.0 */
/* doctmpl: report templates for the load client and the fleet generator (doctmpl.h). */
#include "doctmpl.h"

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *const mark_text[DOCTMPL_NMARKS] = { "@@doctmpl-report-id@@", "@@doctmpl-machine-id@@",
						       "@@doctmpl-hostname@@", "@@doctmpl-started@@",
						       "@@doctmpl-finished@@" };

int doctmpl_load(struct doctmpl *t, const char *arg, char *why, size_t whylen)
{
	memset(t, 0, sizeof(*t));
	char *path = strdup(arg);
	if (!path)
		return snprintf(why, whylen, "out of memory"), -1;
	char *colon = strrchr(path, ':');
	t->weight = 1;
	if (colon && colon[1] && strspn(colon + 1, "0123456789") == strlen(colon + 1)) {
		*colon = 0;
		unsigned long w = strtoul(colon + 1, NULL, 10);
		if (w < 1 || w > 1000000) {
			snprintf(why, whylen, "%s: weight must be 1 to 1000000", arg);
			free(path);
			return -1;
		}
		t->weight = (unsigned)w;
	}
	json_error_t je;
	json_t *doc = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
	json_t *host = json_object_get(doc, "host");
	const char *schema = json_string_value(json_object_get(doc, "schema"));
	if (!doc || !schema || strncmp(schema, "excise.report/", 14) || !json_is_object(host) ||
	    !json_is_string(json_object_get(doc, "report_id"))) {
		snprintf(why, whylen, "%s: %s", path, doc ? "not an excise.report with report_id and host" : je.text);
		json_decref(doc);
		free(path);
		return -1;
	}
	const char *p = json_string_value(json_object_get(host, "platform"));
	const char *os = json_string_value(json_object_get(host, "os"));
	snprintf(t->platform, sizeof(t->platform), "%s", p ? p : "linux");
	snprintf(t->os, sizeof(t->os), "%s", os ? os : "");
	t->findings = (int)json_array_size(json_object_get(doc, "findings"));
	json_object_set_new(doc, "report_id", json_string(mark_text[DOCTMPL_RID]));
	json_object_set_new(host, "machine_id", json_string(mark_text[DOCTMPL_MID]));
	json_object_set_new(host, "hostname", json_string(mark_text[DOCTMPL_HOST]));
	json_object_set_new(doc, "started", json_string(mark_text[DOCTMPL_STARTED]));
	json_object_set_new(doc, "finished", json_string(mark_text[DOCTMPL_FINISHED]));
	char *text = json_dumps(doc, JSON_PRESERVE_ORDER | JSON_INDENT(2));
	json_decref(doc);
	if (!text) {
		snprintf(why, whylen, "%s: cannot write it back", path);
		free(path);
		return -1;
	}
	const char *s = text;
	for (;;) {
		const char *best = NULL;
		enum doctmpl_mark bm = DOCTMPL_RID;
		for (unsigned m = 0; m < DOCTMPL_NMARKS; m++) {
			const char *f = strstr(s, mark_text[m]);
			if (f && (!best || f < best))
				best = f, bm = (enum doctmpl_mark)m;
		}
		size_t n = best ? (size_t)(best - s) : strlen(s);
		char **seg = realloc(t->seg, (t->nseg + 1) * sizeof(*t->seg));
		enum doctmpl_mark *marks = realloc(t->marks, (t->nseg + 1) * sizeof(*t->marks));
		if (!seg || !marks || !(seg[t->nseg] = strndup(s, n))) {
			free(seg ? seg : t->seg);
			free(marks ? marks : t->marks);
			free(text);
			free(path);
			memset(t, 0, sizeof(*t));
			return snprintf(why, whylen, "out of memory"), -1;
		}
		t->seg = seg;
		t->marks = marks;
		t->marks[t->nseg] = bm;
		t->fixed += n;
		t->nseg++;
		if (!best)
			break;
		s = best + strlen(mark_text[bm]);
	}
	free(text);
	const char *base = strrchr(path, '/');
	t->name = strdup(base ? base + 1 : path);
	free(path);
	return t->name ? 0 : (snprintf(why, whylen, "out of memory"), -1);
}

size_t doctmpl_need(const struct doctmpl *t)
{
	return t->fixed + t->nseg * 96 + 2;
}

size_t doctmpl_fill_at(const struct doctmpl *t, char *out, const char *const vals[DOCTMPL_NMARKS], size_t *offs)
{
	char *o = out;
	for (size_t i = 0; i < t->nseg; i++) {
		size_t n = strlen(t->seg[i]);
		memcpy(o, t->seg[i], n);
		o += n;
		if (i + 1 < t->nseg) {
			if (offs)
				offs[i] = (size_t)(o - out);
			n = strnlen(vals[t->marks[i]], 95);
			memcpy(o, vals[t->marks[i]], n);
			o += n;
		}
	}
	*o++ = '\n';
	*o = 0;
	return (size_t)(o - out);
}

size_t doctmpl_fill(const struct doctmpl *t, char *out, const char *const vals[DOCTMPL_NMARKS])
{
	return doctmpl_fill_at(t, out, vals, NULL);
}

void doctmpl_time(long long t, char out[32])
{
	time_t tt = (time_t)t;
	struct tm tm;
	gmtime_r(&tt, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%S.000Z", &tm);
}

uint64_t doctmpl_mix(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return z ^ (z >> 31);
}

uint64_t doctmpl_rnd(uint64_t *state)
{
	return doctmpl_mix(*state += 0x9e3779b97f4a7c15u);
}

void doctmpl_uuid4(const uint8_t b[16], char out[37])
{
	static const char hex[] = "0123456789abcdef";
	char *o = out;
	for (unsigned i = 0; i < 16; i++) {
		uint8_t v = i == 6 ? (uint8_t)((b[i] & 0x0f) | 0x40) : i == 8 ? (uint8_t)((b[i] & 0x3f) | 0x80) : b[i];
		if (i == 4 || i == 6 || i == 8 || i == 10)
			*o++ = '-';
		*o++ = hex[v >> 4];
		*o++ = hex[v & 15];
	}
	*o = 0;
}
