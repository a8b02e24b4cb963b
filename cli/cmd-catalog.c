/* SPDX-License-Identifier: Apache-2.0 */
/* excise catalog: lint, show, keygen, sign and verify vendor catalogs. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"

static void usage(FILE *out)
{
	fputs("usage: excise catalog VERB [OPTIONS]\n\n"
	      "verbs:\n"
	      "  lint [FILE]                      check a catalog (default: the embedded one);\n"
	      "                                   the signature is not checked\n"
	      "  show [--format text|json]        list vendors, products, directives, indicators\n"
	      "       [--catalog FILE --trusted-key KEY]\n"
	      "  keygen -p PUB -s SEC             make an unencrypted minisign key pair\n"
	      "  sign -s SEC [-t COMMENT] [-x SIG] FILE\n"
	      "                                   write FILE.minisig (minisign -S format)\n"
	      "  verify -p PUB [-x SIG] FILE      check the signature and the catalog content\n\n"
	      "`excise catalog VERB --help` for the options of each.\n",
	      out);
}

/* Exit status for a library failure: refused content is 3, a system error 2. */
static int exit_for(int r)
{
	return r <= -1000 && r != -EXCISE_E_USAGE ? EXIT_CATALOG : EXIT_ERROR;
}

/* ---- lint ---- */

static int verb_lint(struct cli_run *run, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "catalog", required_argument, NULL, OPT_CATALOG },
		{ 0 },
	};
	const char *file = NULL;
	int c;
	while ((c = cli_getopt(run, argc, argv, NULL, opts)) != -1) {
		if (c != OPT_CATALOG)
			return run->exit;
		file = optarg;
	}
	if (optind < argc)
		file = argv[optind++];
	if (optind < argc) {
		cli_usage_error(run, "one catalog FILE at most, not also '%s'", argv[optind]);
		return EXIT_ERROR;
	}
	struct excise_err err = { 0 };
	char **problems = NULL;
	const char *label = file ? file : "<embedded>";
	int r = file ? excise_catalog_lint_file(file, &run->catalog, &problems, &err)
		     : excise_catalog_load_embedded(&run->catalog, &err);
	if (r < 0) {
		/* every problem of the content, then the last error when it is another */
		size_t n = 0;
		for (; problems && problems[n]; n++)
			cli_error("%s", problems[n]);
		if (!n || strcmp(problems[n - 1], err.msg) != 0) /* the library's "'FILE': why" names no kind */
			cli_error("%s%s", err.msg[0] == '\'' ? "catalog " : "", err.msg);
		if (n)
			printf("%s: %zu problem%s\n", label, n, n == 1 ? "" : "s");
		excise_strv_free(problems);
		return exit_for(r);
	}
	excise_strv_free(problems);
	problems = NULL;
	const struct excise_catalog *cat = run->catalog;
	r = excise_catalog_lint(cat, &problems);
	if (r < 0) {
		cli_error("catalog '%s': lint failed: %s", label, excise_strerror(r));
		return EXIT_ERROR;
	}
	for (size_t i = 0; problems && problems[i]; i++)
		excise_text_printf(stdout, "%s: %s\n", label, problems[i]);
	if (r == 0)
		printf("%s: catalog %s version %s: OK (%zu vendors, %zu products, %zu indicators, "
		       "%zu directives)\n",
		       label, excise_catalog_id(cat), excise_catalog_version(cat),
		       excise_catalog_n_vendors(cat), excise_catalog_n_products(cat),
		       excise_catalog_n_indicators(cat), excise_catalog_n_directives(cat));
	else
		printf("%s: %d problem%s\n", label, r, r == 1 ? "" : "s");
	excise_strv_free(problems);
	return r == 0 ? EXIT_CLEAN : EXIT_CATALOG;
}

/* ---- show ---- */

static void count_kinds(const struct excise_catalog *cat, size_t counts[_EXCISE_OBS_KIND_MAX])
{
	memset(counts, 0, sizeof(size_t) * _EXCISE_OBS_KIND_MAX);
	for (size_t i = 0; i < excise_catalog_n_indicators(cat); i++) {
		const struct excise_indicator *in = excise_catalog_indicator(cat, i);
		if ((unsigned)in->kind < _EXCISE_OBS_KIND_MAX)
			counts[in->kind]++;
	}
}

static void print_list(const char *const *v)
{
	for (size_t i = 0; v && v[i]; i++)
		printf("%s%s", i ? ", " : "", v[i]);
}

static void show_text(const struct excise_catalog *cat)
{
	bool file = excise_catalog_origin(cat) == EXCISE_CATALOG_FILE;
	printf("catalog %s version %s (%s", excise_catalog_id(cat), excise_catalog_version(cat),
	       file ? "file " : "embedded");
	if (file)
		printf("%s, key ID %s", excise_catalog_path(cat), excise_catalog_key_id(cat));
	printf(")\nsha256 %s\n", excise_catalog_sha256(cat));

	size_t n = excise_catalog_n_vendors(cat);
	printf("\nvendors (%zu):\n", n);
	for (size_t i = 0; i < n; i++) {
		const struct excise_vendor *v = excise_catalog_vendor(cat, i);
		printf("  %-14s %s", v->id, v->name);
		if (v->country)
			printf(" (%s)", v->country);
		putchar('\n');
	}
	n = excise_catalog_n_products(cat);
	int w = 14;
	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(excise_catalog_product(cat, i)->id);
		if (l > (size_t)w && l < 40)
			w = (int)l;
	}
	printf("\nproducts (%zu):\n", n);
	for (size_t i = 0; i < n; i++) {
		const struct excise_product *p = excise_catalog_product(cat, i);
		printf("  %-*s %s [%s; ", w, p->id, p->name, p->family ? p->family : "-");
		print_list(p->platforms);
		printf("]%s\n", p->branded ? "" : " (not branded)");
	}
	n = excise_catalog_n_directives(cat);
	printf("\ndirectives (%zu):\n", n);
	for (size_t i = 0; i < n; i++) {
		const struct excise_directive *d = excise_catalog_directive(cat, i);
		printf("  %-14s %s: %s (%s, issued %s; vendors: ", d->id, d->short_name, d->title,
		       d->issuer, d->issued);
		print_list(d->vendors);
		printf(")\n");
	}
	size_t counts[_EXCISE_OBS_KIND_MAX];
	count_kinds(cat, counts);
	printf("\nindicators (%zu):\n", excise_catalog_n_indicators(cat));
	for (int k = 0; k < _EXCISE_OBS_KIND_MAX; k++)
		if (counts[k])
			printf("  %-14s %zu\n", excise_obs_kind_name(k), counts[k]);
}

static json_t *json_strv(const char *const *v)
{
	json_t *a = json_array();
	for (size_t i = 0; a && v && v[i]; i++)
		json_array_append_new(a, json_string(v[i]));
	return a;
}

/* json_string that turns NULL into null. */
static json_t *json_str(const char *s)
{
	return s ? json_string(s) : json_null();
}

static int show_json(const struct excise_catalog *cat)
{
	bool file = excise_catalog_origin(cat) == EXCISE_CATALOG_FILE;
	json_t *root = json_object(), *meta = json_object(), *vendors = json_array(),
	       *products = json_array(), *directives = json_array(), *kinds = json_object();
	if (!root || !meta || !vendors || !products || !directives || !kinds) {
		json_decref(root);
		json_decref(meta);
		json_decref(vendors);
		json_decref(products);
		json_decref(directives);
		json_decref(kinds);
		cli_error("out of memory");
		return EXIT_ERROR;
	}
	json_object_set_new(root, "catalog", meta);
	json_object_set_new(meta, "id", json_str(excise_catalog_id(cat)));
	json_object_set_new(meta, "version", json_str(excise_catalog_version(cat)));
	json_object_set_new(meta, "origin", json_string(file ? "file" : "embedded"));
	json_object_set_new(meta, "sha256", json_str(excise_catalog_sha256(cat)));
	if (file) {
		json_object_set_new(meta, "path", json_str(excise_catalog_path(cat)));
		json_object_set_new(meta, "key_id", json_str(excise_catalog_key_id(cat)));
	}
	json_object_set_new(root, "vendors", vendors);
	for (size_t i = 0; i < excise_catalog_n_vendors(cat); i++) {
		const struct excise_vendor *v = excise_catalog_vendor(cat, i);
		json_array_append_new(vendors,
				      json_pack("{s:o, s:o, s:o, s:o, s:o}", "id", json_str(v->id),
						"name", json_str(v->name), "country", json_str(v->country),
						"aliases", json_strv(v->aliases), "subsidiaries",
						json_strv(v->subsidiaries)));
	}
	json_object_set_new(root, "products", products);
	for (size_t i = 0; i < excise_catalog_n_products(cat); i++) {
		const struct excise_product *p = excise_catalog_product(cat, i);
		json_array_append_new(products,
				      json_pack("{s:o, s:o, s:o, s:o, s:o, s:b}", "id", json_str(p->id),
						"vendor", json_str(p->vendor_id), "name", json_str(p->name),
						"family", json_str(p->family), "platforms",
						json_strv(p->platforms), "branded", (int)p->branded));
	}
	json_object_set_new(root, "directives", directives);
	for (size_t i = 0; i < excise_catalog_n_directives(cat); i++) {
		const struct excise_directive *d = excise_catalog_directive(cat, i);
		json_array_append_new(directives,
				      json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "id",
						json_str(d->id), "short_name", json_str(d->short_name),
						"title", json_str(d->title), "issuer", json_str(d->issuer),
						"issued", json_str(d->issued), "scope", json_str(d->scope),
						"vendors", json_strv(d->vendors)));
	}
	size_t counts[_EXCISE_OBS_KIND_MAX];
	count_kinds(cat, counts);
	for (int k = 0; k < _EXCISE_OBS_KIND_MAX; k++)
		if (counts[k])
			json_object_set_new(kinds, excise_obs_kind_name(k), json_integer((json_int_t)counts[k]));
	json_object_set_new(root, "indicators",
			    json_pack("{s:I, s:o}", "total",
				      (json_int_t)excise_catalog_n_indicators(cat), "by_kind", kinds));
	int r = json_dumpf(root, stdout, JSON_INDENT(2) | JSON_SORT_KEYS);
	json_decref(root);
	if (r < 0 || fputc('\n', stdout) == EOF) {
		cli_error("cannot write the JSON summary");
		return EXIT_ERROR;
	}
	return EXIT_CLEAN;
}

static int verb_show(struct cli_run *run, int argc, char **argv)
{
	if (cli_getopt(run, argc, argv, "f:", NULL) != -1)
		return run->exit;
	if (optind < argc) {
		cli_usage_error(run, "unexpected argument '%s'", argv[optind]);
		return EXIT_ERROR;
	}
	int ret = cli_load_catalog(run);
	if (ret != 0)
		return ret;
	if (run->format == 1) /* json */
		return show_json(run->catalog);
	show_text(run->catalog);
	return fflush(stdout) == 0 ? EXIT_CLEAN : EXIT_ERROR;
}

/* ---- keygen, sign, verify ---- */

static int verb_keygen(struct cli_run *run, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "public-key", required_argument, NULL, 'p' },
		{ "secret-key", required_argument, NULL, 's' },
		{ 0 },
	};
	const char *pub = NULL, *sec = NULL;
	int c;
	while ((c = cli_getopt(run, argc, argv, "p:s:", opts)) != -1) {
		switch (c) {
		case 'p': pub = optarg; break;
		case 's': sec = optarg; break;
		default: return run->exit;
		}
	}
	if (!pub || !sec || optind < argc) {
		if (optind < argc)
			cli_usage_error(run, "unexpected argument '%s'", argv[optind]);
		else
			cli_usage_error(run, "-p PUB and -s SEC are needed");
		return EXIT_ERROR;
	}
	struct excise_err err = { 0 };
	if (excise_sig_keygen(pub, sec, &err) < 0) {
		cli_error("%s", err.msg);
		return EXIT_ERROR;
	}
	printf("public key written to %s\nsecret key written to %s (unencrypted: keep it secret)\n",
	       pub, sec);
	return EXIT_CLEAN;
}

static int verb_sign(struct cli_run *run, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "secret-key", required_argument, NULL, 's' },
		{ "trusted-comment", required_argument, NULL, 't' },
		{ "signature", required_argument, NULL, 'x' },
		{ 0 },
	};
	const char *sec = NULL, *comment = NULL, *sig = NULL;
	int c;
	while ((c = cli_getopt(run, argc, argv, "s:t:x:", opts)) != -1) {
		switch (c) {
		case 's': sec = optarg; break;
		case 't': comment = optarg; break;
		case 'x': sig = optarg; break;
		default: return run->exit;
		}
	}
	if (!sec || optind + 1 != argc) {
		cli_usage_error(run, "%s", !sec ? "-s SEC is needed" : "one catalog FILE to sign");
		return EXIT_ERROR;
	}
	struct excise_err err = { 0 };
	if (excise_sig_sign_file(sec, argv[optind], sig, comment, &err) < 0) {
		cli_error("%s", err.msg);
		return EXIT_ERROR;
	}
	return EXIT_CLEAN;
}

static int verb_verify(struct cli_run *run, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "public-key", required_argument, NULL, 'p' },
		{ "trusted-key", required_argument, NULL, OPT_TRUSTED_KEY },
		{ "signature", required_argument, NULL, 'x' },
		{ 0 },
	};
	int c;
	while ((c = cli_getopt(run, argc, argv, "p:x:", opts)) != -1) {
		int taken = cli_catalog_opt(&run->catalog_opts, c == 'p' ? OPT_TRUSTED_KEY : c == 'x' ? OPT_CATALOG_SIG : c,
					    optarg);
		if (taken <= 0)
			return taken < 0 ? EXIT_ERROR : run->exit;
	}
	if (optind + 1 != argc) {
		cli_usage_error(run, "one catalog FILE to verify");
		return EXIT_ERROR;
	}
	run->catalog_opts.file = argv[optind];
	int ret = cli_load_catalog(run);
	if (ret != 0)
		return ret;
	printf("signature and catalog OK (key ID %s, catalog %s version %s)\n",
	       excise_catalog_key_id(run->catalog), excise_catalog_id(run->catalog),
	       excise_catalog_version(run->catalog));
	return EXIT_CLEAN;
}

/* The usage listing is usage(), with each verb's arguments: no summaries here. */
static const struct cli_verb verbs[] = {
	{ "lint", verb_lint,
	  "usage: excise catalog lint [FILE]\n\n"
	  "Parse FILE (or the embedded catalog) and report every problem, naming the\n"
	  "entry. The signature is not checked. Exit 0 when clean, 3 on problems.\n" },
	{ "show", verb_show,
	  "usage: excise catalog show [--format text|json] [--catalog FILE\n"
	  "                           --trusted-key KEY [--catalog-sig SIG]]\n\n"
	  "List the vendors, products, directives and indicator counts of the\n"
	  "embedded catalog, or of a signed catalog FILE.\n",
	  .catalog = true, .formats = (const char *const[]){ "text", "json", NULL } },
	{ "keygen", verb_keygen,
	  "usage: excise catalog keygen -p PUB -s SEC\n\n"
	  "Make an Ed25519 key pair in minisign's format: PUB is the public key to\n"
	  "hand to --trusted-key, SEC the unencrypted secret key (mode 0600). Existing\n"
	  "files are never overwritten.\n" },
	{ "sign", verb_sign,
	  "usage: excise catalog sign -s SEC [-t COMMENT] [-x SIG] FILE\n\n"
	  "Sign FILE with the unencrypted minisign secret key SEC, writing\n"
	  "FILE.minisig (or SIG): a prehashed signature that `minisign -V` accepts.\n" },
	{ "verify", verb_verify,
	  "usage: excise catalog verify -p PUB [-x SIG] FILE\n\n"
	  "Check that FILE carries a valid signature (FILE.minisig, or SIG) by the\n"
	  "public key PUB (a minisign .pub file or its base64 line; -p and\n"
	  "--trusted-key may repeat) and that its content is a valid catalog.\n"
	  "Exit 0 when both hold, 3 when either does not.\n" },
};

const struct cli_verbs cmd_catalog_verbs = {
	.parent = "catalog", .noun = "verb", .v = verbs, .n = sizeof(verbs) / sizeof(verbs[0]), .usage = usage,
};
