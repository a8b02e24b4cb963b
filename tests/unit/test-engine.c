/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests of the findings engine (lib/engine/engine.c): observations fed
 * directly, no root and no source, against a small catalog parsed from a
 * string; and a report read back (lib/report/read.c) naming a source and an
 * indicator this build does not have, shown, and matched again when the
 * catalog differs.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/limits.h"
#include "excise/engine.h"
#include "excise/report.h"

#define IND(id, owner, kind, field, match, value, conf) \
	"{\"id\":\"" id "\"," owner ",\"kind\":\"" kind "\",\"field\":\"" field "\",\"match\":\"" match \
	"\",\"value\":\"" value "\",\"confidence\":\"" conf "\",\"source\":\"https://e/" id "\"}"
#define PRODUCT(id, vendor, name) \
	"{\"id\":\"" id "\",\"vendor\":\"" vendor "\",\"name\":\"" name "\",\"family\":\"endpoint\"," \
	"\"platforms\":[\"linux\"],\"source\":\"https://e/" id "\"}"

static const char doc[] =
	"{\"schema\":\"excise.catalog/1\",\"id\":\"t\",\"version\":\"1\",\"serial\":1,\"issued\":\"2026-01-01\","
	"\"vendors\":[{\"id\":\"v\",\"name\":\"Vendor V\"},{\"id\":\"w\",\"name\":\"Vendor W\"}],"
	"\"products\":[" PRODUCT("p1", "v", "Alpha") "," PRODUCT("p2", "v", "Beta") "," PRODUCT("q1", "w", "Gamma") "],"
	"\"indicators\":["
	IND("p1.pkg", "\"product\":\"p1\"", "package", "name", "exact", "alpha", "definitive") ","
	IND("p1.proc", "\"product\":\"p1\"", "process", "name", "exact", "alphad", "strong") ","
	IND("p1.file", "\"product\":\"p1\"", "file", "path", "glob", "/opt/alpha/*", "strong") ","
	IND("p2.file", "\"product\":\"p2\"", "file", "name", "exact", "beta.conf", "weak") ","
	IND("p2.pkg", "\"product\":\"p2\"", "package", "name", "exact", "beta", "strong") ","
	IND("v.pub", "\"vendor\":\"v\"", "package", "publisher", "exact", "Vendor V Ltd", "strong") ","
	IND("v.weak", "\"vendor\":\"v\"", "file", "name", "glob", "vendorv*", "weak") ","
	IND("q1.pkg", "\"product\":\"q1\"", "package", "name", "exact", "gamma", "definitive")
	"],\"directives\":[{\"id\":\"d1\",\"short_name\":\"D 1\",\"title\":\"Remove V\","
	"\"instrument\":\"statute\",\"issuer\":\"Someone\",\"issued\":\"2026-01-01\",\"vendors\":[\"v\"],"
	"\"scope\":\"in_whole_or_in_part\",\"milestones\":[{\"id\":\"M1\",\"name\":\"remove\","
	"\"anchor\":\"issued_date\",\"offset\":30,\"unit\":\"calendar_days\",\"action\":\"remove\"}],"
	"\"source\":\"https://e/d1\"}]}";

struct fixture {
	struct excise_catalog *c, *c2;
	struct excise_engine *e;
	struct excise_scan *s;
};

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	struct excise_err err = { 0 };
	if (!fx || excise_catalog_parse("test", doc, strlen(doc), &fx->c, &err) < 0) {
		fprintf(stderr, "catalog: %s\n", err.msg);
		return -1;
	}
	struct excise_host host = { .hostname = "h", .root = "/", .platform = "linux" };
	if (excise_engine_new(fx->c, "linux", &host, &fx->e, &err) < 0)
		return -1;
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;
	excise_scan_free(fx->s);
	excise_engine_free(fx->e);
	excise_catalog_free(fx->c);
	excise_catalog_free(fx->c2);
	free(fx);
	return 0;
}

static void finish(struct fixture *fx)
{
	struct excise_err err = { 0 };
	if (excise_engine_finish(fx->e, &fx->s, &err) < 0)
		fail_msg("finish: %s", err.msg);
	assert_non_null(fx->s);
}

/* Feed one observation of `kind` with `field` = value (and an optional path, version). */
static int feed(struct fixture *fx, struct excise_source_result *in, enum excise_obs_kind kind,
		enum excise_field field, const char *value, const char *path, const char *version, bool active)
{
	struct excise_obs o = { .kind = kind, .active = active, .state = active ? "installed" : NULL };
	o.f[field] = value;
	if (path)
		o.f[EXCISE_F_PATH] = path;
	if (version)
		o.f[EXCISE_F_VERSION] = version;
	int r = excise_engine_feed(fx->e, in, &o);
	assert_true(r >= 0);
	return r;
}

static const struct excise_finding *finding(const struct excise_scan *s, const char *product_id)
{
	for (size_t i = 0; i < s->n_findings; i++)
		if (!strcmp(s->findings[i].product_id, product_id))
			return &s->findings[i];
	fail_msg("no finding of %s", product_id);
	return NULL;
}

/* Product evidence makes one finding per product; vendor-wide evidence joins the
 * vendor's strongest; findings most serious first, with their covering directives. */
static void test_grouping(void **state)
{
	struct fixture *fx = *state;
	struct excise_source_result *pk = excise_engine_input(fx->e, "pkgs");
	struct excise_source_result *fs = excise_engine_input(fx->e, "files");
	assert_non_null(pk);
	assert_non_null(fs);
	struct excise_obs o = { .kind = EXCISE_OBS_PACKAGE, .active = true, .state = "installed" };
	o.f[EXCISE_F_NAME] = "alpha";
	o.f[EXCISE_F_PUBLISHER] = "Vendor V Ltd";
	o.f[EXCISE_F_VERSION] = "1.2";
	struct excise_obs_attr a[] = { { "arch", "amd64" }, { "dropped", NULL } };
	o.attrs = a, o.n_attrs = 2;
	assert_int_equal(excise_engine_feed(fx->e, pk, &o), 2); /* p1.pkg and v.pub */
	assert_int_equal(feed(fx, fs, EXCISE_OBS_FILE, EXCISE_F_NAME, "beta.conf", "/etc/beta.conf", NULL, true), 1);
	assert_int_equal(feed(fx, fs, EXCISE_OBS_FILE, EXCISE_F_NAME, "unrelated", "/etc/unrelated", NULL, true), 0);
	excise_engine_count(fx->e, fs, 10);
	finish(fx);
	const struct excise_scan *s = fx->s;
	assert_int_equal(s->origin, EXCISE_SCAN_MATCHED);
	assert_string_equal(s->catalog_id, "t");
	assert_string_equal(s->catalog_sha256, excise_catalog_sha256(fx->c));
	assert_string_equal(s->host.hostname, "h");
	assert_int_equal(s->n_sources, 2);
	assert_string_equal(s->sources[0].name, "pkgs");
	assert_int_equal(s->sources[0].observations, 1);
	assert_int_equal(s->sources[0].matched, 1);
	assert_int_equal(s->sources[1].observations, 12);
	assert_int_equal(s->sources[1].matched, 1);
	assert_int_equal(s->n_findings, 2);
	const struct excise_finding *f = &s->findings[0];
	assert_string_equal(f->product_id, "p1");
	assert_string_equal(f->product_name, "Alpha");
	assert_string_equal(f->vendor_id, "v");
	assert_string_equal(f->vendor_name, "Vendor V");
	assert_non_null(f->product);
	assert_int_equal(f->state, EXCISE_STATE_INSTALLED);
	assert_int_equal(f->confidence, EXCISE_CONF_DEFINITIVE);
	assert_string_equal(f->version, "1.2");
	assert_int_equal(f->n_evidence, 2);
	assert_string_equal(f->evidence[0].indicator_id, "p1.pkg"); /* definitive before strong */
	assert_string_equal(f->evidence[1].indicator_id, "v.pub");
	assert_string_equal(f->evidence[1].value, "Vendor V Ltd");
	assert_int_equal(f->evidence[1].field, EXCISE_F_PUBLISHER);
	assert_string_equal(f->evidence[0].source, "pkgs");
	assert_ptr_equal(f->evidence[0].indicator, excise_catalog_indicator(fx->c, 0));
	assert_string_equal(f->evidence[0].attrs[0], "arch");
	assert_string_equal(f->evidence[0].attrs[1], "amd64");
	assert_null(f->evidence[0].attrs[2]);
	assert_int_equal(f->n_directives, 1);
	assert_string_equal(f->directives[0]->id, "d1");
	/* weak evidence of p2 outside every place (p2 has none): a trace of the vendor, not p2 */
	f = &s->findings[1];
	assert_string_equal(f->product_id, "v:traces");
	assert_int_equal(f->kind, EXCISE_FINDING_TRACES);
	assert_string_equal(f->product_name, "Vendor V: traces (no product)");
	assert_null(f->product);
	assert_int_equal(f->state, EXCISE_STATE_REMNANT); /* weak evidence never installs */
	assert_int_equal(f->confidence, EXCISE_CONF_WEAK);
	assert_string_equal(f->evidence[0].indicator_id, "p2.file");
	assert_int_equal(excise_scan_verdict(s, NULL), 1);
}

/* Vendor-wide evidence: weak outside every place, a trace (never <vendor>:unidentified);
 * strong with no product finding of its vendor, <vendor>:unidentified; strong with one,
 * it joins the most serious (running over a remnant); another vendor's is not joined. */
static void test_vendor_wide(void **state)
{
	struct fixture *fx = *state;
	struct excise_source_result *in = excise_engine_input(fx->e, "files");
	feed(fx, in, EXCISE_OBS_FILE, EXCISE_F_NAME, "vendorv-tool", "/usr/bin/vendorv-tool", NULL, false);
	feed(fx, in, EXCISE_OBS_PACKAGE, EXCISE_F_NAME, "gamma", NULL, "3", true);
	finish(fx);
	assert_int_equal(fx->s->n_findings, 2);
	const struct excise_finding *f = finding(fx->s, "v:traces");
	assert_null(f->product);
	assert_string_equal(f->vendor_id, "v");
	assert_int_equal(f->n_evidence, 1);
	assert_int_equal(f->confidence, EXCISE_CONF_WEAK);
	assert_int_equal(finding(fx->s, "q1")->n_evidence, 1); /* another vendor's finding is not joined */

	excise_scan_free(fx->s), fx->s = NULL;
	excise_engine_free(fx->e), fx->e = NULL;
	struct excise_err err;
	assert_int_equal(excise_engine_new(fx->c, "linux", NULL, &fx->e, &err), 0);
	in = excise_engine_input(fx->e, "mixed");
	feed(fx, in, EXCISE_OBS_FILE, EXCISE_F_NAME, "beta.conf", "/etc/beta.conf", NULL, false);
	feed(fx, in, EXCISE_OBS_PROCESS, EXCISE_F_NAME, "alphad", "/proc/7", NULL, true);
	feed(fx, in, EXCISE_OBS_FILE, EXCISE_F_NAME, "vendorv.log", "/var/log/vendorv.log", NULL, false);
	feed(fx, in, EXCISE_OBS_FILE, EXCISE_F_PATH, "/opt/alpha/x", "/opt/alpha/x", NULL, false);
	finish(fx);
	assert_string_equal(fx->s->host.platform, "linux");
	assert_int_equal(fx->s->n_findings, 2);
	f = &fx->s->findings[0];
	assert_string_equal(f->product_id, "p1");
	assert_int_equal(f->state, EXCISE_STATE_RUNNING);
	assert_int_equal(f->n_evidence, 2);
	f = finding(fx->s, "v:traces");
	assert_int_equal(f->n_evidence, 2); /* beta.conf (weak p2) and vendorv.log */

	excise_scan_free(fx->s), fx->s = NULL;
	excise_engine_free(fx->e), fx->e = NULL;
	assert_int_equal(excise_engine_new(fx->c, "linux", NULL, &fx->e, &err), 0);
	in = excise_engine_input(fx->e, "mixed");
	feed(fx, in, EXCISE_OBS_PROCESS, EXCISE_F_NAME, "alphad", "/proc/7", NULL, true);
	struct excise_obs o = { .kind = EXCISE_OBS_PACKAGE, .active = false, .state = "config-files" };
	o.f[EXCISE_F_NAME] = "beta";
	o.f[EXCISE_F_PUBLISHER] = "Vendor V Ltd"; /* of beta's artifact: beta's, not the running p1's */
	assert_int_equal(excise_engine_feed(fx->e, in, &o), 2);
	finish(fx);
	assert_int_equal(fx->s->n_findings, 2);
	assert_int_equal(finding(fx->s, "p2")->n_evidence, 2);
	assert_int_equal(finding(fx->s, "p1")->n_evidence, 1);
}

/* State: running (a process), installed (active strong), remnant (inactive or weak);
 * the version of a package before that of a file. */
static void test_state_version(void **state)
{
	struct fixture *fx = *state;
	struct excise_source_result *in = excise_engine_input(fx->e, "x");
	feed(fx, in, EXCISE_OBS_FILE, EXCISE_F_PATH, "/opt/alpha/bin", NULL, "9.9", true);
	feed(fx, in, EXCISE_OBS_PACKAGE, EXCISE_F_NAME, "alpha", NULL, "1.0", false); /* config-files */
	feed(fx, in, EXCISE_OBS_PACKAGE, EXCISE_F_NAME, "beta", NULL, "2.0", false);
	finish(fx);
	const struct excise_finding *f = finding(fx->s, "p1");
	assert_int_equal(f->state, EXCISE_STATE_INSTALLED); /* the active strong file */
	assert_int_equal(f->confidence, EXCISE_CONF_DEFINITIVE);
	assert_string_equal(f->version, "1.0"); /* a package knows its version best */
	f = finding(fx->s, "p2");
	assert_int_equal(f->state, EXCISE_STATE_REMNANT);
	assert_int_equal(f->confidence, EXCISE_CONF_STRONG);
	assert_string_equal(f->version, "2.0");
}

/* The same (indicator, path, value, input) is one piece of evidence; another input's is another. */
static void test_dedupe(void **state)
{
	struct fixture *fx = *state;
	struct excise_source_result *a = excise_engine_input(fx->e, "a"), *b = excise_engine_input(fx->e, "b");
	for (int i = 0; i < 3; i++)
		assert_int_equal(feed(fx, a, EXCISE_OBS_PACKAGE, EXCISE_F_NAME, "alpha", "/var/lib/dpkg/status", NULL,
				      true), 1);
	feed(fx, b, EXCISE_OBS_PACKAGE, EXCISE_F_NAME, "alpha", "/var/lib/dpkg/status", NULL, true);
	feed(fx, a, EXCISE_OBS_PACKAGE, EXCISE_F_NAME, "alpha", "/var/lib/rpm", NULL, true);
	finish(fx);
	assert_int_equal(fx->s->n_findings, 1);
	assert_int_equal(fx->s->findings[0].n_evidence, 3);
	assert_int_equal(fx->s->sources[0].observations, 4);
	assert_int_equal(fx->s->sources[0].matched, 4);
}

/* Past EXCISE_MAX_EVIDENCE the rest is dropped, said once by the input that met the limit. */
static void test_evidence_cap(void **state)
{
	struct fixture *fx = *state;
	struct excise_source_result *a = excise_engine_input(fx->e, "a"), *b = excise_engine_input(fx->e, "b");
	char path[64];
	for (unsigned i = 0; i < EXCISE_MAX_EVIDENCE - 1; i++) {
		snprintf(path, sizeof(path), "/opt/alpha/%u", i);
		feed(fx, a, EXCISE_OBS_FILE, EXCISE_F_PATH, path, NULL, NULL, false);
	}
	for (unsigned i = 0; i < 5; i++) {
		snprintf(path, sizeof(path), "/opt/alpha/b%u", i);
		feed(fx, b, EXCISE_OBS_FILE, EXCISE_F_PATH, path, NULL, NULL, false);
	}
	finish(fx);
	assert_int_equal(fx->s->n_findings, 1);
	assert_int_equal(fx->s->findings[0].n_evidence, EXCISE_MAX_EVIDENCE);
	assert_int_equal(fx->s->sources[0].n_errors, 0);
	assert_int_equal(fx->s->sources[1].n_errors, 1);
	assert_non_null(strstr(fx->s->sources[1].errors[0], "strong evidence: only the first 100000 kept"));
	/* the input the limit stopped is incomplete */
	assert_null(fx->s->sources[0].error);
	assert_non_null(fx->s->sources[1].error);
	assert_non_null(strstr(fx->s->sources[1].error, "stopped by a limit: more than 100000"));
}

/* The cap is per confidence: EXCISE_MAX_EVIDENCE + 1 pieces of weak evidence do not
 * crowd out the strong and definitive evidence fed after them. */
static void test_evidence_cap_per_strength(void **state)
{
	struct fixture *fx = *state;
	struct excise_source_result *a = excise_engine_input(fx->e, "a");
	char name[64];
	for (unsigned i = 0; i <= EXCISE_MAX_EVIDENCE; i++) {
		snprintf(name, sizeof(name), "vendorv%u", i);
		feed(fx, a, EXCISE_OBS_FILE, EXCISE_F_NAME, name, NULL, NULL, false);
	}
	assert_int_equal(feed(fx, a, EXCISE_OBS_FILE, EXCISE_F_PATH, "/opt/alpha/bin", NULL, NULL, false), 1);
	assert_int_equal(feed(fx, a, EXCISE_OBS_PACKAGE, EXCISE_F_NAME, "alpha", "/var/lib/dpkg/status", NULL,
			      true), 1);
	finish(fx);
	size_t weak = 0, strong = 0;
	for (size_t i = 0; i < fx->s->n_findings; i++)
		for (size_t k = 0; k < fx->s->findings[i].n_evidence; k++) {
			const struct excise_evidence *ev = &fx->s->findings[i].evidence[k];
			weak += ev->confidence == EXCISE_CONF_WEAK;
			strong += ev->confidence >= EXCISE_CONF_STRONG;
		}
	assert_int_equal(weak, EXCISE_MAX_EVIDENCE);
	assert_int_equal(strong, 2);
	assert_int_equal(excise_scan_count(fx->s, EXCISE_CONF_STRONG) > 0, 1);
	assert_int_equal(fx->s->sources[0].n_errors, 1);
	assert_non_null(strstr(fx->s->sources[0].errors[0], "weak evidence: only the first 100000 kept"));
	assert_non_null(fx->s->sources[0].error);
}

struct feeder {
	struct fixture *fx;
	struct excise_source_result *in;
	char tag;
};

static void *feed_many(void *p)
{
	struct feeder *fd = p;
	char path[64];
	for (int i = 0; i < 5000; i++) {
		snprintf(path, sizeof(path), "/opt/alpha/%c%d", fd->tag, i);
		struct excise_obs o = { .kind = EXCISE_OBS_FILE };
		o.f[EXCISE_F_PATH] = path;
		o.f[EXCISE_F_NAME] = i % 2 ? "vendorv.dat" : "other";
		if (excise_engine_feed(fd->fx->e, fd->in, &o) < 0)
			return p;
		excise_engine_count(fd->fx->e, fd->in, 1);
		if (i % 1000 == 0)
			excise_engine_item_error(fd->fx->e, fd->in, "an item");
	}
	return NULL;
}

/* Two threads feeding at once lose nothing. */
static void test_threads(void **state)
{
	struct fixture *fx = *state;
	struct feeder a = { fx, excise_engine_input(fx->e, "a"), 'a' }, b = { fx, excise_engine_input(fx->e, "b"), 'b' };
	pthread_t ta, tb;
	assert_int_equal(pthread_create(&ta, NULL, feed_many, &a), 0);
	assert_int_equal(pthread_create(&tb, NULL, feed_many, &b), 0);
	void *ra, *rb;
	pthread_join(ta, &ra);
	pthread_join(tb, &rb);
	assert_null(ra);
	assert_null(rb);
	finish(fx);
	assert_int_equal(fx->s->n_findings, 1);
	/* each path once (p1.file) and each odd one's name once more (v.weak), per thread */
	assert_int_equal(fx->s->findings[0].n_evidence, 2 * (5000 + 2500));
	for (int i = 0; i < 2; i++) {
		assert_int_equal(fx->s->sources[i].observations, 10000);
		assert_int_equal(fx->s->sources[i].matched, 5000);
		assert_int_equal(fx->s->sources[i].n_errors, 5);
	}
}

/* Evidence kept as it was (its indicator unknown here) joins the finding of its product,
 * known or not; a failure reason is kept once. */
static void test_keep(void **state)
{
	struct fixture *fx = *state;
	struct excise_source_result *in = excise_engine_input(fx->e, "sbom");
	struct excise_evidence ev = { .source = "sbom", .kind = EXCISE_OBS_PACKAGE, .field = EXCISE_F_NAME,
				      .value = "zeta", .indicator_id = "z.pkg", .confidence = EXCISE_CONF_STRONG,
				      .active = true, .version = "5" };
	struct excise_finding zf = { .product_id = "zeta", .product_name = "Zeta", .vendor_id = "z", .vendor_name = "Z" };
	assert_int_equal(excise_engine_keep(fx->e, in, &zf, &ev), 0);
	assert_int_equal(excise_engine_keep(fx->e, in, &zf, &ev), 0); /* deduplicated */
	struct excise_finding pf = { .product_id = "p2" };
	ev.indicator_id = "p2.old", ev.value = "beta-old";
	assert_int_equal(excise_engine_keep(fx->e, in, &pf, &ev), 0);
	excise_engine_fail(fx->e, in, "first");
	excise_engine_fail(fx->e, in, "second");
	finish(fx);
	assert_string_equal(fx->s->sources[0].error, "first");
	assert_int_equal(fx->s->n_findings, 2);
	const struct excise_finding *f = finding(fx->s, "zeta");
	assert_null(f->product);
	assert_null(f->vendor);
	assert_string_equal(f->product_name, "Zeta");
	assert_string_equal(f->vendor_name, "Z");
	assert_int_equal(f->n_evidence, 1);
	assert_null(f->evidence[0].indicator);
	assert_string_equal(f->evidence[0].indicator_id, "z.pkg");
	assert_int_equal(f->state, EXCISE_STATE_INSTALLED);
	assert_int_equal(f->n_directives, 0);
	f = finding(fx->s, "p2");
	assert_non_null(f->product);
	assert_string_equal(f->product_name, "Beta");
	assert_string_equal(f->vendor_name, "Vendor V");
	assert_int_equal(f->n_directives, 1);
}

/* ---- a report read back ---- */

/* A report naming the source "sbom-import" and the indicator "p1.pkg-2027", which
 * neither this build nor the test catalog has, and a product "zeta" it lacks too. */
static char *report(const char *catalog_sha)
{
	static const char tmpl[] =
		"{\"schema\":\"excise.report/1\",\"report_id\":\"c6276ff0-f0b5-4390-8cfe-bacdaf55e4f9\","
		"\"host\":{\"hostname\":\"far\",\"os\":null,\"os_id\":null,\"machine_id\":null,"
		"\"root\":\"/\",\"platform\":\"linux\",\"live\":true},"
		"\"started\":\"2026-12-03T06:15:20.284Z\",\"finished\":\"2026-12-03T06:15:20.287Z\","
		"\"catalog\":{\"id\":\"t\",\"version\":\"2\",\"origin\":\"embedded\",\"sha256\":\"%s\"},"
		"\"sources\":[{\"name\":\"sbom-import\",\"status\":\"ok\",\"n_errors\":0,\"errors\":[],\"error\":null}],"
		"\"findings\":["
		"{\"product\":{\"id\":\"p1\",\"name\":\"Alpha\"},\"vendor\":{\"id\":\"v\",\"name\":\"Vendor V\"},"
		"\"state\":\"installed\",\"confidence\":\"definitive\",\"evidence\":["
		"{\"source\":\"sbom-import\",\"kind\":\"package\",\"field\":\"name\",\"value\":\"alpha\",\"path\":null,"
		"\"version\":\"7\",\"active\":true,\"indicator\":{\"id\":\"p1.pkg-2027\",\"confidence\":\"definitive\"}}]},"
		"{\"product\":{\"id\":\"zeta\",\"name\":\"Zeta\"},\"vendor\":{\"id\":\"v\",\"name\":\"Vendor V\"},"
		"\"state\":\"remnant\",\"confidence\":\"strong\",\"evidence\":["
		"{\"source\":\"sbom-import\",\"kind\":\"file\",\"field\":\"name\",\"value\":\"zeta.dat\","
		"\"path\":\"/opt/zeta/zeta.dat\",\"indicator\":{\"id\":\"z.file\",\"confidence\":\"strong\"}}]}]}\n";
	size_t n = sizeof(tmpl) + strlen(catalog_sha);
	char *doc_text = malloc(n);
	assert_non_null(doc_text);
	assert_true(snprintf(doc_text, n, tmpl, catalog_sha) > 0);
	return doc_text;
}

static char *written(const struct excise_scan *s, int format)
{
	char *out = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&out, &n);
	assert_non_null(f);
	int r = format == 0 ? excise_report_json(s, f) : format == 1 ? excise_report_text(s, f, 0)
								      : excise_report_csv(s, f);
	assert_int_equal(r, 0);
	assert_int_equal(fclose(f), 0);
	return out;
}

static struct excise_scan *read_back(struct fixture *fx, const char *doc_text)
{
	struct excise_scan *s = NULL;
	struct excise_err err = { 0 };
	if (excise_report_read(fx->c, "test", doc_text, strlen(doc_text), &s, &err) < 0)
		fail_msg("excise_report_read: %s", err.msg);
	return s;
}

/* Made with this catalog: read as it is; what this build or catalog lacks is kept and shown. */
static void test_read_unknown(void **state)
{
	struct fixture *fx = *state;
	char *doc_text = report(excise_catalog_sha256(fx->c));
	struct excise_scan *s = read_back(fx, doc_text);
	free(doc_text);
	assert_int_equal(s->origin, EXCISE_SCAN_READ);
	assert_string_equal(s->catalog_version, "2");
	assert_string_equal(s->sources[0].name, "sbom-import");
	assert_int_equal(s->n_findings, 2);
	const struct excise_evidence *e = &s->findings[0].evidence[0];
	assert_string_equal(e->source, "sbom-import");
	assert_string_equal(e->indicator_id, "p1.pkg-2027");
	assert_null(e->indicator);
	assert_int_equal(e->confidence, EXCISE_CONF_DEFINITIVE);
	assert_null(s->findings[1].product);
	assert_string_equal(s->findings[1].product_name, "Zeta");

	char *json = written(s, 0), *text = written(s, 1), *csv = written(s, 2);
	assert_non_null(strstr(json, "\"source\": \"sbom-import\""));
	assert_non_null(strstr(json, "\"id\": \"p1.pkg-2027\""));
	assert_non_null(strstr(json, "\"name\": \"Zeta\""));
	assert_non_null(strstr(text, "\n    definitive package alpha 7 [p1.pkg-2027, not in this catalog]\n"));
	assert_non_null(strstr(text, "Zeta"));
	assert_non_null(strstr(csv, ",zeta,Zeta,Vendor V,"));
	assert_non_null(strstr(csv, ",p1.pkg-2027,definitive,"));
	/* what is written reads back the same */
	struct excise_scan *again = read_back(fx, json);
	assert_int_equal(again->origin, EXCISE_SCAN_READ);
	assert_string_equal(again->findings[0].evidence[0].indicator_id, "p1.pkg-2027");
	assert_string_equal(again->findings[1].product_id, "zeta");
	excise_scan_free(again);
	free(json), free(text), free(csv);
	excise_scan_free(s);
}

/* Made with another catalog: the evidence is matched again, the findings follow this catalog,
 * and evidence it does not match is kept as it was, its indicator NULL. */
static void test_read_rematch(void **state)
{
	struct fixture *fx = *state;
	char *doc_text = report("0000000000000000000000000000000000000000000000000000000000000000");
	struct excise_scan *s = read_back(fx, doc_text);
	free(doc_text);
	assert_int_equal(s->origin, EXCISE_SCAN_REMATCHED);
	assert_string_equal(s->catalog_version, "1"); /* the catalog the findings now follow */
	assert_string_equal(s->catalog_sha256, excise_catalog_sha256(fx->c));
	assert_int_equal(s->n_sources, 1); /* the report's sources stay */
	assert_string_equal(s->sources[0].name, "sbom-import");
	assert_int_equal(s->n_findings, 2);
	const struct excise_finding *f = finding(s, "p1");
	assert_int_equal(f->n_evidence, 1);
	assert_string_equal(f->evidence[0].indicator_id, "p1.pkg");
	assert_non_null(f->evidence[0].indicator);
	assert_string_equal(f->evidence[0].source, "sbom-import");
	assert_string_equal(f->version, "7");
	assert_int_equal(f->state, EXCISE_STATE_INSTALLED);
	assert_int_equal(f->n_directives, 1);
	f = finding(s, "zeta");
	assert_null(f->evidence[0].indicator);
	assert_string_equal(f->evidence[0].indicator_id, "z.file");
	assert_string_equal(f->evidence[0].path, "/opt/zeta/zeta.dat");
	char *text = written(s, 1);
	assert_non_null(strstr(text, "its evidence matched again"));
	assert_non_null(strstr(text, "[p1.pkg]"));
	free(text);
	excise_scan_free(s);
}

/* What cannot be read back is refused, naming the place. */
static void test_read_refused(void **state)
{
	struct fixture *fx = *state;
	static const struct {
		const char *from, *to, *msg;
	} cases[] = {
		{ "excise.report/1", "excise.report/9", "/schema" },
		{ ",\"confidence\":\"definitive\"}}]}", "}}]}", "/findings/0/evidence/0/indicator: 'p1.pkg-2027' is not" },
		{ "\"vendor\":{\"id\":\"v\",\"name\":\"Vendor V\"},\"state\":\"remnant\"", "\"state\":\"remnant\"",
		  "/findings/1/vendor: product 'zeta' is not in catalog t 1: vendor.id is required" },
		{ "\"kind\":\"package\"", "\"kind\":\"parcel\"", "/findings/0/evidence/0/kind: expected a kind" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *good = report(excise_catalog_sha256(fx->c)), *text = NULL;
		const char *at = strstr(good, cases[i].from);
		assert_non_null(at);
		assert_true(asprintf(&text, "%.*s%s%s", (int)(at - good), good, cases[i].to,
				     at + strlen(cases[i].from)) > 0);
		free(good);
		struct excise_scan *s = NULL;
		struct excise_err err = { 0 };
		assert_true(excise_report_read(fx->c, "r.json", text, strlen(text), &s, &err) < 0);
		assert_null(s);
		if (!strstr(err.msg, cases[i].msg))
			fail_msg("case %zu: %s", i, err.msg);
		free(text);
	}
}

/* ---- identity, places, traces and state (issue 12) ---- */

#define PRODUCT_AT(id, name, places) \
	"{\"id\":\"" id "\",\"vendor\":\"k\",\"name\":\"" name "\",\"family\":\"endpoint\"," \
	"\"platforms\":[\"linux\",\"windows\"],\"source\":\"https://e/" id "\",\"places\":{" places "}}"

/* Vendor k with two products side by side under one vendor folder, as Endpoint Security
 * and Network Agent are under /opt/kaspersky: ea's indicator "/opt/k/ *" is a generic one. */
static const char doc2[] =
	"{\"schema\":\"excise.catalog/1\",\"id\":\"t2\",\"version\":\"1\",\"serial\":1,\"issued\":\"2026-01-01\","
	"\"vendors\":[{\"id\":\"k\",\"name\":\"K Lab\"}],"
	"\"products\":["
	PRODUCT_AT("ea", "Endpoint A", "\"linux\":[\"/opt/k/ea\",\"/var/opt/k/ea\"],"
		   "\"windows\":[\"/Program Files*/K Lab/EA*\",\"HKLM\\\\SOFTWARE\\\\K\\\\EA\"]") ","
	PRODUCT_AT("na", "Agent N", "\"linux\":[\"/opt/k/na*\"],\"windows\":[\"/Program Files*/K Lab/NetworkAgent\"]")
	"],\"indicators\":["
	IND("ea.pkg", "\"product\":\"ea\"", "package", "name", "exact", "ea", "definitive") ","
	IND("ea.any", "\"product\":\"ea\"", "file", "path", "glob", "/opt/k/*", "strong") ","
	IND("ea.bin", "\"product\":\"ea\"", "file", "path", "exact", "/opt/k/na/ea-plugin", "definitive") ","
	IND("ea.drv", "\"product\":\"ea\"", "kmod", "name", "exact", "kdrv.sys", "strong") ","
	IND("ea.mod", "\"product\":\"ea\"", "kmod", "name", "exact", "kmod_k", "strong") ","
	IND("ea.unit", "\"product\":\"ea\"", "service", "name", "exact", "ea.service", "strong") ","
	IND("na.pkg", "\"product\":\"na\"", "package", "name", "exact", "na", "definitive") ","
	IND("na.proc", "\"product\":\"na\"", "process", "name", "exact", "nad", "strong") ","
	IND("na.notes", "\"product\":\"na\"", "file", "name", "glob", "na-*.txt", "weak") ","
	IND("k.pub", "\"vendor\":\"k\"", "package", "publisher", "glob", "K Lab*", "strong") ","
	IND("k.any", "\"vendor\":\"k\"", "file", "path", "glob", "/opt/k/*", "definitive") ","
	IND("k.dir", "\"vendor\":\"k\"", "file", "path", "glob", "/Program Files*/K Lab/*", "strong") ","
	IND("k.weak", "\"vendor\":\"k\"", "file", "name", "glob", "*kfile*", "weak") ","
	IND("k.key", "\"vendor\":\"k\"", "registry", "name", "glob", "{K*}", "weak") ","
	IND("ea.bundle", "\"product\":\"ea\"", "bundle", "name", "exact", "com.k.ea", "strong") ","
	IND("ea.msi", "\"product\":\"ea\"", "registry", "name", "exact", "{EA000000-0000-0000-0000-000000000001}",
	    "definitive") ","
	IND("na.name", "\"product\":\"na\"", "package", "name", "glob", "Agent N*", "weak") ","
	IND("k.kmod", "\"vendor\":\"k\"", "kmod", "name", "glob", "kfile*", "weak") ","
	IND("k.cert", "\"vendor\":\"k\"", "cert", "publisher", "exact", "K Lab", "strong")
	"],\"directives\":[{\"id\":\"d1\",\"short_name\":\"D 1\",\"title\":\"Remove K\","
	"\"instrument\":\"statute\",\"issuer\":\"Someone\",\"issued\":\"2026-01-01\",\"vendors\":[\"k\"],"
	"\"scope\":\"in_whole_or_in_part\",\"milestones\":[{\"id\":\"M1\",\"name\":\"remove\","
	"\"anchor\":\"issued_date\",\"offset\":30,\"unit\":\"calendar_days\",\"action\":\"remove\"}],"
	"\"source\":\"https://e/d1\"}]}";

/* A fresh engine for doc2 on `platform`, replacing the fixture's. */
static struct excise_source_result *engine2(struct fixture *fx, const char *platform)
{
	struct excise_err err = { 0 };
	excise_scan_free(fx->s), fx->s = NULL;
	excise_engine_free(fx->e), fx->e = NULL;
	if (!fx->c2 && excise_catalog_parse("test2", doc2, strlen(doc2), &fx->c2, &err) < 0)
		fail_msg("catalog: %s", err.msg);
	if (excise_engine_new(fx->c2, platform, NULL, &fx->e, &err) < 0)
		fail_msg("engine: %s", err.msg);
	return excise_engine_input(fx->e, "in");
}

/* One observation: kind, state word, activity, then field/value pairs ending with -1. */
static int obs(struct fixture *fx, struct excise_source_result *in, enum excise_obs_kind kind, const char *st,
	       bool active, const struct excise_obs_attr *a, size_t na, ...)
{
	struct excise_obs o = { .kind = kind, .state = st, .active = active, .attrs = a, .n_attrs = na };
	va_list ap;
	va_start(ap, na);
	for (int f; (f = va_arg(ap, int)) >= 0;)
		o.f[f] = va_arg(ap, const char *);
	va_end(ap);
	int r = excise_engine_feed(fx->e, in, &o);
	assert_true(r >= 0);
	return r;
}

static const struct excise_finding *maybe(const struct excise_scan *s, const char *product_id)
{
	for (size_t i = 0; i < s->n_findings; i++)
		if (!strcmp(s->findings[i].product_id, product_id))
			return &s->findings[i];
	return NULL;
}

/* Whether finding f has evidence at `path` (of indicator `ind` when not NULL). */
static bool has(const struct excise_finding *f, const char *path, const char *ind)
{
	for (size_t i = 0; f && i < f->n_evidence; i++)
		if (f->evidence[i].path && !strcmp(f->evidence[i].path, path) &&
		    (!ind || !strcmp(f->evidence[i].indicator_id, ind)))
			return true;
	return false;
}

/* The most specific place wins: a generic product indicator (ea's strong "/opt/k/ *") on a file
 * in na's place moves to na with the artifact's vendor-wide evidence; a definitive one of ea
 * there stays ea's; a file in no more specific place stays with its indicator's product. */
static void test_place_specific(void **state)
{
	struct fixture *fx = *state;
	struct excise_source_result *in = engine2(fx, "linux");
	obs(fx, in, EXCISE_OBS_PACKAGE, "installed", true, NULL, 0, EXCISE_F_NAME, "ea", -1);
	obs(fx, in, EXCISE_OBS_PACKAGE, "installed", true, NULL, 0, EXCISE_F_NAME, "na", -1);
	/* each file: ea.any (strong glob, ea) and k.any (definitive, vendor-wide) */
	assert_int_equal(obs(fx, in, EXCISE_OBS_FILE, "present", false, NULL, 0, EXCISE_F_PATH, "/opt/k/na64/bin/nagent",
			     -1), 2);
	obs(fx, in, EXCISE_OBS_FILE, "present", false, NULL, 0, EXCISE_F_PATH, "/opt/k/na/ea-plugin", -1);
	obs(fx, in, EXCISE_OBS_FILE, "present", false, NULL, 0, EXCISE_F_PATH, "/opt/k/ea/bin/ead", -1);
	obs(fx, in, EXCISE_OBS_FILE, "present", false, NULL, 0, EXCISE_F_PATH, "/opt/k/shared/lib", -1);
	finish(fx);
	const struct excise_finding *ea = finding(fx->s, "ea"), *na = finding(fx->s, "na");
	assert_true(has(na, "/opt/k/na64/bin/nagent", "ea.any"));
	assert_true(has(na, "/opt/k/na64/bin/nagent", "k.any"));
	assert_false(has(ea, "/opt/k/na64/bin/nagent", NULL)); /* the sibling never collects it */
	/* a definitive indicator of ea: the file stays ea's, and its artifact with it */
	assert_true(has(ea, "/opt/k/na/ea-plugin", "ea.bin"));
	assert_true(has(ea, "/opt/k/na/ea-plugin", "ea.any"));
	assert_true(has(ea, "/opt/k/na/ea-plugin", "k.any"));
	assert_false(has(na, "/opt/k/na/ea-plugin", NULL));
	assert_true(has(ea, "/opt/k/ea/bin/ead", "ea.any"));
	assert_true(has(ea, "/opt/k/shared/lib", "ea.any"));   /* no place more specific: its product */
	assert_int_equal(fx->s->n_findings, 2);
	for (size_t i = 0; i < fx->s->n_findings; i++)
		assert_int_equal(fx->s->findings[i].kind, EXCISE_FINDING_PRODUCT);
}

/* Vendor-wide evidence by place: in a product's place, that product's (weak or strong, whatever
 * is more serious elsewhere); strong outside every place, the vendor's most serious finding. */
static void test_place_vendor_wide(void **state)
{
	struct fixture *fx = *state;
	struct excise_source_result *in = engine2(fx, "linux");
	obs(fx, in, EXCISE_OBS_PROCESS, "running", true, NULL, 0, EXCISE_F_NAME, "nad", EXCISE_F_PATH, "/proc/9", -1);
	obs(fx, in, EXCISE_OBS_FILE, "present", false, NULL, 0, EXCISE_F_NAME, "kfile.log", EXCISE_F_PATH,
	    "/var/opt/k/ea/kfile.log", -1);
	obs(fx, in, EXCISE_OBS_FILE, "present", false, NULL, 0, EXCISE_F_PATH, "/opt/k/ea", -1);
	finish(fx);
	const struct excise_finding *ea = finding(fx->s, "ea"), *na = finding(fx->s, "na");
	assert_int_equal(na->state, EXCISE_STATE_RUNNING);
	assert_true(has(ea, "/var/opt/k/ea/kfile.log", "k.weak")); /* weak, but in ea's place */
	assert_int_equal(ea->confidence, EXCISE_CONF_DEFINITIVE);  /* k.any on /opt/k/ea */
	assert_true(has(ea, "/opt/k/ea", "k.any"));
	assert_null(maybe(fx->s, "k:traces"));
	assert_null(maybe(fx->s, "k:unidentified"));
}

/* An Uninstall entry whose publisher is the vendor and whose name the catalog does not know:
 * a strong finding named after it; its key and what lies in its install location join it. */
static void test_unlisted(void **state)
{
	struct fixture *fx = *state;
	struct excise_source_result *in = engine2(fx, "windows");
	const char *key = "HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\{K0001}";
	struct excise_obs_attr loc[] = { { "install_location", "C:\\Program Files\\K Lab\\Foo Widget\\" } };
	assert_int_equal(obs(fx, in, EXCISE_OBS_PACKAGE, "installed", true, loc, 1, EXCISE_F_NAME, "K Foo Widget",
			     EXCISE_F_PUBLISHER, "K Lab Ltd", EXCISE_F_VERSION, "3.1", EXCISE_F_PATH, key, -1), 1);
	assert_int_equal(obs(fx, in, EXCISE_OBS_REGISTRY, "installed", true, loc, 1, EXCISE_F_NAME, "{K0001}",
			     EXCISE_F_PATH, key, -1), 1);
	obs(fx, in, EXCISE_OBS_FILE, "present", false, NULL, 0, EXCISE_F_NAME, "kfile.dll", EXCISE_F_PATH,
	    "/Program Files/K Lab/foo widget/kfile.dll", -1);
	/* the same entry in the 32-bit view: the same finding */
	obs(fx, in, EXCISE_OBS_PACKAGE, "installed", true, NULL, 0, EXCISE_F_NAME, "K Foo Widget", EXCISE_F_PUBLISHER,
	    "K Lab Ltd", EXCISE_F_VERSION, "3.1", EXCISE_F_PATH,
	    "HKLM\\SOFTWARE\\WOW6432Node\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\{K0001}", -1);
	/* a name of no ASCII letter: a hash; no version: none in the name */
	obs(fx, in, EXCISE_OBS_PACKAGE, "installed", true, NULL, 0, EXCISE_F_NAME, "Защита", EXCISE_F_PUBLISHER,
	    "K Lab", EXCISE_F_PATH, "HKU\\bob\\Software\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\x", -1);
	/* a known product with the vendor's publisher stays that product */
	obs(fx, in, EXCISE_OBS_PACKAGE, "installed", true, NULL, 0, EXCISE_F_NAME, "ea", EXCISE_F_PUBLISHER, "K Lab",
	    -1);
	/* a file in a vendor folder of no product: strong, vendor-wide, joins the most serious */
	obs(fx, in, EXCISE_OBS_FILE, "present", false, NULL, 0, EXCISE_F_PATH, "/Program Files/K Lab/Shared", -1);
	finish(fx);
	const struct excise_finding *f = finding(fx->s, "k:unlisted:k-foo-widget");
	assert_int_equal(f->kind, EXCISE_FINDING_UNLISTED);
	assert_string_equal(f->product_name, "K Foo Widget 3.1, not in catalog");
	assert_null(f->product);
	assert_string_equal(f->vendor_id, "k");
	assert_string_equal(f->vendor_name, "K Lab");
	assert_int_equal(f->state, EXCISE_STATE_INSTALLED);
	assert_int_equal(f->confidence, EXCISE_CONF_STRONG);
	assert_string_equal(f->version, "3.1");
	assert_int_equal(f->n_directives, 1); /* the vendor's: covered */
	assert_true(has(f, key, "k.pub"));
	assert_true(has(f, key, "k.key")); /* the entry's own key, weak, by place */
	assert_true(has(f, "/Program Files/K Lab/foo widget/kfile.dll", "k.weak")); /* its install location */
	assert_true(has(f, "HKLM\\SOFTWARE\\WOW6432Node\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\{K0001}",
			"k.pub"));
	char id[64];
	snprintf(id, sizeof(id), "k:unlisted:%08x", 0u);
	const struct excise_finding *h = NULL;
	for (size_t i = 0; i < fx->s->n_findings; i++)
		if (!strncmp(fx->s->findings[i].product_id, "k:unlisted:", 11) && fx->s->findings[i].version == NULL)
			h = &fx->s->findings[i];
	assert_non_null(h);
	assert_int_equal(strlen(h->product_id), strlen(id));
	assert_string_equal(h->product_name, "Защита, not in catalog");
	assert_true(has(finding(fx->s, "ea"), "/Program Files/K Lab/Shared", "k.dir")); /* definitive first */
	assert_null(maybe(fx->s, "k:unidentified"));
	assert_null(maybe(fx->s, "k:traces"));
	assert_int_equal(excise_scan_verdict(fx->s, NULL), 1);

	/* a localised entry the catalog cannot name, whose key (its MSI product code) it knows:
	 * the product's, not unlisted */
	in = engine2(fx, "windows");
	const char *ekey = "HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\"
			   "{EA000000-0000-0000-0000-000000000001}";
	obs(fx, in, EXCISE_OBS_PACKAGE, "installed", true, NULL, 0, EXCISE_F_NAME, "Защита конечных точек",
	    EXCISE_F_PUBLISHER, "K Lab", EXCISE_F_VERSION, "12.1", EXCISE_F_PATH, ekey, -1);
	obs(fx, in, EXCISE_OBS_REGISTRY, "installed", true, NULL, 0, EXCISE_F_NAME,
	    "{EA000000-0000-0000-0000-000000000001}", EXCISE_F_PATH, ekey, -1);
	finish(fx);
	assert_int_equal(fx->s->n_findings, 1);
	f = finding(fx->s, "ea");
	assert_int_equal(f->n_evidence, 2);
	assert_int_equal(f->state, EXCISE_STATE_INSTALLED);
	assert_string_equal(f->version, "12.1");

	/* a user's entry named weakly after a product, published by the vendor: that product's,
	 * strong and installed, and its install location that product's place */
	in = engine2(fx, "windows");
	struct excise_obs_attr uloc[] = { { "install_location", "C:\\Users\\bob\\AppData\\Local\\K\\Agent" },
					  { "user", "bob" } };
	obs(fx, in, EXCISE_OBS_PACKAGE, "installed", true, uloc, 2, EXCISE_F_NAME, "Agent N 2", EXCISE_F_PUBLISHER,
	    "K Lab", EXCISE_F_PATH, "HKU\\bob\\Software\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\AN", -1);
	obs(fx, in, EXCISE_OBS_FILE, "present", false, NULL, 0, EXCISE_F_NAME, "kfile.db", EXCISE_F_PATH,
	    "/Users/bob/AppData/Local/K/Agent/kfile.db", -1);
	finish(fx);
	assert_int_equal(fx->s->n_findings, 1);
	f = finding(fx->s, "na");
	assert_int_equal(f->state, EXCISE_STATE_INSTALLED);
	assert_int_equal(f->confidence, EXCISE_CONF_STRONG);
	assert_true(has(f, "/Users/bob/AppData/Local/K/Agent/kfile.db", "k.weak"));
}

/* Two packages of one maintainer with no path are two artifacts: two unlisted findings. */
static void test_unlisted_packages(void **state)
{
	struct fixture *fx = *state;
	struct excise_source_result *in = engine2(fx, "linux");
	obs(fx, in, EXCISE_OBS_PACKAGE, "installed", true, NULL, 0, EXCISE_F_NAME, "k-tool-a", EXCISE_F_PUBLISHER,
	    "K Lab <a@k>", EXCISE_F_VERSION, "1", -1);
	obs(fx, in, EXCISE_OBS_PACKAGE, "config-files", false, NULL, 0, EXCISE_F_NAME, "k-tool-b", EXCISE_F_PUBLISHER,
	    "K Lab <a@k>", EXCISE_F_VERSION, "2", -1);
	finish(fx);
	assert_int_equal(fx->s->n_findings, 2);
	assert_int_equal(finding(fx->s, "k:unlisted:k-tool-a")->state, EXCISE_STATE_INSTALLED);
	const struct excise_finding *b = finding(fx->s, "k:unlisted:k-tool-b");
	assert_int_equal(b->state, EXCISE_STATE_REMNANT); /* not active: not installed */
	assert_string_equal(b->product_name, "k-tool-b 2, not in catalog");
	assert_string_equal(fx->s->findings[0].product_id, "k:unlisted:k-tool-a"); /* installed first */
}

/* Weak evidence outside every place is a trace of the vendor, never a product's or unidentified. */
static void test_traces(void **state)
{
	struct fixture *fx = *state;
	struct excise_source_result *in = engine2(fx, "linux");
	obs(fx, in, EXCISE_OBS_FILE, "present", false, NULL, 0, EXCISE_F_NAME, "kfile-notes.md", EXCISE_F_PATH,
	    "/home/u/kfile-notes.md", -1);
	obs(fx, in, EXCISE_OBS_FILE, "present", false, NULL, 0, EXCISE_F_NAME, "na-research.txt", EXCISE_F_PATH,
	    "/home/u/na-research.txt", -1); /* a weak indicator of na, outside na's place */
	finish(fx);
	assert_int_equal(fx->s->n_findings, 1);
	const struct excise_finding *f = finding(fx->s, "k:traces");
	assert_int_equal(f->kind, EXCISE_FINDING_TRACES);
	assert_string_equal(f->product_name, "K Lab: traces (no product)");
	assert_null(f->product);
	assert_int_equal(f->confidence, EXCISE_CONF_WEAK);
	assert_int_equal(f->state, EXCISE_STATE_REMNANT);
	assert_int_equal(f->n_evidence, 2);
	const char *w = NULL;
	assert_int_equal(excise_scan_verdict(fx->s, &w), 0); /* traces are weak: clean */
	assert_string_equal(w, "clean");

	in = engine2(fx, "linux"); /* the same name inside na's place is na's */
	obs(fx, in, EXCISE_OBS_FILE, "present", false, NULL, 0, EXCISE_F_NAME, "na-research.txt", EXCISE_F_PATH,
	    "/opt/k/na/na-research.txt", -1);
	finish(fx);
	assert_true(has(finding(fx->s, "na"), "/opt/k/na/na-research.txt", "na.notes"));
	assert_null(maybe(fx->s, "k:traces"));

	/* a service's image folder is its product's place (a system folder would not be) */
	in = engine2(fx, "windows");
	obs(fx, in, EXCISE_OBS_SERVICE, "installed", true, NULL, 0, EXCISE_F_NAME, "ea.service", EXCISE_F_TARGET,
	    "\"C:\\Tools\\K\\EA 1\\ksvc.exe\" -r", EXCISE_F_PATH, "HKLM\\SYSTEM\\CurrentControlSet\\Services\\ea",
	    -1);
	obs(fx, in, EXCISE_OBS_SERVICE, "installed", true, NULL, 0, EXCISE_F_NAME, "ea.service", EXCISE_F_TARGET,
	    "C:\\Windows\\system32\\svchost.exe -k x", EXCISE_F_PATH, "HKLM\\SYSTEM\\CurrentControlSet\\Services\\eb",
	    -1);
	obs(fx, in, EXCISE_OBS_FILE, "present", false, NULL, 0, EXCISE_F_NAME, "kfile.dat", EXCISE_F_PATH,
	    "/tools/k/ea 1/data/kfile.dat", -1);
	obs(fx, in, EXCISE_OBS_FILE, "present", false, NULL, 0, EXCISE_F_NAME, "kfile.dll", EXCISE_F_PATH,
	    "/Windows/System32/kfile.dll", -1);
	finish(fx);
	assert_true(has(finding(fx->s, "ea"), "/tools/k/ea 1/data/kfile.dat", "k.weak"));
	assert_true(has(finding(fx->s, "k:traces"), "/Windows/System32/kfile.dll", "k.weak"));

	/* a launchd job's program, spaces in its path, options after it: its folder */
	in = engine2(fx, "macos");
	obs(fx, in, EXCISE_OBS_SERVICE, "enabled", true, NULL, 0, EXCISE_F_NAME, "ea.service", EXCISE_F_TARGET,
	    "/Library/Application Support/K Lab/EA/Binaries/ead --daemon -v", EXCISE_F_PATH,
	    "/Library/LaunchDaemons/ea.plist", -1);
	obs(fx, in, EXCISE_OBS_FILE, "present", false, NULL, 0, EXCISE_F_NAME, "kfile.cfg", EXCISE_F_PATH,
	    "/library/application support/k lab/ea/binaries/kfile.cfg", -1);
	finish(fx);
	assert_true(has(finding(fx->s, "ea"), "/library/application support/k lab/ea/binaries/kfile.cfg", "k.weak"));

	/* an install location that is the vendor's shared folder is no place */
	in = engine2(fx, "windows");
	struct excise_obs_attr vloc[] = { { "install_location", "C:\\Apps\\K Lab\\" } };
	obs(fx, in, EXCISE_OBS_PACKAGE, "installed", true, vloc, 1, EXCISE_F_NAME, "K Tool", EXCISE_F_PUBLISHER, "K Lab",
	    -1);
	obs(fx, in, EXCISE_OBS_FILE, "present", false, NULL, 0, EXCISE_F_NAME, "kfile.txt", EXCISE_F_PATH,
	    "/Apps/K Lab/Other/kfile.txt", -1);
	finish(fx);
	assert_true(has(finding(fx->s, "k:traces"), "/Apps/K Lab/Other/kfile.txt", "k.weak"));
	assert_int_equal(finding(fx->s, "k:unlisted:k-tool")->n_evidence, 1);
}

/* The state of one finding made of one observation, on `platform`. */
static enum excise_state state_of(struct fixture *fx, const char *platform, const char *expect_id,
				  enum excise_obs_kind kind, const char *st, bool active, int field, const char *value)
{
	struct excise_source_result *in = engine2(fx, platform);
	assert_true(obs(fx, in, kind, st, active, NULL, 0, EXCISE_F_PATH, "/x/y", field, value, -1) > 0);
	finish(fx);
	assert_int_equal(fx->s->n_findings, 1);
	assert_string_equal(fx->s->findings[0].product_id, expect_id);
	return fx->s->findings[0].state;
}

/* Each rule of the state model (docs/report-format.md, "State"). */
static void test_state_rules(void **state)
{
	struct fixture *fx = *state;
	/* running: a live process, a loaded module */
	assert_int_equal(state_of(fx, "linux", "na", EXCISE_OBS_PROCESS, "running", true, EXCISE_F_NAME, "nad"),
			 EXCISE_STATE_RUNNING);
	assert_int_equal(state_of(fx, "linux", "ea", EXCISE_OBS_KMOD, "loaded", true, EXCISE_F_NAME, "kmod_k"),
			 EXCISE_STATE_RUNNING);
	/* installed: a module file present is not; a registered driver with its image is */
	assert_int_equal(state_of(fx, "linux", "ea", EXCISE_OBS_KMOD, "present", false, EXCISE_F_NAME, "kmod_k"),
			 EXCISE_STATE_REMNANT);
	assert_int_equal(state_of(fx, "windows", "ea", EXCISE_OBS_KMOD, "installed", true, EXCISE_F_NAME, "kdrv.sys"),
			 EXCISE_STATE_INSTALLED);
	assert_int_equal(state_of(fx, "windows", "ea", EXCISE_OBS_KMOD, "image-missing", false, EXCISE_F_NAME,
				  "kdrv.sys"), EXCISE_STATE_REMNANT);
	/* installed: a package the database calls installed; config-files is a remnant */
	assert_int_equal(state_of(fx, "linux", "ea", EXCISE_OBS_PACKAGE, "installed", true, EXCISE_F_NAME, "ea"),
			 EXCISE_STATE_INSTALLED);
	assert_int_equal(state_of(fx, "linux", "ea", EXCISE_OBS_PACKAGE, "config-files", false, EXCISE_F_NAME, "ea"),
			 EXCISE_STATE_REMNANT);
	/* installed: an enabled unit; a disabled one is a remnant */
	assert_int_equal(state_of(fx, "linux", "ea", EXCISE_OBS_SERVICE, "enabled", true, EXCISE_F_NAME, "ea.service"),
			 EXCISE_STATE_INSTALLED);
	assert_int_equal(state_of(fx, "linux", "ea", EXCISE_OBS_SERVICE, "disabled", false, EXCISE_F_NAME,
				  "ea.service"), EXCISE_STATE_REMNANT);
	/* installed: an app bundle with its Info.plist, a receipt (bundle, package) */
	assert_int_equal(state_of(fx, "linux", "ea", EXCISE_OBS_BUNDLE, "installed", true, EXCISE_F_NAME, "com.k.ea"),
			 EXCISE_STATE_INSTALLED);
	assert_int_equal(state_of(fx, "linux", "ea", EXCISE_OBS_BUNDLE, "present", false, EXCISE_F_NAME, "com.k.ea"),
			 EXCISE_STATE_REMNANT);
	/* installed: an MSI registration (its product code); a leftover key of it is a remnant */
	assert_int_equal(state_of(fx, "windows", "ea", EXCISE_OBS_REGISTRY, "installed", true, EXCISE_F_NAME,
				  "{EA000000-0000-0000-0000-000000000001}"), EXCISE_STATE_INSTALLED);
	assert_int_equal(state_of(fx, "windows", "ea", EXCISE_OBS_REGISTRY, "present", false, EXCISE_F_NAME,
				  "{EA000000-0000-0000-0000-000000000001}"), EXCISE_STATE_REMNANT);
	/* remnant: the vendor's files with no registration */
	assert_int_equal(state_of(fx, "linux", "ea", EXCISE_OBS_FILE, "present", false, EXCISE_F_PATH, "/opt/k/ea/x"),
			 EXCISE_STATE_REMNANT);
	/* trust: a lone trusted certificate, active as certificates are; not trusted: a remnant */
	assert_int_equal(state_of(fx, "linux", "k:unidentified", EXCISE_OBS_CERT, "trusted", true, EXCISE_F_PUBLISHER,
				  "K Lab"), EXCISE_STATE_TRUST);
	const struct excise_finding *f = &fx->s->findings[0];
	assert_int_equal(f->kind, EXCISE_FINDING_PRODUCT);
	assert_int_equal(f->confidence, EXCISE_CONF_STRONG);
	assert_int_equal(f->n_directives, 1); /* covered */
	const char *w = NULL;
	assert_int_equal(excise_scan_verdict(fx->s, &w), 1);
	assert_string_equal(w, "found");
	assert_int_equal(state_of(fx, "linux", "k:unidentified", EXCISE_OBS_CERT, "present", true, EXCISE_F_PUBLISHER,
				  "K Lab"), EXCISE_STATE_REMNANT);
	assert_int_equal(state_of(fx, "windows", "k:unidentified", EXCISE_OBS_CERT, "intermediate", true,
				  EXCISE_F_PUBLISHER, "K Lab"), EXCISE_STATE_REMNANT);
}

/* A trusted certificate with an installed product of the vendor is that product's evidence
 * (state by the product); with only leftovers, the finding is a trust exposure. */
static void test_trust_with_product(void **state)
{
	struct fixture *fx = *state;
	struct excise_source_result *in = engine2(fx, "linux");
	obs(fx, in, EXCISE_OBS_PACKAGE, "installed", true, NULL, 0, EXCISE_F_NAME, "na", -1);
	obs(fx, in, EXCISE_OBS_CERT, "trusted", true, NULL, 0, EXCISE_F_PUBLISHER, "K Lab", EXCISE_F_PATH,
	    "/etc/ssl/certs/k.pem", -1);
	finish(fx);
	assert_int_equal(fx->s->n_findings, 1);
	const struct excise_finding *f = finding(fx->s, "na");
	assert_int_equal(f->state, EXCISE_STATE_INSTALLED);
	assert_true(has(f, "/etc/ssl/certs/k.pem", "k.cert"));

	in = engine2(fx, "linux");
	obs(fx, in, EXCISE_OBS_FILE, "present", false, NULL, 0, EXCISE_F_PATH, "/opt/k/ea/old.log", -1);
	obs(fx, in, EXCISE_OBS_CERT, "trusted", true, NULL, 0, EXCISE_F_PUBLISHER, "K Lab", EXCISE_F_PATH,
	    "/etc/ssl/certs/k.pem", -1);
	finish(fx);
	assert_int_equal(fx->s->n_findings, 1);
	assert_int_equal(finding(fx->s, "ea")->state, EXCISE_STATE_TRUST);

	/* findings in order: state rank (running, installed, trust, remnant), confidence, name */
	in = engine2(fx, "linux");
	obs(fx, in, EXCISE_OBS_CERT, "trusted", true, NULL, 0, EXCISE_F_PUBLISHER, "K Lab", EXCISE_F_PATH,
	    "/etc/ssl/certs/k.pem", -1);
	obs(fx, in, EXCISE_OBS_FILE, "present", false, NULL, 0, EXCISE_F_NAME, "kfile", EXCISE_F_PATH, "/home/kfile", -1);
	obs(fx, in, EXCISE_OBS_PACKAGE, "installed", true, NULL, 0, EXCISE_F_NAME, "k-x", EXCISE_F_PUBLISHER, "K Lab",
	    -1);
	obs(fx, in, EXCISE_OBS_PROCESS, "running", true, NULL, 0, EXCISE_F_NAME, "nad", -1);
	finish(fx);
	assert_int_equal(fx->s->n_findings, 3);
	assert_string_equal(fx->s->findings[0].product_id, "na");
	assert_string_equal(fx->s->findings[1].product_id, "k:unlisted:k-x");
	assert_string_equal(fx->s->findings[2].product_id, "k:traces");
	assert_true(has(&fx->s->findings[0], "/etc/ssl/certs/k.pem", "k.cert")); /* the most serious */
}

/* Weak evidence of no product that is not a file (a driver's key, a weak driver) joins the
 * vendor's finding, and its file is then in a place: the driver's image file is not a trace;
 * with no finding of the vendor, it is a trace (never <vendor>:unidentified). */
static void test_weak_registrations(void **state)
{
	struct fixture *fx = *state;
	struct excise_source_result *in = engine2(fx, "windows");
	struct excise_obs_attr svc[] = { { "service", "kflt" } };
	obs(fx, in, EXCISE_OBS_PACKAGE, "installed", true, NULL, 0, EXCISE_F_NAME, "ea", -1);
	obs(fx, in, EXCISE_OBS_KMOD, "installed", true, svc, 1, EXCISE_F_NAME, "kfile.sys", EXCISE_F_PATH,
	    "/Windows/System32/drivers/kfile.sys", -1);
	obs(fx, in, EXCISE_OBS_FILE, "present", false, NULL, 0, EXCISE_F_NAME, "kfile.sys", EXCISE_F_PATH,
	    "/Windows/System32/DRIVERS/kfile.sys", -1);
	obs(fx, in, EXCISE_OBS_REGISTRY, "installed", true, svc, 1, EXCISE_F_NAME, "{Kflt}", EXCISE_F_PATH,
	    "HKLM\\SYSTEM\\CurrentControlSet\\Services\\kflt", -1);
	finish(fx);
	assert_int_equal(fx->s->n_findings, 1);
	const struct excise_finding *f = finding(fx->s, "ea");
	assert_int_equal(f->n_evidence, 4);
	assert_true(has(f, "/Windows/System32/DRIVERS/kfile.sys", "k.weak"));
	assert_int_equal(f->state, EXCISE_STATE_INSTALLED); /* by the package: weak evidence shows no state */

	in = engine2(fx, "windows");
	obs(fx, in, EXCISE_OBS_REGISTRY, "installed", true, svc, 1, EXCISE_F_NAME, "{Kflt}", EXCISE_F_PATH,
	    "HKLM\\SYSTEM\\CurrentControlSet\\Services\\kflt", -1);
	finish(fx);
	assert_int_equal(fx->s->n_findings, 1);
	assert_int_equal(finding(fx->s, "k:traces")->n_evidence, 1);
}

/* A vendor-wide driver goes with the found product whose removal recipe names it (the vendor's
 * shared filter driver is the endpoint product's), not with the vendor's most serious finding
 * (here a running agent); a driver no recipe names still joins that finding. */
static const char doc3[] =
	"{\"schema\":\"excise.catalog/1\",\"id\":\"t3\",\"version\":\"1\",\"serial\":1,\"issued\":\"2026-01-01\","
	"\"vendors\":[{\"id\":\"k\",\"name\":\"K Lab\"}],"
	"\"products\":[{\"id\":\"ea\",\"vendor\":\"k\",\"name\":\"Endpoint A\",\"family\":\"endpoint\","
	"\"platforms\":[\"windows\"],\"source\":\"https://e/ea\",\"removal\":{\"windows\":{\"drivers\":[\"kdrv\"],"
	"\"source\":\"https://e/ea-rm\"}}},"
	"{\"id\":\"na\",\"vendor\":\"k\",\"name\":\"Agent N\",\"family\":\"management\","
	"\"platforms\":[\"windows\"],\"source\":\"https://e/na\"}],"
	"\"indicators\":["
	IND("ea.pkg", "\"product\":\"ea\"", "package", "name", "exact", "Endpoint A", "definitive") ","
	IND("na.proc", "\"product\":\"na\"", "process", "name", "exact", "nad", "definitive") ","
	IND("k.drv", "\"vendor\":\"k\"", "kmod", "name", "glob", "kdrv*", "strong") ","
	IND("k.key", "\"vendor\":\"k\"", "registry", "path", "exact",
	    "HKLM\\\\SYSTEM\\\\CurrentControlSet\\\\Services\\\\kdrv", "weak")
	"],\"directives\":[]}";

static void test_recipe_driver(void **state)
{
	struct fixture *fx = *state;
	struct excise_err err = { 0 };
	struct excise_catalog *c = NULL;
	if (excise_catalog_parse("test3", doc3, strlen(doc3), &c, &err) < 0)
		fail_msg("catalog: %s", err.msg);
	excise_scan_free(fx->s), fx->s = NULL;
	excise_engine_free(fx->e), fx->e = NULL;
	if (excise_engine_new(c, "windows", NULL, &fx->e, &err) < 0)
		fail_msg("engine: %s", err.msg);
	struct excise_source_result *in = excise_engine_input(fx->e, "in");
	obs(fx, in, EXCISE_OBS_PROCESS, "running", true, NULL, 0, EXCISE_F_NAME, "nad", EXCISE_F_PATH, "/proc/9", -1);
	obs(fx, in, EXCISE_OBS_PACKAGE, "installed", true, NULL, 0, EXCISE_F_NAME, "Endpoint A", EXCISE_F_PATH,
	    "HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\EA", -1);
	const struct excise_obs_attr drv[] = { { "service", "kdrv" } }, other[] = { { "service", "kdrvx" } };
	obs(fx, in, EXCISE_OBS_KMOD, "installed", true, drv, 1, EXCISE_F_NAME, "kdrv.sys", EXCISE_F_PATH,
	    "/Windows/System32/drivers/kdrv.sys", -1);
	obs(fx, in, EXCISE_OBS_REGISTRY, "installed", true, NULL, 0, EXCISE_F_PATH,
	    "HKLM\\SYSTEM\\CurrentControlSet\\Services\\kdrv", -1);
	obs(fx, in, EXCISE_OBS_KMOD, "installed", true, other, 1, EXCISE_F_NAME, "kdrvx.sys", EXCISE_F_PATH,
	    "/Windows/System32/drivers/kdrvx.sys", -1);
	finish(fx);
	const struct excise_finding *ea = finding(fx->s, "ea"), *na = finding(fx->s, "na");
	assert_true(has(ea, "/Windows/System32/drivers/kdrv.sys", "k.drv"));
	assert_true(has(ea, "HKLM\\SYSTEM\\CurrentControlSet\\Services\\kdrv", "k.key"));
	assert_false(has(na, "/Windows/System32/drivers/kdrv.sys", NULL));
	assert_true(has(na, "/Windows/System32/drivers/kdrvx.sys", "k.drv"));
	excise_scan_free(fx->s), fx->s = NULL;
	excise_engine_free(fx->e), fx->e = NULL;
	excise_catalog_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_grouping, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vendor_wide, setup, teardown),
		cmocka_unit_test_setup_teardown(test_state_version, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dedupe, setup, teardown),
		cmocka_unit_test_setup_teardown(test_evidence_cap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_threads, setup, teardown),
		cmocka_unit_test_setup_teardown(test_keep, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_unknown, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_rematch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_place_specific, setup, teardown),
		cmocka_unit_test_setup_teardown(test_place_vendor_wide, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unlisted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unlisted_packages, setup, teardown),
		cmocka_unit_test_setup_teardown(test_traces, setup, teardown),
		cmocka_unit_test_setup_teardown(test_state_rules, setup, teardown),
		cmocka_unit_test_setup_teardown(test_trust_with_product, setup, teardown),
		cmocka_unit_test_setup_teardown(test_weak_registrations, setup, teardown),
		cmocka_unit_test_setup_teardown(test_recipe_driver, setup, teardown),
		cmocka_unit_test_setup_teardown(test_evidence_cap_per_strength, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
