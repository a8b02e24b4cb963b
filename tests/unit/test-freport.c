/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of the fleet reports (lib/fleet/freport.c) over rows made here, no database:
 * every string a host reported escaped for its format (CSV formula cells, HTML, JSON, the
 * terminal), the none-found statement, the config file read strictly. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "core/buf.h"
#include "excise/fleet.h"
#include "fleet/freport.h"

#define DAY 86400
#define START 1505260800 /* 2017-09-13 */

static const struct excise_milestone bod_ms[] = {
	{ "M1", "identify", "issued_date", 30, "calendar_days", NULL, "identify" },
	{ "M2", "plan", "issued_date", 60, "calendar_days", NULL, "plan" },
	{ "M3", "remove", "issued_date", 90, "calendar_days", NULL, "remove" },
	{ "M4", "status", "previous_milestone", 30, "calendar_days", NULL, "report" },
};
static const struct excise_directive bod = {
	.id = "dhs-bod-17-01", .short_name = "BOD 17-01", .title = "Removal", .issued = "2017-09-13",
	.milestones = bod_ms, .n_milestones = 4,
};

static const char *const hostile[] = {
	"=cmd|' /C calc'!A0", "+1+1", "-2", "@SUM(A1)", "\tTAB", "\rCR", "<script>alert(1)</script>",
	"x'; DROP TABLE host; --", "\"quoted\", comma", "\x1b[31mred",
};
#define N_HOSTILE (sizeof(hostile) / sizeof(hostile[0]))

/* A list of N_HOSTILE hosts named by the hostile strings, every other one holding a product
 * whose version is hostile too; one row more that never reported. */
static struct excise_fleet_list *list_new(bool found)
{
	struct excise_fleet_list *l = calloc(1, sizeof(*l));
	assert_non_null(l);
	l->directive = &bod;
	l->start = START;
	l->now = START + 12 * DAY;
	l->rows = calloc(N_HOSTILE + 1, sizeof(*l->rows));
	assert_non_null(l->rows);
	for (size_t i = 0; i <= N_HOSTILE; i++) {
		struct excise_fleet_host *h = &l->rows[l->n++];
		int64_t t = START + 10 * DAY;
		h->hostname = strdup(i < N_HOSTILE ? hostile[i] : "silent");
		h->host_id = strdup(i < N_HOSTILE ? hostile[(i + 1) % N_HOSTILE] : "h-silent");
		h->org_unit = strdup(hostile[(i + 2) % N_HOSTILE]);
		h->platform = strdup("linux");
		h->os = strdup(hostile[(i + 3) % N_HOSTILE]);
		bool holds = found && i % 2 == 0 && i < N_HOSTILE;
		h->products = strdup(holds ? "kaspersky:kes" : "");
		if (i < N_HOSTILE)
			h->facts = (struct excise_fleet_facts){ .enrolled = true, .first_report = t, .last_report = t,
								.last_complete = t, .first_identified = holds ? t : 0,
								.last_identified = holds ? t : 0,
								.last_complete_covered = holds };
		else
			h->facts = (struct excise_fleet_facts){ .enrolled = true };
		assert_int_equal(excise_fleet_track(&bod, START, h, NULL, 0, NULL, 0, l->now, NULL), 0);
	}
	assert_int_equal(excise_fleet_count(l), 0);
	return l;
}

static struct excise_fleet_findings *findings_new(const struct excise_fleet_list *l)
{
	struct excise_fleet_findings *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	f->rows = calloc(l->n, sizeof(*f->rows));
	for (size_t i = 0; i < l->n; i++) {
		if (!*l->rows[i].products)
			continue;
		struct excise_fleet_finding *x = &f->rows[f->n++];
		x->host_id = strdup(l->rows[i].host_id);
		x->hostname = strdup(l->rows[i].hostname);
		x->org_unit = strdup(l->rows[i].org_unit);
		x->product_id = strdup("kaspersky:kes");
		x->vendor_id = strdup("kaspersky");
		x->product_name = strdup(hostile[i]);
		x->version = strdup(hostile[(i + 6) % N_HOSTILE]); /* the first: <script> */
		x->state = strdup("installed");
		x->confidence = strdup("definitive");
		x->sources = strdup("dpkg,=evil");
		x->received = START + 10 * DAY;
		x->n_artifacts = 2;
	}
	return f;
}

/* The report as a string. */
static char *render(enum excise_freport_kind k, enum excise_freport_format fmt, const struct excise_fleet_list *l,
		    const struct excise_fleet_findings *f, const struct excise_freport_config *cfg, int want)
{
	char *p = NULL;
	size_t n = 0;
	FILE *m = open_memstream(&p, &n);
	assert_non_null(m);
	struct excise_err err = { 0 };
	assert_int_equal(excise_freport_write(m, k, fmt, l, f, cfg, NULL, &err), want);
	fclose(m);
	return p;
}

static void test_html_escape(void **state)
{
	(void)state;
	struct buf b;
	buf_init(&b, 0);
	freport_html_escape(&b, "<a href=\"x\">'&'</a>\x1b");
	assert_string_equal(b.p, "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;\\x1b");
	buf_clear(&b);
	freport_html_escape(&b, NULL);
	assert_string_equal(b.p, "");
	buf_done(&b);
}

static void test_csv(void **state)
{
	(void)state;
	struct excise_fleet_list *l = list_new(true);
	struct excise_fleet_findings *f = findings_new(l);
	for (int kind = EXCISE_FREPORT_HOSTS; kind <= EXCISE_FREPORT_FINDINGS; kind++) {
		char *csv = render(kind, EXCISE_FREPORT_CSV, l, f, NULL, 0);
		/* no cell starts a formula (cells read as RFC 4180 has them) */
		bool quoted = false, start = true;
		for (const char *p = csv; *p; p++) {
			if (start && *p && strchr("=+-@\t\r", *p))
				fail_msg("a cell starts with '%c': %.40s", *p, p);
			start = false;
			if (*p == '"')
				quoted = !quoted; /* a doubled quote toggles twice */
			else if (!quoted && (*p == ',' || *p == '\n'))
				start = true;
			if (start && p[1] == '"')
				start = true, p++, quoted = true;
		}
		assert_non_null(strstr(csv, "'=cmd|' /C calc'!A0"));
		assert_non_null(strstr(csv, "'+1+1"));
		assert_non_null(strstr(csv, "'@SUM(A1)"));
		assert_non_null(strstr(csv, "\"\"\"quoted\"\", comma\""));
		assert_non_null(strstr(csv, "x'; DROP TABLE host; --"));
		assert_null(strchr(csv, '\x1b')); /* a terminal escape shown, never sent */
		free(csv);
	}
	excise_fleet_findings_free(f);
	excise_fleet_list_free(l);
}

static void test_html(void **state)
{
	(void)state;
	struct excise_fleet_list *l = list_new(true);
	struct excise_fleet_findings *f = findings_new(l);
	for (int kind = EXCISE_FREPORT_DAY30; kind <= EXCISE_FREPORT_FAR; kind++) {
		char *h = render(kind, EXCISE_FREPORT_HTML, l, f, NULL, 0);
		assert_null(strstr(h, "<script"));
		assert_null(strchr(h, '\x1b'));
		assert_null(strstr(h, " src="));
		assert_null(strstr(h, "href="));
		assert_non_null(strstr(h, "@media print"));
		assert_non_null(strstr(h, "<!DOCTYPE html>"));
		if (kind != EXCISE_FREPORT_DAY60 && kind != EXCISE_FREPORT_STATUS)
			assert_non_null(strstr(h, "&lt;script&gt;"));
		free(h);
	}
	excise_fleet_findings_free(f);
	excise_fleet_list_free(l);
}

static void test_json(void **state)
{
	(void)state;
	struct excise_fleet_list *l = list_new(true);
	struct excise_fleet_findings *f = findings_new(l);
	for (int kind = EXCISE_FREPORT_DAY30; kind <= EXCISE_FREPORT_FINDINGS; kind++) {
		char *j = render(kind, EXCISE_FREPORT_JSON, l, f, NULL, 0);
		json_error_t e;
		json_t *v = json_loads(j, 0, &e);
		assert_non_null(v);
		assert_null(strchr(j, '\x1b'));
		if (kind == EXCISE_FREPORT_HOSTS) {
			json_t *hosts = json_object_get(v, "hosts");
			assert_int_equal(json_array_size(hosts), l->n);
			bool seen = false;
			for (size_t i = 0; i < json_array_size(hosts); i++)
				seen |= !strcmp(json_string_value(json_object_get(json_array_get(hosts, i), "hostname")),
						"x'; DROP TABLE host; --");
			assert_true(seen);
			assert_int_equal(json_integer_value(json_object_get(json_object_get(v, "totals"), "rows")), l->n);
		}
		if (kind == EXCISE_FREPORT_DAY30) {
			assert_false(json_boolean_value(json_object_get(v, "none_found")));
			assert_int_equal(json_integer_value(json_object_get(v, "endpoints")), (N_HOSTILE + 1) / 2);
		}
		json_decref(v);
		free(j);
	}
	excise_fleet_findings_free(f);
	excise_fleet_list_free(l);
}

static void test_text_and_none_found(void **state)
{
	(void)state;
	struct excise_fleet_list *l = list_new(false);
	char *t = render(EXCISE_FREPORT_DAY30, EXCISE_FREPORT_TEXT, l, NULL, NULL, 0);
	assert_non_null(strstr(t, "None found. No product covered by BOD 17-01 was found on any of the 10 hosts"));
	assert_non_null(strstr(t, "does not cover the hosts not determined"));
	assert_non_null(strstr(t, "silent")); /* the host that never reported, listed */
	assert_null(strchr(t, '\x1b'));
	free(t);
	t = render(EXCISE_FREPORT_HOSTS, EXCISE_FREPORT_TEXT, l, NULL, NULL, 0);
	assert_null(strchr(t, '\x1b'));
	assert_non_null(strstr(t, "\\x1b[31mred"));
	assert_non_null(strstr(t, "\n11 hosts, never_reported 1, clean 10\n"));
	free(t);
	char *j = render(EXCISE_FREPORT_DAY30, EXCISE_FREPORT_JSON, l, NULL, NULL, 0);
	json_t *v = json_loads(j, 0, NULL);
	assert_non_null(v);
	assert_true(json_boolean_value(json_object_get(v, "none_found")));
	assert_int_equal(json_array_size(json_object_get(v, "products")), 0);
	json_decref(v);
	free(j);
	/* the kinds and formats that do not go together */
	free(render(EXCISE_FREPORT_DAY30, EXCISE_FREPORT_CSV, l, NULL, NULL, -EINVAL));
	free(render(EXCISE_FREPORT_HOSTS, EXCISE_FREPORT_HTML, l, NULL, NULL, -EINVAL));
	excise_fleet_list_free(l);
}

static char *write_tmp(const char *text)
{
	char *path = strdup("/tmp/test-freport-XXXXXX");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	FILE *f = fdopen(fd, "w");
	fputs(text, f);
	fclose(f);
	return path;
}

static void test_config(void **state)
{
	(void)state;
	struct excise_freport_config *c = NULL;
	struct excise_err err = { 0 };
	char *p = write_tmp("{\"schema\":\"excise.report-config/1\",\"agency\":\"<Dept>\",\"stale_days\":30,"
			    "\"contact\":{\"name\":\"Pat\"},\"far\":{\"contract_number\":\"=1+1\",\"order_numbers\":[\"A\",\"B\"]}}");
	assert_int_equal(excise_freport_config_read(p, &c, &err), 0);
	assert_int_equal(excise_freport_config_stale(c), 30 * DAY);
	size_t n_closed = 1;
	assert_null(excise_freport_config_closed(c, &n_closed)); /* none listed */
	assert_int_equal(n_closed, 0);
	/* the config's strings escaped in every format too */
	struct excise_fleet_list *l = list_new(true);
	struct excise_fleet_findings *f = findings_new(l);
	char *h = render(EXCISE_FREPORT_DAY60, EXCISE_FREPORT_HTML, l, f, c, 0);
	assert_non_null(strstr(h, "&lt;Dept&gt;"));
	free(h);
	char *far = render(EXCISE_FREPORT_FAR, EXCISE_FREPORT_JSON, l, f, c, 0);
	json_t *v = json_loads(far, 0, NULL);
	assert_string_equal(json_string_value(json_object_get(json_object_get(v, "contract"), "contract_number")), "=1+1");
	assert_int_equal(json_array_size(json_object_get(json_object_get(v, "contract"), "order_numbers")), 2);
	json_decref(v);
	free(far);
	excise_fleet_findings_free(f);
	excise_fleet_list_free(l);
	excise_freport_config_free(c);
	unlink(p);
	free(p);

	/* the organisation's closed days: the days business days skip besides the calendar's */
	p = write_tmp("{\"closed_days\":[\"2025-01-20\",\"2026-12-24\"]}");
	assert_int_equal(excise_freport_config_read(p, &c, &err), 0);
	const int64_t *closed = excise_freport_config_closed(c, &n_closed);
	assert_int_equal(n_closed, 2);
	assert_int_equal(closed[0], 1737331200); /* 2025-01-20 00:00 UTC */
	assert_int_equal(closed[1], 1798070400); /* 2026-12-24 */
	excise_freport_config_free(c);
	unlink(p);
	free(p);
	/* at most EXCISE_MAX_FREPORT_CLOSED_DAYS (1000) */
	for (int k = 1000; k <= 1001; k++) {
		char *txt = malloc(16 * 1001 + 32);
		size_t o = (size_t)sprintf(txt, "{\"closed_days\":[");
		for (int i = 0; i < k; i++)
			o += (size_t)sprintf(txt + o, "%s\"2026-01-02\"", i ? "," : "");
		strcpy(txt + o, "]}");
		p = write_tmp(txt);
		c = NULL;
		err = (struct excise_err){ 0 };
		assert_int_equal(excise_freport_config_read(p, &c, &err) < 0, k > 1000);
		if (k > 1000)
			assert_non_null(strstr(err.msg, "/closed_days"));
		excise_freport_config_free(c);
		unlink(p);
		free(p);
		free(txt);
	}

	static const struct {
		const char *text, *want;
	} bad[] = {
		{ "{\"closed_days\":[\"2026-12-24\",\"2026-13-01\"]}", "/closed_days: item 1: expected a date" },
		{ "{\"closed_days\":[20261224]}", "/closed_days: item 0: expected a date" },
		{ "{\"closed_days\":\"2026-12-24\"}", "/closed_days" },
		{ "{\"agnecy\":\"x\"}", "unknown member 'agnecy'" },
		{ "{\"far\":{\"contract_number\":1}}", "/far/contract_number: expected a string" },
		{ "{\"contact\":{\"mail\":\"x\"}}", "/contact: unknown member 'mail'" },
		{ "{\"stale_days\":0}", "/stale_days" },
		{ "{\"schema\":\"excise.report-config/9\"}", "/schema" },
		{ "{\"agency\":\"a\",\"agency\":\"b\"}", "agency" },
		{ "[1]", "" },
		{ "{", "" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		p = write_tmp(bad[i].text);
		c = NULL;
		err = (struct excise_err){ 0 };
		assert_true(excise_freport_config_read(p, &c, &err) < 0);
		assert_null(c);
		assert_non_null(strstr(err.msg, "report config '"));
		assert_non_null(strstr(err.msg, p));
		if (!strstr(err.msg, bad[i].want))
			fail_msg("%s: %s", bad[i].text, err.msg);
		unlink(p);
		free(p);
	}
	/* a file over the limit; a file that is not there */
	char *big = malloc((1u << 20) + 16);
	memset(big, ' ', (1u << 20) + 15);
	big[(1u << 20) + 15] = 0;
	big[0] = '{';
	big[(1u << 20) + 14] = '}';
	p = write_tmp(big);
	free(big);
	assert_int_equal(excise_freport_config_read(p, &c, &err), -EXCISE_E_TOOBIG);
	unlink(p);
	free(p);
	assert_int_equal(excise_freport_config_read("/nonexistent/config.json", &c, &err), -ENOENT);
	assert_non_null(strstr(err.msg, "/nonexistent/config.json"));
}

/* An expected host whose name matches two enrolled hosts is listed as such (fleet.c
 * keeps it unjoined): in the text's hosts not determined and in the JSON. */
static void test_expected_ambiguous(void **state)
{
	(void)state;
	struct excise_fleet_list *l = list_new(false);
	struct excise_fleet_host *h = &l->rows[l->n - 1];
	free(h->host_id);
	h->host_id = NULL;
	h->facts.enrolled = false;
	h->expected_matches = 2;
	assert_int_equal(excise_fleet_count(l), 0);
	char *txt = render(EXCISE_FREPORT_DAY30, EXCISE_FREPORT_TEXT, l, NULL, NULL, 0);
	assert_non_null(strstr(txt, "(expected; its name matches 2 enrolled hosts: ambiguous, not joined)"));
	free(txt);
	char *js = render(EXCISE_FREPORT_DAY30, EXCISE_FREPORT_JSON, l, NULL, NULL, 0);
	assert_non_null(strstr(js, "\"expected_matches\": 2"));
	free(js);
	js = render(EXCISE_FREPORT_HOSTS, EXCISE_FREPORT_JSON, l, NULL, NULL, 0);
	assert_non_null(strstr(js, "\"expected_matches\":2"));
	free(js);
	excise_fleet_list_free(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_html_escape),
		cmocka_unit_test(test_csv),
		cmocka_unit_test(test_html),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_text_and_none_found),
		cmocka_unit_test(test_config),
		cmocka_unit_test(test_expected_ambiguous),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
