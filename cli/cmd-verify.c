/* SPDX-License-Identifier: Apache-2.0 */
/* excise verify: rescan, keep the report and write an attestation (optionally
 * signed); excise verify --check: validate one. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

enum { OPT_RUN = OPT_VERB, OPT_REPORT, OPT_SIGN, OPT_CHECK, OPT_SIG, OPT_ALLOW_UNSIGNED, OPT_RUNS_DIR };

static const struct option options[] = {
	{ "run", required_argument, NULL, OPT_RUN },
	{ "output", required_argument, NULL, 'o' },
	{ "report", required_argument, NULL, OPT_REPORT },
	{ "sign", required_argument, NULL, OPT_SIGN },
	{ "check", required_argument, NULL, OPT_CHECK },
	{ "signature", required_argument, NULL, OPT_SIG },
	{ "allow-unsigned", no_argument, NULL, OPT_ALLOW_UNSIGNED },
	{ "runs-dir", required_argument, NULL, OPT_RUNS_DIR },
	{ 0 },
};

const char cmd_verify_help[] =
	"usage: excise verify [--root DIR] [--full] [--xdev] [--threads N] [--only SOURCE,...]\n"
	"                     [--run RUN_DIR [--runs-dir DIR]] [-o ATTESTATION]\n"
	"                     [--report REPORT] [--sign SECKEY] [-q] [--catalog FILE --trusted-key KEY]\n"
	"       excise verify --check ATTESTATION [--report REPORT] [--signature SIG]\n"
	"                     (--trusted-key KEY... | --allow-unsigned)\n\n"
	"Rescans this host (or the offline root DIR; with --run, the run must record that root),\n"
	"keeps the full report and writes an\n"
	"attestation (excise.attestation/1): host, time, catalog, every source and its\n"
	"status, the findings (none when clean), the verdict and the report's sha256.\n\n"
	"  --root DIR, --full, --xdev, --threads N, --only LIST\n"
	"                    the rescan's options, as for excise scan\n"
	"  --run RUN_DIR     the removal run being verified: it must record the root rescanned\n"
	"                    (--root, none: this host) and lie in the runs folder, outside that\n"
	"                    root; it is named in the attestation, and its directory is the\n"
	"                    default place for both files (made there, never through a link)\n"
	"  --runs-dir DIR    the folder the run directory is in (default /var/lib/excise/runs)\n"
	"  -o FILE           the attestation (default RUN_DIR/attestation.json, else\n"
	"                    ./excise-attestation.json)\n"
	"  --report FILE     where the report goes (default: beside the attestation,\n"
	"                    NAME.report.json); with --check, the report to check against\n"
	"  --sign SECKEY     sign the attestation with this minisign secret key (FILE.minisig)\n"
	"  --check FILE      validate an attestation: its structure, its report when given,\n"
	"                    and its signature, which --trusted-key requires\n"
	"  --signature SIG   the signature to check (default FILE.minisig)\n"
	"  --allow-unsigned  with --check and no --trusted-key: accept an attestation whose\n"
	"                    signature is not checked (otherwise refused: exit 3)\n\n"
	"exit status: 0 clean (or, with --check, a valid attestation of a clean host),\n"
	"1 covered software found (or a valid attestation that is not clean),\n"
	"2 error, incomplete rescan or invalid attestation, 3 catalog or signature refused,\n"
	"or (--check) a signature missing or not checked\n";

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
		 const struct cli_catalog_opts *copts, bool allow_unsigned, bool quiet)
{
	char *att = NULL, *report = NULL, *sig = NULL, *sig_name = NULL;
	size_t att_len = 0, report_len = 0, sig_len = 0;
	int rc = cli_read_file("attestation", att_path, EXCISE_MAX_ATTEST_SIZE, &att, &att_len);
	if (!rc && report_path)
		rc = cli_read_file("report", report_path, EXCISE_MAX_REPORT_SIZE, &report, &report_len);
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
		rc = sp ? cli_read_file("signature", sp, EXCISE_MAX_SIGFILE_SIZE, &sig, &sig_len) : EXIT_ERROR;
		if (rc) {
			/* a signature was required */
			cli_error("attestation '%s': unsigned (no signature '%s'): refused", att_path, sp ? sp : "?");
			rc = EXIT_CATALOG;
		}
		else if (excise_sig_verify(att, att_len, sig, sig_len, copts->keys, copts->n_keys, key_id, &err) < 0) {
			cli_error("attestation '%s': %s", att_path, err.msg);
			rc = EXIT_CATALOG;
		}
	}
	if (!rc && !copts->n_keys && !allow_unsigned) {
		cli_error("attestation '%s': unsigned or unchecked: no --trusted-key given; its content is "
			  "well-formed (%s), but nothing proves who made it (--allow-unsigned accepts that)",
			  att_path, info.verdict);
		rc = EXIT_CATALOG;
	}
	if (!rc) {
		if (!quiet) {
			excise_text_printf(stdout, "attestation %s: valid; host %s, rescanned %s, catalog %s: %s", att_path,
					   info.hostname, info.scanned, info.catalog_version, info.verdict);
			if (info.n_findings)
				printf(" (%zu finding%s)", info.n_findings, info.n_findings == 1 ? "" : "s");
			excise_text_printf(stdout, "%s%s%s\n", report ? "; report matches" : "",
					   key_id[0] ? "; signed by key " : "", key_id);
			if (!copts->n_keys)
				puts("unsigned or unchecked: no --trusted-key given, accepted by --allow-unsigned");
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

/* The attestation's path and its report's from -o, --report and --run; EXIT_ERROR (said) or 0. */
static int paths(const char *run, const char *out, const char *report_path, char **ret_att, char **ret_rep)
{
	char *att = NULL, *rep = NULL;
	if (out)
		att = strdup(out);
	else if (run ? asprintf(&att, "%s/attestation.json", run) < 0 : !(att = strdup("excise-attestation.json")))
		att = NULL;
	rep = report_path ? strdup(report_path) : att ? report_beside(att) : NULL;
	if (!att || !rep) {
		cli_error("out of memory");
		free(att);
		free(rep);
		return EXIT_ERROR;
	}
	*ret_att = att;
	*ret_rep = rep;
	return 0;
}

/* Where an output goes: `path`, or, when dir_fd >= 0, the name `name` in the run
 * directory dir_fd (made there exclusively and renamed into place, never through a
 * link planted in it). */
struct dest {
	const char *path;
	int dir_fd;
	const char *dir, *name;
};

/* Write `len` bytes into a new output file for `d` (not yet in place); EXIT_ERROR (said) or 0. */
static int stage(const struct dest *d, const char *data, size_t len, struct excise_output **ret)
{
	struct excise_err err = { 0 };
	FILE *f;
	const char *path = d->path;
	int r = d->dir_fd >= 0 ? excise_output_open_at(d->dir_fd, d->dir, d->name, 0666, ret, &f, &err) :
				 excise_output_open(path, 0666, ret, &f, &err);
	if (r < 0) {
		cli_error("%s", err.msg);
		return EXIT_ERROR;
	}
	if (fwrite(data, 1, len, f) != len) {
		cli_error("cannot write '%s': %s", path, strerror(errno));
		excise_output_abort(*ret);
		*ret = NULL;
		return EXIT_ERROR;
	}
	return 0;
}

/* The rescan's report, kept at `rep_path`, and its attestation at `att_path`, signed with `sign`.
 * The three files appear together, after the signature was made, or none of them does. */
/* The signature of the staged attestation `att_out`, into `sig_path` (a path), or,
 * for an attestation in a run directory, through a new name of its own there
 * renamed into place; 0, or EXIT_CATALOG with the message in err. */
static int sign_att(const char *sign, const struct excise_output *att_out, const struct dest *att, const char *sig_path,
		    const char *comment, struct excise_err *err)
{
	if (att->dir_fd < 0)
		return excise_sig_sign_file(sign, excise_output_tmp_path(att_out), sig_path, comment, err) < 0 ?
		       EXIT_CATALOG : 0;
	char name[64], *text = NULL;
	size_t len = 0;
	snprintf(name, sizeof(name), "%.40s.minisig", att->name);
	if (excise_sig_sign_text(sign, excise_output_tmp_path(att_out), comment, &text, &len, err) < 0)
		return EXIT_CATALOG;
	struct excise_output *o = NULL;
	FILE *f = NULL;
	int r = excise_output_open_at(att->dir_fd, att->dir, name, 0644, &o, &f, err);
	if (r == 0 && fwrite(text, 1, len, f) != len) {
		snprintf(err->msg, sizeof(err->msg), "cannot write '%s': %s", sig_path, strerror(errno));
		excise_output_abort(o);
		r = -1;
	} else if (r == 0)
		r = excise_output_commit(o, err);
	free(text);
	return r < 0 ? EXIT_CATALOG : 0;
}

static int attest(const struct excise_scan *scan, const char *run_id, const struct dest *att_d,
		  const struct dest *rep_d, const char *sign)
{
	const char *att_path = att_d->path;
	struct excise_err err = { 0 };
	struct excise_output *rep_out = NULL, *att_out = NULL;
	char *report = NULL, *att = NULL, *sig_path = NULL;
	size_t report_len = 0;
	FILE *m = open_memstream(&report, &report_len);
	int r = m ? excise_report_json(scan, m) : -ENOMEM;
	int rc = 0;
	if (m && fclose(m) != 0 && r == 0)
		r = -EIO;
	if (r < 0) {
		cli_error("cannot make the report: %s", excise_strerror(r));
		rc = EXIT_ERROR;
	}
	if (!rc && excise_attest_make(report, report_len, run_id, &att, &err) < 0) {
		cli_error("%s", err.msg);
		rc = EXIT_ERROR;
	}
	if (!rc)
		rc = stage(rep_d, report, report_len, &rep_out);
	if (!rc)
		rc = stage(att_d, att, strlen(att), &att_out);
	/* the attestation is signed before it is in place: an unusable key leaves no file */
	if (!rc && sign) {
		char comment[256];
		const char *verdict = NULL;
		(void)excise_scan_verdict(scan, &verdict);
		/* minisign shows the trusted comment on a terminal: the image's hostname escaped */
		char *host = excise_text_escape(scan->host.hostname ? scan->host.hostname : "?", 0);
		snprintf(comment, sizeof(comment), "excise attestation: host %.64s, verdict %s", host ? host : "?",
			 verdict ? verdict : "?");
		free(host);
		if (asprintf(&sig_path, "%s.minisig", att_path) < 0) {
			sig_path = NULL;
			cli_error("out of memory");
			rc = EXIT_ERROR;
		} else if (fflush(NULL) != 0 || sign_att(sign, att_out, att_d, sig_path, comment, &err) != 0) {
			cli_error("%s", err.msg[0] ? err.msg : "cannot write the attestation");
			free(sig_path);
			sig_path = NULL;
			rc = EXIT_CATALOG;
		}
	}
	if (!rc) {
		r = excise_output_commit(att_out, &err);
		att_out = NULL;
		if (r < 0) {
			cli_error("%s", err.msg);
			rc = EXIT_ERROR;
		}
	}
	if (!rc) {
		r = excise_output_commit(rep_out, &err);
		rep_out = NULL;
		if (r < 0) {
			cli_error("%s", err.msg);
			if (att_d->dir_fd >= 0)
				unlinkat(att_d->dir_fd, att_d->name, 0);
			else
				unlink(att_path);
			rc = EXIT_ERROR;
		}
	}
	if (rc && sig_path && att_d->dir_fd >= 0) {
		char name[64];
		snprintf(name, sizeof(name), "%.40s.minisig", att_d->name);
		unlinkat(att_d->dir_fd, name, 0);
	} else if (rc && sig_path)
		unlink(sig_path);
	excise_output_abort(att_out);
	excise_output_abort(rep_out);
	free(sig_path);
	free(report);
	free(att);
	return rc;
}

int cmd_verify(struct cli_run *run, int argc, char **argv)
{
	const char *out = NULL, *report_path = NULL, *sign = NULL, *check_path = NULL, *sig_path = NULL;
	const char *runs_dir = NULL;
	char *run_dir = NULL;
	int run_fd = -1;
	bool allow_unsigned = false;
	int c;
	while ((c = cli_getopt(run, argc, argv, "o:", options)) != -1) {
		switch (c) {
		case OPT_RUN:
			/* a trailing slash (shell completion) does not change the directory */
			run_dir = optarg;
			for (size_t n = strlen(run_dir); n > 1 && run_dir[n - 1] == '/'; n--)
				run_dir[n - 1] = '\0';
			break;
		case 'o': out = optarg; break;
		case OPT_REPORT: report_path = optarg; break;
		case OPT_SIGN: sign = optarg; break;
		case OPT_CHECK: check_path = optarg; break;
		case OPT_SIG: sig_path = optarg; break;
		case OPT_ALLOW_UNSIGNED: allow_unsigned = true; break;
		case OPT_RUNS_DIR: runs_dir = optarg; break;
		default:
			return run->exit;
		}
	}
	if (optind < argc) {
		cli_usage_error(run, "unexpected argument '%s'", argv[optind]);
		return EXIT_ERROR;
	}
	if (allow_unsigned && !check_path) {
		/* it accepts an unchecked attestation: meaningless when none is checked */
		cli_usage_error(run, "--allow-unsigned goes with --check FILE");
		return EXIT_ERROR;
	}
	if (check_path)
		return check(check_path, report_path, sig_path, &run->catalog_opts, allow_unsigned, run->scan.quiet);

	int rc = cli_load_catalog(run);
	if (rc)
		return rc;
	/* the run id is the last component of the run directory */
	const char *run_id = NULL;
	if (run_dir) {
		const char *s = strrchr(run_dir, '/');
		run_id = s && s[1] ? s + 1 : s ? NULL : run_dir;
		/* the rescan is of the root named (none: this host); the run must record that one */
		struct excise_err err = { 0 };
		if (!run_id || excise_run_open(run_dir, run->scan.scan.root, cli_runs_dir(runs_dir), &run_fd, &err) < 0) {
			cli_error("%s", run_id ? err.msg : "--run: not a run directory");
			return EXIT_ERROR;
		}
	}
	char *att_path = NULL, *rep_path = NULL;
	struct excise_scan *scan = NULL;
	rc = paths(run_dir, out, report_path, &att_path, &rep_path);
	/* the defaults are made in the run directory, relative to it */
	struct dest att_d = { .path = att_path, .dir_fd = -1, .dir = run_dir, .name = "attestation.json" };
	struct dest rep_d = { .path = rep_path, .dir_fd = -1, .dir = run_dir, .name = "attestation.report.json" };
	if (run_fd >= 0 && !out) {
		att_d.dir_fd = run_fd;
		rep_d.dir_fd = report_path ? -1 : run_fd;
	}
	if (!rc)
		rc = cli_scan(&run->scan, run->catalog, &scan);
	if (!rc)
		rc = attest(scan, run_id, &att_d, &rep_d, sign);
	if (!rc) {
		cli_scan_failures(scan);
		const char *verdict = NULL;
		rc = excise_scan_verdict(scan, &verdict);
		if (!run->scan.quiet)
			excise_text_printf(stdout, "verify: %s: %zu finding%s; attestation %s%s, report %s\n",
					   verdict ? verdict : "?", excise_scan_count(scan, EXCISE_CONF_STRONG),
					   excise_scan_count(scan, EXCISE_CONF_STRONG) == 1 ? "" : "s", att_path,
					   sign ? " (signed)" : "", rep_path);
	}
	free(att_path);
	free(rep_path);
	excise_scan_free(scan);
	if (run_fd >= 0)
		close(run_fd);
	return rc;
}
