/* SPDX-License-Identifier: Apache-2.0 */
/* excise verify: rescan, keep the report and write an attestation (optionally
 * signed); excise verify --check: validate one. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

enum { OPT_ROOT = 0x2000, OPT_FULL, OPT_XDEV, OPT_RUN, OPT_REPORT, OPT_SIGN, OPT_CHECK, OPT_SIG };

static const struct option options[] = {
	{ "root", required_argument, NULL, OPT_ROOT },
	{ "full", no_argument, NULL, OPT_FULL },
	{ "xdev", no_argument, NULL, OPT_XDEV },
	{ "run", required_argument, NULL, OPT_RUN },
	{ "output", required_argument, NULL, 'o' },
	{ "report", required_argument, NULL, OPT_REPORT },
	{ "sign", required_argument, NULL, OPT_SIGN },
	{ "check", required_argument, NULL, OPT_CHECK },
	{ "signature", required_argument, NULL, OPT_SIG },
	{ "quiet", no_argument, NULL, 'q' },
	CLI_CATALOG_OPTIONS,
};

static void help(FILE *out)
{
	fputs("usage: excise verify [--root DIR] [--full] [--xdev] [--run RUN_DIR] [-o ATTESTATION]\n"
	      "                     [--report REPORT] [--sign SECKEY] [-q] [--catalog FILE --trusted-key KEY]\n"
	      "       excise verify --check ATTESTATION [--report REPORT] [--signature SIG] [--trusted-key KEY...]\n\n"
	      "Rescans this host (or the offline root DIR), keeps the full report and writes an\n"
	      "attestation (excise.attestation/1): host, time, catalog, every source and its\n"
	      "status, the findings (none when clean), the verdict and the report's sha256.\n\n"
	      "  --run RUN_DIR     the removal run being verified: named in the attestation, and\n"
	      "                    the default place for both files\n"
	      "  -o FILE           the attestation (default RUN_DIR/attestation.json, else\n"
	      "                    ./excise-attestation.json)\n"
	      "  --report FILE     where the report goes (default: beside the attestation,\n"
	      "                    NAME.report.json); with --check, the report to check against\n"
	      "  --sign SECKEY     sign the attestation with this minisign secret key (FILE.minisig)\n"
	      "  --check FILE      validate an attestation: its structure, its report when given,\n"
	      "                    and its signature when --trusted-key is given\n"
	      "  --signature SIG   the signature to check (default FILE.minisig)\n\n"
	      "exit status: 0 clean (or, with --check, a valid attestation of a clean host),\n"
	      "1 covered software found (or a valid attestation that is not clean),\n"
	      "2 error, incomplete rescan or invalid attestation, 3 catalog or signature refused\n",
	      out);
}

static int write_file(const char *path, const char *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(data, 1, len, f) != len || fflush(f) != 0 || fsync(fileno(f)) != 0) {
		cli_error("cannot write '%s': %s", path, strerror(errno));
		if (f)
			fclose(f);
		return EXIT_ERROR;
	}
	if (fclose(f) != 0) {
		cli_error("cannot write '%s': %s", path, strerror(errno));
		return EXIT_ERROR;
	}
	return 0;
}

/* "dir/name.json" -> "dir/name.report.json" */
static char *report_beside(const char *att)
{
	size_t n = strlen(att);
	size_t stem = n > 5 && !strcmp(att + n - 5, ".json") ? n - 5 : n;
	char *p = malloc(stem + sizeof(".report.json"));
	if (p) {
		memcpy(p, att, stem);
		strcpy(p + stem, ".report.json");
	}
	return p;
}

static int check(const char *att_path, const char *report_path, const char *sig_path,
		 const struct cli_catalog_opts *copts, bool quiet)
{
	char *att = NULL, *report = NULL, *sig = NULL, *sig_name = NULL;
	size_t att_len = 0, report_len = 0, sig_len = 0;
	int rc = cli_read_file(att_path, 16u << 20, &att, &att_len);
	if (!rc && report_path)
		rc = cli_read_file(report_path, 256u << 20, &report, &report_len);
	struct excise_attest_info info = { 0 };
	struct excise_err err = { 0 };
	if (!rc && excise_attest_check(att_path, att, att_len, report, report_len, &info, &err) < 0) {
		cli_error("%s", err.msg);
		rc = EXIT_ERROR;
	}
	char key_id[17] = "";
	if (!rc && copts->n_keys) {
		if (!sig_path && asprintf(&sig_name, "%s.minisig", att_path) < 0)
			sig_name = NULL;
		const char *sp = sig_path ? sig_path : sig_name;
		rc = sp ? cli_read_file(sp, 1u << 16, &sig, &sig_len) : EXIT_ERROR;
		if (rc)
			rc = EXIT_CATALOG; /* a signature was required */
		else if (excise_sig_verify(att, att_len, sig, sig_len, copts->keys, copts->n_keys, key_id, &err) < 0) {
			cli_error("attestation '%s': %s", att_path, err.msg);
			rc = EXIT_CATALOG;
		}
	}
	if (!rc) {
		if (!quiet) {
			printf("attestation %s: valid; host %s, rescanned %s, catalog %s: %s", att_path, info.hostname,
			       info.scanned, info.catalog_version, info.verdict);
			if (info.n_findings)
				printf(" (%zu finding%s)", info.n_findings, info.n_findings == 1 ? "" : "s");
			printf("%s%s%s\n", report ? "; report matches" : "", key_id[0] ? "; signed by key " : "",
			       key_id);
			if (!copts->n_keys)
				puts("signature not checked (no --trusted-key given)");
		}
		rc = strcmp(info.verdict, "clean") ? EXIT_FOUND : 0;
	}
	excise_attest_info_done(&info);
	free(att);
	free(report);
	free(sig);
	free(sig_name);
	return rc;
}

int cmd_verify(int argc, char **argv)
{
	struct cli_catalog_opts copts = { 0 };
	struct excise_scan_opts opts = { 0 };
	const char *out = NULL, *report_path = NULL, *sign = NULL, *check_path = NULL, *sig_path = NULL;
	char *run = NULL;
	bool quiet = false;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "o:qh", options, NULL)) != -1) {
		if (cli_catalog_opt(&copts, c, optarg))
			continue;
		switch (c) {
		case OPT_ROOT: opts.root = optarg; break;
		case OPT_FULL: opts.flags |= EXCISE_SCAN_FULL; break;
		case OPT_XDEV: opts.flags |= EXCISE_SCAN_XDEV; break;
		case OPT_RUN:
			/* a trailing slash (shell completion) does not change the directory */
			run = optarg;
			for (size_t n = strlen(run); n > 1 && run[n - 1] == '/'; n--)
				run[n - 1] = '\0';
			break;
		case 'o': out = optarg; break;
		case OPT_REPORT: report_path = optarg; break;
		case OPT_SIGN: sign = optarg; break;
		case OPT_CHECK: check_path = optarg; break;
		case OPT_SIG: sig_path = optarg; break;
		case 'q': quiet = true; break;
		default:
			return cli_help_exit(c, help, &copts);
		}
	}
	if (optind < argc) {
		cli_error("verify: unexpected argument '%s'", argv[optind]);
		cli_catalog_opts_done(&copts);
		return EXIT_ERROR;
	}
	if (check_path) {
		int rc = check(check_path, report_path, sig_path, &copts, quiet);
		cli_catalog_opts_done(&copts);
		return rc;
	}

	struct excise_catalog *cat = NULL;
	int rc = cli_load_catalog(&copts, &cat);
	cli_catalog_opts_done(&copts);
	if (rc)
		return rc;
	/* the run id is the last component of the run directory */
	const char *run_id = NULL;
	char *att_path = NULL, *rep_path = NULL;
	if (run) {
		const char *s = strrchr(run, '/');
		run_id = s && s[1] ? s + 1 : s ? NULL : run;
		if (!run_id || access(run, W_OK) != 0) {
			cli_error("--run '%s': not a writable run directory", run);
			excise_catalog_free(cat);
			return EXIT_ERROR;
		}
	}
	if (out)
		att_path = strdup(out);
	else if (run ? asprintf(&att_path, "%s/attestation.json", run) < 0 : !(att_path = strdup("excise-attestation.json")))
		att_path = NULL;
	rep_path = report_path ? strdup(report_path) : att_path ? report_beside(att_path) : NULL;
	if (!att_path || !rep_path) {
		cli_error("out of memory");
		free(att_path);
		free(rep_path);
		excise_catalog_free(cat);
		return EXIT_ERROR;
	}

	struct excise_scan *scan = NULL;
	struct excise_err err = { 0 };
	char *report = NULL, *att = NULL;
	size_t report_len = 0;
	rc = 0;
	if (excise_scan_run(cat, &opts, &scan, &err) < 0) {
		cli_error("%s", err.msg);
		rc = EXIT_ERROR;
	}
	if (!rc) {
		FILE *m = open_memstream(&report, &report_len);
		int r = m ? excise_report_json(scan, m) : -ENOMEM;
		if (m && fclose(m) != 0 && r == 0)
			r = -EIO;
		if (r < 0) {
			cli_error("cannot make the report: %s", excise_strerror(r));
			rc = EXIT_ERROR;
		}
	}
	if (!rc)
		rc = write_file(rep_path, report, report_len);
	if (!rc && excise_attest_make(report, report_len, run_id, &att, &err) < 0) {
		cli_error("%s", err.msg);
		rc = EXIT_ERROR;
	}
	if (!rc)
		rc = write_file(att_path, att, strlen(att));
	if (!rc && sign) {
		char comment[256];
		const char *verdict = NULL;
		(void)excise_scan_verdict(scan, &verdict);
		snprintf(comment, sizeof(comment), "excise attestation: host %.64s, verdict %s",
			 scan->host.hostname ? scan->host.hostname : "?", verdict ? verdict : "?");
		if (excise_sig_sign_file(sign, att_path, NULL, comment, &err) < 0) {
			cli_error("%s", err.msg);
			rc = EXIT_CATALOG;
		}
	}
	if (!rc) {
		for (size_t i = 0; i < scan->n_sources; i++)
			if (scan->sources[i].status == EXCISE_SOURCE_FAILED)
				cli_error("source %s failed: %s", scan->sources[i].name,
					  scan->sources[i].error ? scan->sources[i].error : "unknown error");
		const char *verdict = NULL;
		rc = excise_scan_verdict(scan, &verdict);
		if (!quiet)
			printf("verify: %s: %zu finding%s; attestation %s%s, report %s\n", verdict ? verdict : "?",
			       excise_scan_count(scan, EXCISE_CONF_STRONG),
			       excise_scan_count(scan, EXCISE_CONF_STRONG) == 1 ? "" : "s", att_path,
			       sign ? " (signed)" : "", rep_path);
	}
	free(report);
	free(att);
	free(att_path);
	free(rep_path);
	excise_scan_free(scan);
	excise_catalog_free(cat);
	return rc;
}
