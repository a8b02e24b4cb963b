/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of the dpkg status parser (lib/parse/dpkg.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/buf.h"
#include "core/limits.h"
#include "parse/dpkg.h"

#define MAX_SEEN 8

/* What the callbacks saw: copies of the first MAX_SEEN packages, all error lines. */
struct seen {
	size_t n_pkgs;
	size_t n_errs;
	char *pkg[MAX_SEEN], *version[MAX_SEEN], *arch[MAX_SEEN], *state[MAX_SEEN], *want[MAX_SEEN];
	char *eflag[MAX_SEEN], *status[MAX_SEEN], *maint[MAX_SEEN], *desc[MAX_SEEN], *syn[MAX_SEEN];
	char *source[MAX_SEEN], *isize[MAX_SEEN], *conffiles[MAX_SEEN];
	size_t line[MAX_SEEN];
	size_t err_line[MAX_SEEN];
	int err_code[MAX_SEEN];
	char *err_msg[MAX_SEEN];
	int stop_after;  /* on_pkg returns -ECANCELED after this many, when > 0 */
};

static char *dup0(const char *s)
{
	return s ? strdup(s) : NULL;
}

static int on_pkg(void *ud, const struct dpkg_pkg *p)
{
	struct seen *s = ud;
	size_t i = s->n_pkgs++;
	assert_non_null(p->package);
	if (i < MAX_SEEN) {
		s->pkg[i] = dup0(p->package);
		s->version[i] = dup0(p->version);
		s->arch[i] = dup0(p->architecture);
		s->state[i] = dup0(p->state);
		s->want[i] = dup0(p->want);
		s->eflag[i] = dup0(p->eflag);
		s->status[i] = dup0(p->status);
		s->maint[i] = dup0(p->maintainer);
		s->desc[i] = dup0(p->description);
		s->syn[i] = dup0(p->synopsis);
		s->source[i] = dup0(p->source);
		s->isize[i] = dup0(p->installed_size);
		s->conffiles[i] = dup0(p->conffiles);
		s->line[i] = p->line;
	}
	if (s->stop_after > 0 && s->n_pkgs >= (size_t)s->stop_after)
		return -ECANCELED;
	return 0;
}

static int on_error(void *ud, int code, size_t line, const char *msg)
{
	struct seen *s = ud;
	size_t i = s->n_errs++;
	if (i < MAX_SEEN) {
		s->err_line[i] = line;
		s->err_code[i] = code;
		s->err_msg[i] = strdup(msg);
	}
	return 0;
}

static void seen_free(struct seen *s)
{
	for (size_t i = 0; i < MAX_SEEN; i++) {
		free(s->pkg[i]);
		free(s->version[i]);
		free(s->arch[i]);
		free(s->state[i]);
		free(s->want[i]);
		free(s->eflag[i]);
		free(s->status[i]);
		free(s->maint[i]);
		free(s->desc[i]);
		free(s->syn[i]);
		free(s->source[i]);
		free(s->isize[i]);
		free(s->conffiles[i]);
		free(s->err_msg[i]);
	}
	memset(s, 0, sizeof(*s));
}

static int parse(struct seen *s, const char *text, size_t len, struct excise_err *err)
{
	memset(err, 0, sizeof(*err));
	return dpkg_status_parse("status", text, len, on_pkg, on_error, s, err);
}

static const char good[] =
	"Package: kesl\n"
	"Status: install ok installed\n"
	"Priority: optional\n"
	"Section: misc\n"
	"Installed-Size: 1234567\n"
	"Maintainer: AO Kaspersky Lab <support@kaspersky.com>\n"
	"Architecture: amd64\n"
	"Version: 12.1.0-1191\n"
	"Conffiles:\n"
	" /etc/opt/kaspersky/kesl.conf 0123456789abcdef0123456789abcdef\n"
	"Description: Kaspersky Endpoint Security for Linux\n"
	" Protects the host.\n"
	" .\n"
	" Second paragraph.\n"
	"\n"
	"Package: klnagent64\n"
	"status: deinstall ok config-files\n"
	"VERSION: 15.0.0-12345\n"
	"Source: klnagent\n"
	"Description: Kaspersky Network Agent\n";

static void test_good(void **state)
{
	(void)state;
	struct seen s = { 0 };
	struct excise_err err;
	assert_int_equal(parse(&s, good, strlen(good), &err), 0);
	assert_int_equal(s.n_pkgs, 2);
	assert_int_equal(s.n_errs, 0);
	assert_string_equal(s.pkg[0], "kesl");
	assert_string_equal(s.version[0], "12.1.0-1191");
	assert_string_equal(s.arch[0], "amd64");
	assert_string_equal(s.status[0], "install ok installed");
	assert_string_equal(s.want[0], "install");
	assert_string_equal(s.eflag[0], "ok");
	assert_string_equal(s.state[0], "installed");
	assert_string_equal(s.maint[0], "AO Kaspersky Lab <support@kaspersky.com>");
	assert_string_equal(s.syn[0], "Kaspersky Endpoint Security for Linux");
	assert_string_equal(s.desc[0], "Kaspersky Endpoint Security for Linux\n Protects the host.\n"
				       " .\n Second paragraph.");
	assert_string_equal(s.isize[0], "1234567");
	assert_string_equal(s.conffiles[0],
			    "\n /etc/opt/kaspersky/kesl.conf 0123456789abcdef0123456789abcdef");
	assert_null(s.source[0]);
	assert_int_equal(s.line[0], 1);
	/* Field names ignore case; absent fields are NULL. */
	assert_string_equal(s.pkg[1], "klnagent64");
	assert_string_equal(s.version[1], "15.0.0-12345");
	assert_string_equal(s.state[1], "config-files");
	assert_string_equal(s.want[1], "deinstall");
	assert_string_equal(s.source[1], "klnagent");
	assert_string_equal(s.syn[1], "Kaspersky Network Agent");
	assert_null(s.arch[1]);
	assert_null(s.maint[1]);
	assert_int_equal(s.line[1], 16);
	seen_free(&s);
}

static void test_crlf_and_no_final_newline(void **state)
{
	(void)state;
	static const char text[] =
		"\r\n\r\n"
		"Package: a\r\n"
		"Status:   install   ok \t installed  \r\n"
		"Version: 1.0-1 \r\n"
		"Description: first line\r\n"
		" more\r\n"
		"\r\n"
		" \t \r\n"
		"\r\n"
		"Package: b\r\n"
		"Status: install ok unpacked\r\n"
		"Version: 2";
	struct seen s = { 0 };
	struct excise_err err;
	assert_int_equal(parse(&s, text, strlen(text), &err), 0);
	assert_int_equal(s.n_pkgs, 2);
	assert_string_equal(s.pkg[0], "a");
	assert_string_equal(s.status[0], "install ok installed");
	assert_string_equal(s.state[0], "installed");
	assert_string_equal(s.version[0], "1.0-1");
	assert_string_equal(s.desc[0], "first line\n more");
	assert_string_equal(s.syn[0], "first line");
	assert_int_equal(s.line[0], 3);
	assert_string_equal(s.pkg[1], "b");
	assert_string_equal(s.state[1], "unpacked");
	assert_string_equal(s.version[1], "2");
	assert_int_equal(s.line[1], 11);
	seen_free(&s);
}

static void test_empty(void **state)
{
	(void)state;
	struct seen s = { 0 };
	struct excise_err err;
	assert_int_equal(parse(&s, "", 0, &err), 0);
	assert_int_equal(dpkg_status_parse("status", NULL, 0, on_pkg, on_error, &s, &err), 0);
	assert_int_equal(parse(&s, "\n\n  \n\t\n", 6, &err), 0);
	assert_int_equal(s.n_pkgs, 0);
	assert_int_equal(s.n_errs, 0);
	seen_free(&s);
}

/* One corrupt stanza in the middle: the others still come out, the error names the line. */
static void test_corrupt_middle(void **state)
{
	(void)state;
	static const char text[] =
		"Package: first\n"                /* 1 */
		"Status: install ok installed\n"  /* 2 */
		"\n"                              /* 3 */
		"Package: broken\n"               /* 4 */
		"Status: install ok installed\n"  /* 5 */
		"this line has no colon\n"        /* 6 */
		"Version: 1\n"                    /* 7 */
		"\n"                              /* 8 */
		"Package: last\n"                 /* 9 */
		"Status: install ok installed\n"; /* 10 */
	struct seen s = { 0 };
	struct excise_err err;
	assert_int_equal(parse(&s, text, strlen(text), &err), 1);
	assert_int_equal(s.n_pkgs, 2);
	assert_string_equal(s.pkg[0], "first");
	assert_string_equal(s.pkg[1], "last");
	assert_int_equal(s.n_errs, 1);
	assert_int_equal(s.err_line[0], 6);
	assert_int_equal(s.err_code[0], -EXCISE_E_CORRUPT);
	assert_string_equal(s.err_msg[0],
			    "'status': line 6 (package 'broken'): field without a colon");
	seen_free(&s);

	/* Without an error callback the first bad stanza ends the parse. */
	memset(&err, 0, sizeof(err));
	int r = dpkg_status_parse("/var/lib/dpkg/status", text, strlen(text), on_pkg, NULL, &s, &err);
	assert_int_equal(r, -EXCISE_E_CORRUPT);
	assert_int_equal(err.code, -EXCISE_E_CORRUPT);
	assert_non_null(strstr(err.msg, "'/var/lib/dpkg/status': line 6"));
	assert_int_equal(s.n_pkgs, 1);
	seen_free(&s);
}

struct bad_case {
	const char *text;
	size_t len;    /* 0: strlen(text) */
	size_t line;
	const char *what;
};

static void test_bad_stanzas(void **state)
{
	(void)state;
	static const struct bad_case cases[] = {
		{ " leading continuation\nPackage: x\n", 0, 1, "continuation line before any field" },
		{ "# a comment\nPackage: x\n", 0, 1, "comment line" },
		{ "Package: x\n: empty\n", 0, 2, "empty field name" },
		{ "Package: x\nBad Name: y\n", 0, 2, "white space" },
		{ "Package: x\nVersion: 1\nversion: 2\n", 0, 3, "duplicate field 'Version'" },
		{ "Version: 1\nStatus: install ok installed\n", 0, 1, "without a Package field" },
		{ "Package: x\nStatus: install ok\n", 0, 2, "three words" },
		{ "Package: x\nStatus: install ok installed now\n", 0, 2, "three words" },
		{ "Package:\nVersion: 1\n", 0, 1, "empty Package field" },
		{ "Package: x\nVersion: 1\0\n", 23, 2, "NUL byte" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		/* Each bad stanza between two good ones. */
		struct buf b;
		buf_init(&b, 0);
		buf_adds(&b, "Package: good1\nStatus: install ok installed\n\n");
		size_t bad_first = 4;
		size_t n = cases[i].len ? cases[i].len : strlen(cases[i].text);
		buf_add(&b, cases[i].text, n);
		buf_adds(&b, "\nPackage: good2\nStatus: install ok installed\n");
		assert_int_equal(b.err, 0);
		struct seen s = { 0 };
		struct excise_err err;
		print_message("# case %zu: %s\n", i, cases[i].what);
		assert_int_equal(parse(&s, b.p, b.n, &err), 1);
		assert_int_equal(s.n_pkgs, 2);
		assert_string_equal(s.pkg[0], "good1");
		assert_string_equal(s.pkg[1], "good2");
		assert_int_equal(s.n_errs, 1);
		assert_int_equal(s.err_line[0], bad_first - 1 + cases[i].line);
		assert_non_null(strstr(s.err_msg[0], cases[i].what));
		seen_free(&s);
		buf_done(&b);
	}
}

static void test_callback_stops(void **state)
{
	(void)state;
	struct seen s = { .stop_after = 1 };
	struct excise_err err;
	assert_int_equal(parse(&s, good, strlen(good), &err), -ECANCELED);
	assert_int_equal(err.code, -ECANCELED);
	assert_int_equal(s.n_pkgs, 1);
	seen_free(&s);
}

static void test_limit_status_size(void **state)
{
	(void)state;
	size_t len = (size_t)EXCISE_MAX_DPKG_STATUS_SIZE + 1;
	/* calloc'd pages stay untouched: the size is refused before any byte is read. */
	char *big = calloc(1, len);
	assert_non_null(big);
	struct seen s = { 0 };
	struct excise_err err;
	assert_int_equal(parse(&s, big, len, &err), -EXCISE_E_TOOBIG);
	assert_int_equal(err.code, -EXCISE_E_TOOBIG);
	assert_non_null(strstr(err.msg, "'status'"));
	assert_int_equal(s.n_pkgs, 0);
	free(big);
}

static void add_field_of(struct buf *b, const char *name, size_t n, bool folded)
{
	buf_adds(b, name);
	buf_adds(b, ": ");
	for (size_t i = 0; i < n; i++) {
		if (folded && i > 0 && i % 80 == 0)
			buf_adds(b, "\n ");
		buf_addc(b, 'x');
	}
	buf_addc(b, '\n');
}

static void test_limit_field_size(void **state)
{
	(void)state;
	for (int folded = 0; folded < 2; folded++) {
		struct buf b;
		buf_init(&b, 0);
		/* At the limit: accepted. */
		buf_adds(&b, "Package: atlimit\nStatus: install ok installed\n");
		add_field_of(&b, "Description", EXCISE_MAX_DPKG_FIELD_SIZE, false);
		/* One byte over, in a field we do not keep and in one we do. */
		buf_adds(&b, "\nPackage: over1\nStatus: install ok installed\n");
		add_field_of(&b, "X-Unknown", EXCISE_MAX_DPKG_FIELD_SIZE + 1, folded);
		buf_adds(&b, "\nPackage: over2\n");
		add_field_of(&b, "Description", EXCISE_MAX_DPKG_FIELD_SIZE + 1, folded);
		buf_adds(&b, "\nPackage: after\nStatus: install ok installed\n");
		assert_int_equal(b.err, 0);
		struct seen s = { 0 };
		struct excise_err err;
		assert_int_equal(parse(&s, b.p, b.n, &err), 2);
		assert_int_equal(s.n_pkgs, 2);
		assert_string_equal(s.pkg[0], "atlimit");
		assert_int_equal(strlen(s.desc[0]), EXCISE_MAX_DPKG_FIELD_SIZE);
		assert_string_equal(s.pkg[1], "after");
		assert_int_equal(s.n_errs, 2);
		assert_int_equal(s.err_code[0], -EXCISE_E_TOOBIG);
		assert_int_equal(s.err_code[1], -EXCISE_E_TOOBIG);
		assert_non_null(strstr(s.err_msg[0], "'X-Unknown' is longer than"));
		assert_non_null(strstr(s.err_msg[1], "(package 'over2')"));
		seen_free(&s);
		buf_done(&b);
	}
}

static void test_limit_packages(void **state)
{
	(void)state;
	struct buf b;
	buf_init(&b, 0);
	static const char st[] = "Package: p\nStatus: install ok installed\n\n";
	for (size_t i = 0; i < EXCISE_MAX_DPKG_PACKAGES; i++)
		buf_add(&b, st, sizeof(st) - 1);
	assert_int_equal(b.err, 0);
	struct seen s = { 0 };
	struct excise_err err;
	/* Exactly at the limit: fine. */
	assert_int_equal(parse(&s, b.p, b.n, &err), 0);
	assert_int_equal(s.n_pkgs, EXCISE_MAX_DPKG_PACKAGES);
	seen_free(&s);
	/* One more stanza (even a bad one) is refused; the earlier ones were delivered. */
	buf_adds(&b, "garbage\n");
	assert_int_equal(b.err, 0);
	assert_int_equal(parse(&s, b.p, b.n, &err), -EXCISE_E_LIMIT);
	assert_int_equal(err.code, -EXCISE_E_LIMIT);
	assert_non_null(strstr(err.msg, "more than"));
	assert_int_equal(s.n_pkgs, EXCISE_MAX_DPKG_PACKAGES);
	seen_free(&s);
	buf_done(&b);
}

static int collect_path(void *ud, const char *p, size_t len)
{
	struct buf *b = ud;
	buf_add(b, p, len);
	buf_adds(b, "|");
	return 0;
}

/* A package's file list: only absolute paths in normal form come through, and the
 * longest one allowed; everything an edited list could use to point elsewhere is skipped. */
static void test_list_paths(void **state)
{
	(void)state;
	static const char list[] = "/.\n/opt\n/opt/kaspersky\n/opt/kaspersky/kesl\n\n"
				   "relative/path\n/opt/../etc/shadow\n/opt/./x\n//etc\n/opt/kaspersky/\n"
				   "/opt/k\r\n/\n/opt/a..b\n/opt/.hidden\n/opt/x\0y\n/last";
	struct buf b;
	buf_init(&b, 1u << 20);
	assert_int_equal(dpkg_list_paths(list, sizeof(list) - 1, collect_path, &b), 0);

	assert_int_equal(b.err, 0);
	assert_string_equal(b.p, "/opt|/opt/kaspersky|/opt/kaspersky/kesl|/opt/a..b|/opt/.hidden|/last|");
	buf_done(&b);
	/* a path longer than the limit is skipped, one at the limit is not */
	struct buf l;
	buf_init(&l, 1u << 20);
	buf_adds(&l, "/");
	for (unsigned i = 1; i < EXCISE_MAX_DPKG_LIST_PATH; i++)
		buf_adds(&l, "a");
	buf_adds(&l, "\n/");
	for (unsigned i = 0; i < EXCISE_MAX_DPKG_LIST_PATH; i++)
		buf_adds(&l, "b");
	assert_int_equal(l.err, 0);
	buf_init(&b, 1u << 20);
	assert_int_equal(dpkg_list_paths(l.p, l.n, collect_path, &b), 0);
	assert_int_equal(b.n, EXCISE_MAX_DPKG_LIST_PATH + 1);
	buf_done(&b);
	buf_done(&l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_crlf_and_no_final_newline),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_corrupt_middle),
		cmocka_unit_test(test_bad_stanzas),
		cmocka_unit_test(test_callback_stops),
		cmocka_unit_test(test_limit_status_size),
		cmocka_unit_test(test_limit_field_size),
		cmocka_unit_test(test_limit_packages),
		cmocka_unit_test(test_list_paths),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
