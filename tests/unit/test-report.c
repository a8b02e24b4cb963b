/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests of the report writers and reader (lib/report/): one evidence record
 * per artifact in excise.report/2, reports of both versions read back, write ->
 * read -> write giving the same document, a report of another catalog matched
 * again an artifact at a time; and the text view through the real writer: one
 * line per artifact, the width kept, long paths elided in the middle, Windows
 * keys with single backslashes, -v, no repeated line, the finding kinds and the
 * trust state named.
 */
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "excise/engine.h"
#include "excise/report.h"

#define IND(id, owner, kind, field, match, value, conf) \
	"{\"id\":\"" id "\"," owner ",\"kind\":\"" kind "\",\"field\":\"" field "\",\"match\":\"" match \
	"\",\"value\":\"" value "\",\"confidence\":\"" conf "\",\"source\":\"https://e/" id "\"}"
#define PRODUCT(id, vendor, name) \
	"{\"id\":\"" id "\",\"vendor\":\"" vendor "\",\"name\":\"" name "\",\"family\":\"endpoint\"," \
	"\"platforms\":[\"linux\"],\"source\":\"https://e/" id "\"}"

static const char catalog_doc[] =
	"{\"schema\":\"excise.catalog/1\",\"id\":\"t\",\"version\":\"1\",\"serial\":1,\"issued\":\"2026-01-01\","
	"\"vendors\":[{\"id\":\"v\",\"name\":\"Vendor V\"}],"
	"\"products\":[" PRODUCT("p1", "v", "Alpha") "],"
	"\"indicators\":["
	IND("p1.pkg", "\"product\":\"p1\"", "package", "name", "exact", "alpha", "definitive") ","
	IND("p1.file", "\"product\":\"p1\"", "file", "path", "glob", "/opt/alpha/*", "strong") ","
	IND("v.pub", "\"vendor\":\"v\"", "package", "publisher", "exact", "Vendor V Ltd", "strong") ","
	IND("v.desc", "\"vendor\":\"v\"", "package", "description", "glob", "*Vendor V*", "weak") ","
	IND("v.weak", "\"vendor\":\"v\"", "file", "name", "glob", "*alpha*", "weak")
	"],\"directives\":[]}";

struct fixture {
	struct excise_catalog *c;
};

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	struct excise_err err = { 0 };
	if (!fx || excise_catalog_parse("test", catalog_doc, strlen(catalog_doc), &fx->c, &err) < 0) {
		fprintf(stderr, "catalog: %s\n", err.msg);
		return -1;
	}
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;
	excise_catalog_free(fx->c);
	free(fx);
	return 0;
}

/* ---- helpers ---- */

enum { JSON, TEXT, CSV };

/* The scan written as `format` (text: `flags`, `width`); caller frees. */
static char *written(const struct excise_scan *s, int format, unsigned flags, unsigned width)
{
	char *out = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&out, &n);
	assert_non_null(f);
	int r = format == JSON ? excise_report_json(s, f)
		: format == CSV ? excise_report_csv(s, f)
				: excise_report_text_width(s, f, flags, width);
	assert_int_equal(r, 0);
	assert_int_equal(fclose(f), 0);
	return out;
}

static struct excise_scan *read_back(struct fixture *fx, const char *text)
{
	struct excise_scan *s = NULL;
	struct excise_err err = { 0 };
	if (excise_report_read(fx->c, "test", text, strlen(text), &s, &err) < 0)
		fail_msg("excise_report_read: %s\n%s", err.msg, text);
	return s;
}

/* A report of `schema` on a host of `platform` made with catalog `sha` (NULL: no
 * catalog object) whose findings are the JSON `findings`; caller frees. */
static char *report_doc(const char *schema, const char *platform, const char *sha, const char *findings)
{
	char *t = NULL;
	char cat[200] = "";
	if (sha)
		snprintf(cat, sizeof(cat),
			 "\"catalog\":{\"id\":\"t\",\"version\":\"0\",\"origin\":\"embedded\",\"sha256\":\"%s\"},", sha);
	assert_true(asprintf(&t,
			     "{\"schema\":\"%s\",\"report_id\":\"c6276ff0-f0b5-4390-8cfe-bacdaf55e4f9\","
			     "\"host\":{\"hostname\":\"h\",\"os\":null,\"os_id\":null,\"machine_id\":null,"
			     "\"root\":\"/mnt/img\",\"platform\":\"%s\",\"live\":false},"
			     "\"started\":\"2026-12-03T06:15:20.284Z\",\"finished\":\"2026-12-03T06:15:20.287Z\",%s"
			     "\"sources\":[{\"name\":\"files\",\"status\":\"ok\",\"n_errors\":0,\"errors\":[],"
			     "\"error\":null}],\"findings\":[%s]}\n",
			     schema, platform, cat, findings) > 0);
	return t;
}

/* A /2 match and record, for report_doc. */
#define MATCH(field, value, id, conf) \
	"{\"field\":\"" field "\",\"value\":\"" value "\",\"indicator\":{\"id\":\"" id "\",\"confidence\":\"" conf \
	"\",\"source\":\"\",\"note\":null}}"
#define RECORD(source, kind, path, state, conf, matches) \
	"{\"source\":\"" source "\",\"kind\":\"" kind "\",\"path\":" path ",\"version\":null,\"state\":" state \
	",\"active\":false,\"confidence\":\"" conf "\",\"matches\":[" matches "]}"
#define FINDING(kind, id, name, state, conf, records) \
	"{\"product\":{\"id\":\"" id "\",\"name\":\"" name "\",\"family\":\"\",\"branded\":false," \
	"\"platforms\":[]},\"kind\":\"" kind "\",\"vendor\":{\"id\":\"v\",\"name\":\"Vendor V\"}," \
	"\"version\":null,\"state\":\"" state "\",\"confidence\":\"" conf "\",\"directives\":[]," \
	"\"evidence\":[" records "]}"

/* Lines of `text` (a copy, split in place): *n of them. */
static char **lines(char *text, size_t *n)
{
	size_t cap = 1;
	for (const char *p = text; *p; p++)
		cap += *p == '\n';
	char **v = calloc(cap, sizeof(*v));
	assert_non_null(v);
	*n = 0;
	for (char *save = NULL, *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
		v[(*n)++] = l;
	return v;
}

/* Columns of a line of UTF-8 with no wide characters: its code points. */
static size_t columns(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;
	for (const char *p = hay; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

/* ---- JSON: one record per artifact ---- */

/* A package matched by three indicators is one record with three matches, strongest
 * first; another observation of the same file by another source is another record. */
static void test_json_artifact(void **state)
{
	struct fixture *fx = *state;
	struct excise_engine *e = NULL;
	struct excise_err err = { 0 };
	struct excise_host host = { .hostname = "h", .root = "/", .platform = "linux" };
	assert_int_equal(excise_engine_new(fx->c, "linux", &host, &e, &err), 0);
	struct excise_source_result *pk = excise_engine_input(e, "dpkg"), *fs = excise_engine_input(e, "files");
	struct excise_obs o = { .kind = EXCISE_OBS_PACKAGE, .active = true, .state = "installed" };
	o.f[EXCISE_F_NAME] = "alpha";
	o.f[EXCISE_F_PUBLISHER] = "Vendor V Ltd";
	o.f[EXCISE_F_DESCRIPTION] = "Alpha by Vendor V";
	o.f[EXCISE_F_VERSION] = "7";
	assert_int_equal(excise_engine_feed(e, pk, &o), 3);
	struct excise_obs f = { .kind = EXCISE_OBS_FILE, .state = "present" };
	f.f[EXCISE_F_PATH] = "/opt/alpha/alpha.bin";
	f.f[EXCISE_F_NAME] = "alpha.bin";
	assert_int_equal(excise_engine_feed(e, fs, &f), 2);
	struct excise_scan *s = NULL;
	assert_int_equal(excise_engine_finish(e, &s, &err), 0);
	excise_engine_free(e);

	char *text = written(s, JSON, 0, 0);
	json_error_t je;
	json_t *doc = json_loads(text, 0, &je);
	assert_non_null(doc);
	assert_string_equal(json_string_value(json_object_get(doc, "schema")), "excise.report/2");
	json_t *fi = json_array_get(json_object_get(doc, "findings"), 0);
	assert_string_equal(json_string_value(json_object_get(fi, "kind")), "product");
	json_t *ev = json_object_get(fi, "evidence");
	assert_int_equal(json_array_size(ev), 2);
	json_t *pkg = json_array_get(ev, 0), *file = json_array_get(ev, 1);
	assert_string_equal(json_string_value(json_object_get(pkg, "kind")), "package");
	assert_string_equal(json_string_value(json_object_get(pkg, "confidence")), "definitive");
	assert_null(json_object_get(pkg, "field"));
	json_t *ms = json_object_get(pkg, "matches");
	assert_int_equal(json_array_size(ms), 3);
	static const char *const want[][3] = { { "name", "alpha", "p1.pkg" },
					       { "publisher", "Vendor V Ltd", "v.pub" },
					       { "description", "Alpha by Vendor V", "v.desc" } };
	for (size_t i = 0; i < 3; i++) {
		json_t *m = json_array_get(ms, i);
		assert_string_equal(json_string_value(json_object_get(m, "field")), want[i][0]);
		assert_string_equal(json_string_value(json_object_get(m, "value")), want[i][1]);
		assert_string_equal(json_string_value(json_object_get(json_object_get(m, "indicator"), "id")),
				    want[i][2]);
	}
	assert_string_equal(json_string_value(json_object_get(file, "confidence")), "strong");
	assert_int_equal(json_array_size(json_object_get(file, "matches")), 2);
	json_t *by_state = json_object_get(json_object_get(doc, "summary"), "by_state");
	assert_int_equal(json_integer_value(json_object_get(by_state, "trust")), 0);
	assert_int_equal(json_integer_value(json_object_get(by_state, "installed")), 1);
	json_decref(doc);

	/* read back with the same catalog: the matches of one record share one artifact */
	struct excise_scan *back = read_back(fx, text);
	assert_int_equal(back->origin, EXCISE_SCAN_READ);
	assert_int_equal(back->findings[0].n_evidence, 5);
	uint32_t a0 = back->findings[0].evidence[0].artifact;
	size_t same = 0;
	for (size_t i = 0; i < 5; i++)
		same += back->findings[0].evidence[i].artifact == a0;
	assert_int_equal(same, 3);
	/* and written again it is the same document */
	char *again = written(back, JSON, 0, 0);
	assert_string_equal(again, text);

	/* CSV: one row per artifact, every indicator in one column */
	char *csv = written(s, CSV, 0, 0);
	assert_int_equal(count(csv, "\r\n"), 3);
	assert_non_null(strstr(csv, ",indicators,finding_kind\r\n"));
	assert_non_null(strstr(csv, ",p1.pkg;v.pub;v.desc,product\r\n"));
	free(csv);
	free(again);
	excise_scan_free(back);
	free(text);
	excise_scan_free(s);
}

/* Kinds, a product NULL for unlisted and traces findings, and the trust state
 * survive write -> read -> write. */
static void test_kinds_roundtrip(void **state)
{
	struct fixture *fx = *state;
	char *doc = report_doc(
		"excise.report/2", "linux", excise_catalog_sha256(fx->c),
		FINDING("unlisted", "v:unlisted:alpha-pro", "Alpha Pro 3.1, not in catalog", "installed", "strong",
			RECORD("files", "file", "\"/opt/alpha/pro\"", "\"present\"", "strong",
			       MATCH("path", "/opt/alpha/pro", "p1.file", "strong"))) ","
		FINDING("traces", "v:traces", "Vendor V: traces (no product)", "remnant", "weak",
			RECORD("files", "file", "\"/home/u/alpha-notes.md\"", "\"present\"", "weak",
			       MATCH("name", "alpha-notes.md", "v.weak", "weak"))) ","
		FINDING("product", "p1", "Alpha", "trust", "strong",
			RECORD("files", "cert", "\"/etc/ssl/certs/ca.pem\"", "\"trusted\"", "strong",
			       MATCH("subject", "CN=Alpha Root", "p1.cert-old", "strong"))));
	struct excise_scan *s = read_back(fx, doc);
	assert_int_equal(s->n_findings, 3);
	assert_int_equal(s->findings[0].kind, EXCISE_FINDING_UNLISTED);
	assert_null(s->findings[0].product);
	assert_string_equal(s->findings[0].product_name, "Alpha Pro 3.1, not in catalog");
	assert_int_equal(s->findings[1].kind, EXCISE_FINDING_TRACES);
	assert_null(s->findings[1].product);
	assert_int_equal(s->findings[2].kind, EXCISE_FINDING_PRODUCT);
	assert_non_null(s->findings[2].product);
	assert_int_equal(s->findings[2].state, EXCISE_STATE_TRUST);
	char *one = written(s, JSON, 0, 0);
	struct excise_scan *t = read_back(fx, one);
	char *two = written(t, JSON, 0, 0);
	assert_string_equal(one, two);
	assert_non_null(strstr(one, "\"kind\": \"unlisted\""));
	assert_non_null(strstr(one, "\"kind\": \"traces\""));
	assert_non_null(strstr(one, "\"state\": \"trust\""));
	assert_non_null(strstr(one, "\"trust\": 1"));

	/* the text names each kind and the trust state */
	char *text = written(s, TEXT, 0, 100);
	assert_non_null(strstr(text, "\nAlpha Pro 3.1, not in catalog — installed, strong confidence\n"));
	assert_non_null(strstr(text, "\ntraces of Vendor V (no product) — remnant, weak confidence\n"));
	assert_non_null(strstr(text, "\nAlpha — trusted root certificate (no product installed), strong confidence\n"));
	free(text);
	free(one), free(two), free(doc);
	excise_scan_free(t);
	excise_scan_free(s);
}

/* An excise.report/1 document still reads: each record an artifact of one match;
 * written again it is /2, one record per /1 record. */
static void test_read_v1(void **state)
{
	struct fixture *fx = *state;
	char *doc = report_doc(
		"excise.report/1", "linux", excise_catalog_sha256(fx->c),
		"{\"product\":{\"id\":\"p1\",\"name\":\"Alpha\"},\"vendor\":{\"id\":\"v\",\"name\":\"Vendor V\"},"
		"\"state\":\"remnant\",\"confidence\":\"strong\",\"evidence\":["
		"{\"source\":\"files\",\"kind\":\"file\",\"field\":\"path\",\"value\":\"/opt/alpha/a\","
		"\"path\":\"/opt/alpha/a\",\"indicator\":{\"id\":\"p1.file\",\"confidence\":\"strong\"}},"
		"{\"source\":\"files\",\"kind\":\"file\",\"field\":\"name\",\"value\":\"a\","
		"\"path\":\"/opt/alpha/a\",\"indicator\":{\"id\":\"v.weak\",\"confidence\":\"weak\"}}]}");
	struct excise_scan *s = read_back(fx, doc);
	assert_int_equal(s->n_findings, 1);
	assert_int_equal(s->findings[0].kind, EXCISE_FINDING_PRODUCT);
	assert_int_equal(s->findings[0].n_evidence, 2);
	assert_true(s->findings[0].evidence[0].artifact != s->findings[0].evidence[1].artifact);
	char *json = written(s, JSON, 0, 0);
	assert_non_null(strstr(json, "\"schema\": \"excise.report/2\""));
	json_t *d = json_loads(json, 0, NULL);
	json_t *ev = json_object_get(json_array_get(json_object_get(d, "findings"), 0), "evidence");
	assert_int_equal(json_array_size(ev), 2);
	assert_int_equal(json_array_size(json_object_get(json_array_get(ev, 0), "matches")), 1);
	json_decref(d);
	/* a /1 record in a /2 document is refused: its matches are missing */
	char *bad = report_doc(
		"excise.report/2", "linux", NULL,
		"{\"product\":{\"id\":\"p1\",\"name\":\"Alpha\"},\"vendor\":{\"id\":\"v\"},\"state\":\"remnant\","
		"\"confidence\":\"strong\",\"evidence\":[{\"source\":\"files\",\"kind\":\"file\",\"field\":\"path\","
		"\"value\":\"/opt/alpha/a\",\"path\":\"/opt/alpha/a\",\"indicator\":{\"id\":\"p1.file\"}}]}");
	struct excise_scan *r = NULL;
	struct excise_err err = { 0 };
	assert_true(excise_report_read(fx->c, "bad.json", bad, strlen(bad), &r, &err) < 0);
	assert_non_null(strstr(err.msg, "/findings/0/evidence/0"));
	assert_non_null(strstr(err.msg, "matches"));
	/* a bad match names its place */
	char *bad2 = report_doc("excise.report/2", "linux", NULL,
				FINDING("product", "p1", "Alpha", "remnant", "strong",
					RECORD("files", "file", "null", "null", "strong",
					       MATCH("path", "/a", "p1.file", "strong") "," MATCH("colour", "x",
												  "p1.file", "strong"))));
	assert_true(excise_report_read(fx->c, "bad.json", bad2, strlen(bad2), &r, &err) < 0);
	assert_non_null(strstr(err.msg, "/findings/0/evidence/0/matches/1/field"));
	free(bad), free(bad2);
	free(json), free(doc);
	excise_scan_free(s);
}

/* Times are read field by field: a date that does not exist, a field out of range,
 * before 1970 or past what int64 nanoseconds hold (2262-04-11T23:47:16.854Z) is
 * refused, never rolled over or overflowed. */
static void test_read_times(void **state)
{
	struct fixture *fx = *state;
	static const struct {
		const char *t;
		bool ok;
		int64_t ns;
	} cases[] = {
		{ "2026-12-03T06:15:20.287Z", true, INT64_C(1796278520287000000) },
		{ "1970-01-01T00:00:00.000Z", true, 0 },
		{ "2028-02-29T12:00:00.000Z", true, INT64_C(1835438400000000000) },
		{ "2262-04-11T23:47:15.999Z", true, INT64_C(9223372035999000000) },
		{ "2262-04-11T23:47:16.000Z", false, 0 },
		{ "2300-01-01T00:00:00.000Z", false, 0 },
		{ "9999-12-31T23:59:59.999Z", false, 0 },
		{ "2026-02-29T00:00:00.000Z", false, 0 },
		{ "2026-13-01T00:00:00.000Z", false, 0 },
		{ "2026-12-00T00:00:00.000Z", false, 0 },
		{ "2026-12-03T24:00:00.000Z", false, 0 },
		{ "2026-12-03T06:60:00.000Z", false, 0 },
		{ "2026-12-03T06:15:-1.000Z", false, 0 },
		{ "2026-12-03T06:15:20.-01Z", false, 0 },
		{ "1969-12-31T23:59:59.999Z", false, 0 },
	};
	char *made = report_doc("excise.report/2", "linux", NULL, "");
	char *doc = strdup(made); /* (gcc 12 takes report_doc's pointer for one to its local) */
	free(made);
	assert_true(doc);
	/* both times: the reader may also compare them */
	const char *at_s = strstr(doc, "2026-12-03T06:15:20.284Z"), *at_f = strstr(doc, "2026-12-03T06:15:20.287Z");
	if (!at_s || !at_f)
		fail_msg("report_doc has no times");
	size_t started = (size_t)(at_s - doc), finished = (size_t)(at_f - doc);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(strlen(cases[i].t), 24);
		memcpy(doc + started, cases[i].t, 24);
		memcpy(doc + finished, cases[i].t, 24);
		struct excise_scan *s = NULL;
		struct excise_err err = { 0 };
		int r = excise_report_read(fx->c, "times.json", doc, strlen(doc), &s, &err);
		if (!cases[i].ok) {
			if (r >= 0)
				fail_msg("%s: read as %lld", cases[i].t, (long long)s->finished_ns);
			assert_non_null(strstr(err.msg, "/started"));
			continue;
		}
		if (r < 0)
			fail_msg("%s: %s", cases[i].t, err.msg);
		assert_int_equal(s->started_ns, cases[i].ns);
		assert_int_equal(s->finished_ns, cases[i].ns);
		excise_scan_free(s);
	}
	free(doc);
}

/* A report of another catalog: each artifact matched again as one observation with
 * all its fields, its new evidence sharing one artifact; an artifact nothing matches
 * kept whole. */
static void test_rematch_artifact(void **state)
{
	struct fixture *fx = *state;
	char *doc = report_doc(
		"excise.report/2", "linux", "0000000000000000000000000000000000000000000000000000000000000000",
		FINDING("product", "p1", "Alpha", "installed", "definitive",
			"{\"source\":\"dpkg\",\"kind\":\"package\",\"path\":null,\"version\":\"7\",\"state\":\"installed\","
			"\"active\":true,\"confidence\":\"definitive\",\"matches\":["
			MATCH("name", "alpha", "p1.pkg-2027", "definitive") ","
			MATCH("publisher", "Vendor V Ltd", "v.pub-2027", "strong") "]},"
			RECORD("files", "file", "\"/srv/zeta\"", "\"present\"", "strong",
			       MATCH("path", "/srv/zeta", "z.path", "strong") "," MATCH("name", "zeta", "z.name",
											"weak"))));
	struct excise_scan *s = read_back(fx, doc);
	assert_int_equal(s->origin, EXCISE_SCAN_REMATCHED);
	assert_int_equal(s->n_findings, 1);
	const struct excise_finding *f = &s->findings[0];
	assert_string_equal(f->product_id, "p1");
	/* the package: p1.pkg and v.pub of this catalog, one artifact; the file: kept, two matches */
	assert_int_equal(f->n_evidence, 4);
	uint32_t pkg = 0, file = 0;
	size_t n_pkg = 0, n_file = 0;
	for (size_t i = 0; i < f->n_evidence; i++) {
		const struct excise_evidence *e = &f->evidence[i];
		if (e->kind == EXCISE_OBS_PACKAGE) {
			assert_non_null(e->indicator);
			assert_true(!strcmp(e->indicator_id, "p1.pkg") || !strcmp(e->indicator_id, "v.pub"));
			assert_true(!pkg || pkg == e->artifact);
			pkg = e->artifact;
			n_pkg++;
		} else {
			assert_null(e->indicator);
			assert_true(!file || file == e->artifact);
			file = e->artifact;
			n_file++;
		}
	}
	assert_int_equal(n_pkg, 2);
	assert_int_equal(n_file, 2);
	assert_true(pkg != file);
	char *text = written(s, TEXT, 0, 100);
	assert_non_null(strstr(text, "\n(a report of another catalog, its evidence matched again)\n"));
	assert_non_null(strstr(text, "\n    definitive package alpha 7 (installed) [p1.pkg +1 more]\n"));
	assert_non_null(strstr(text, "\n    strong     file /srv/zeta (present) [z.path, not in this catalog +1 more]\n"));
	free(text);
	free(doc);
	excise_scan_free(s);
}

/* ---- text ---- */

/* One line per artifact with its strongest indicator and the count of the others;
 * -v: every indicator, the source and the attrs, at full width; lines that say the
 * same (one file seen by two sources) once. */
static void test_text_lines(void **state)
{
	struct fixture *fx = *state;
	char *doc = report_doc(
		"excise.report/2", "linux", NULL,
		FINDING("product", "p1", "Alpha", "remnant", "strong",
			RECORD("files", "file", "\"/opt/alpha/a\"", "\"present\"", "strong",
			       MATCH("path", "/opt/alpha/a", "p1.file", "strong") "," MATCH("name", "a", "v.weak", "weak")) ","
			RECORD("walk", "file", "\"/opt/alpha/a\"", "\"present\"", "strong",
			       MATCH("path", "/opt/alpha/a", "p1.file", "strong") "," MATCH("name", "a", "v.weak", "weak")) ","
			RECORD("files", "file", "\"/opt/alpha/back\\\\slash\"", "\"present\"", "strong",
			       MATCH("path", "/opt/alpha/back\\\\slash", "p1.file", "strong"))));
	struct excise_scan *s = read_back(fx, doc);
	char *text = written(s, TEXT, 0, 100);
	assert_int_equal(count(text, "    strong     file /opt/alpha/a (present) [p1.file +1 more]\n"), 1);
	/* a backslash in a Linux name is doubled: it cannot pass for an escape */
	assert_non_null(strstr(text, "    strong     file /opt/alpha/back\\\\slash (present) [p1.file]\n"));
	char *verbose = written(s, TEXT, EXCISE_REPORT_VERBOSE, 100);
	assert_non_null(strstr(verbose, "\n    strong     files file /opt/alpha/a (present)\n"
					"        strong     path /opt/alpha/a [p1.file]\n"
					"        weak       name a [v.weak]\n"));
	assert_non_null(strstr(verbose, "\n    strong     walk  file /opt/alpha/a (present)\n"));
	free(verbose);
	free(text);
	free(doc);
	excise_scan_free(s);
}

/* No line wider than the width; a long path keeps its start and its end around
 * "…", cut at its separators; the indicator id gives up its middle first; -v
 * shortens nothing. */
static void test_text_width(void **state)
{
	struct fixture *fx = *state;
	char *doc = report_doc(
		"excise.report/2", "linux", NULL,
		FINDING("product", "p1", "Alpha", "remnant", "strong",
			RECORD("files", "file",
			       "\"/opt/alpha/a-rather-long-directory-name/another-rather-long-directory-name/"
			       "yet-another-level/and-one-more/alpha-product-specific-end.bin\"",
			       "\"present\"", "strong",
			       MATCH("path",
				     "/opt/alpha/a-rather-long-directory-name/another-rather-long-directory-name/"
				     "yet-another-level/and-one-more/alpha-product-specific-end.bin",
				     "p1.file", "strong") "," MATCH("name", "alpha-product-specific-end.bin", "v.weak",
								    "weak"))));
	struct excise_scan *s = read_back(fx, doc);
	static const unsigned widths[] = { 100, 80, 60, 40 };
	for (size_t w = 0; w < sizeof(widths) / sizeof(widths[0]); w++) {
		char *text = written(s, TEXT, 0, widths[w]);
			size_t n;
		char **v = lines(text, &n);
		bool seen = false;
		for (size_t i = 0; i < n; i++) {
			if (columns(v[i]) > widths[w])
				fail_msg("width %u: %zu columns: %s", widths[w], columns(v[i]), v[i]);
			if (!strncmp(v[i], "    strong     file ", 20)) {
				seen = true;
				assert_non_null(strstr(v[i], "…"));
				if (widths[w] >= 100)
					assert_non_null(strstr(v[i], "/opt/alpha/…/alpha-product-specific-end.bin (present) [p1.file +1 more]"));
				else if (widths[w] >= 80)
					assert_non_null(strstr(v[i], "specific-end.bin (present) [p1.file +1 more]"));
			}
		}
		assert_true(seen);
		free(v);
		free(text);
	}
	char *verbose = written(s, TEXT, EXCISE_REPORT_VERBOSE, 40);
	assert_non_null(strstr(verbose, "/and-one-more/alpha-product-specific-end.bin (present)\n"));
	free(verbose);
	free(doc);
	excise_scan_free(s);
}

/* A Windows host: registry keys and paths as Windows writes them. */
static void test_text_windows(void **state)
{
	struct fixture *fx = *state;
	char *doc = report_doc("excise.report/2", "windows", NULL,
			       FINDING("product", "p1", "Alpha", "remnant", "strong",
				       RECORD("win-software", "registry", "\"HKLM\\\\SOFTWARE\\\\KasperskyLab\"",
					      "\"present\"", "strong",
					      MATCH("path", "HKLM\\\\SOFTWARE\\\\KasperskyLab", "v.key", "strong"))));
	struct excise_scan *s = read_back(fx, doc);
	assert_string_equal(s->findings[0].evidence[0].path, "HKLM\\SOFTWARE\\KasperskyLab");
	char *text = written(s, TEXT, 0, 100);
	assert_non_null(strstr(text, "    strong     registry HKLM\\SOFTWARE\\KasperskyLab (present) [v.key, not in this catalog]\n"));
	assert_null(strstr(text, "\\\\"));
	/* JSON escapes them as JSON does */
	char *json = written(s, JSON, 0, 0);
	assert_non_null(strstr(json, "\"path\": \"HKLM\\\\SOFTWARE\\\\KasperskyLab\""));
	free(json);
	free(text);
	free(doc);
	excise_scan_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_json_artifact, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kinds_roundtrip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_v1, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rematch_artifact, setup, teardown),
		cmocka_unit_test_setup_teardown(test_text_lines, setup, teardown),
		cmocka_unit_test_setup_teardown(test_text_width, setup, teardown),
		cmocka_unit_test_setup_teardown(test_text_windows, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_times, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
