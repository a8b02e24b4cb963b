/* SPDX-License-Identifier: Apache-2.0 */
/* excise enroll, excise submit, and the submission after `excise scan --submit`:
 * the agent side of the collector (include/excise/agent.h, docs/agent.md). */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

/* ---- the agent's folders and bounds, from the environment ---- */

static unsigned long long env_number(const char *name, unsigned long long dflt)
{
	const char *v = getenv(name);
	char *end;
	unsigned long long n = v && *v ? strtoull(v, &end, 10) : 0;
	return v && *v && !*end && n > 0 ? n : dflt;
}

void cli_agent_opts(struct excise_agent_opts *o)
{
	static char *state, *spool;
	*o = (struct excise_agent_opts){ 0 };
	const char *s = getenv("EXCISE_STATE_DIR");
	if (s && *s && !state) {
		if (asprintf(&state, "%s/agent", s) < 0)
			state = NULL;
		if (asprintf(&spool, "%s/spool", s) < 0)
			spool = NULL;
	}
	o->state_dir = state;
	o->spool_dir = spool;
	o->spool_max_files = (unsigned)env_number("EXCISE_SPOOL_MAX_FILES", 0);
	o->spool_max_bytes = env_number("EXCISE_SPOOL_MAX_BYTES", 0);
}

/* Where delivered documents are said: standard output, standard error after a scan
 * (whose report may be on standard output). */
static FILE *info_out;

static const char *spool_dir(const struct excise_agent_opts *o)
{
	return o->spool_dir ? o->spool_dir : EXCISE_AGENT_SPOOL_DIR;
}

static void say_time(int64_t t, char out[32])
{
	time_t tt = (time_t)t;
	struct tm tm;
	if (!gmtime_r(&tt, &tm) || !strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(out, 32, "%lld", (long long)t);
}

/* What became of one document; true when the operator must act (refused, TLS, enrollment). */
static bool report_result(const struct excise_agent_opts *o, const char *name, const struct excise_agent_result *r)
{
	char when[32];
	switch (r->outcome) {
	case EXCISE_AGENT_STORED:
	case EXCISE_AGENT_DUPLICATE:
		excise_text_printf(info_out ? info_out : stdout, "%s: %s %s %s\n", name,
				   excise_agent_outcome_name(r->outcome), r->kind, r->id);
		return false;
	case EXCISE_AGENT_SPOOLED:
		say_time(r->next_try, when);
		cli_error("%s: not delivered: %s; kept in the spool (%s/%s), next try from %s", name, r->message,
			  spool_dir(o), r->spool_name, when);
		return r->tls || r->reenroll || r->auth;
	case EXCISE_AGENT_REJECTED:
		cli_error("%s: %s; kept in %s/rejected/%s", name, r->message, spool_dir(o), r->spool_name);
		return true;
	case EXCISE_AGENT_DEFERRED:
		break;
	}
	return false;
}

struct flush_ui {
	const struct excise_agent_opts *o;
	bool quiet;
};

static void on_flushed(void *ud, const char *file, const struct excise_agent_result *r)
{
	struct flush_ui *ui = ud;
	char when[32];
	switch (r->outcome) {
	case EXCISE_AGENT_STORED:
	case EXCISE_AGENT_DUPLICATE:
		if (!ui->quiet)
			excise_text_printf(info_out ? info_out : stdout, "spool %s: %s %s %s\n", file, excise_agent_outcome_name(r->outcome),
					   r->kind, r->id);
		break;
	case EXCISE_AGENT_SPOOLED:
		say_time(r->next_try, when);
		if (r->attempts)
			cli_error("spool %s: not delivered (attempt %u): %s; next try from %s", file, r->attempts,
				  r->message, when);
		else
			cli_error("spool %s: not sent: %s", file, r->message);
		break;
	case EXCISE_AGENT_REJECTED:
		cli_error("spool %s: %s; moved to %s/rejected/", file, r->message, spool_dir(ui->o));
		break;
	case EXCISE_AGENT_DEFERRED:
		break;
	}
}

/* Flush the spool over `conn`; EXIT_ERROR when it cannot be read or something needs the operator. */
static int flush(const struct excise_agent_opts *o, struct excise_agent_conn *conn, bool quiet)
{
	struct flush_ui ui = { o, quiet };
	struct excise_agent_flush_result fr;
	struct excise_err err = { 0 };
	if (excise_agent_flush(o, conn, on_flushed, &ui, &fr, &err) < 0) {
		cli_error("%s", err.msg);
		return EXIT_ERROR;
	}
	if (!quiet || fr.remaining || fr.rejected)
		excise_text_printf(info_out ? info_out : stdout,
				   "spool: %zu delivered, %zu refused, %zu kept for later (%zu not tried now)\n", fr.delivered,
				   fr.rejected, fr.failed + fr.deferred, fr.deferred);
	return fr.rejected || fr.tls || fr.reenroll || fr.auth ? EXIT_ERROR : 0;
}

int cli_submit_report(const char *url, const char *name, const char *json, size_t len, bool quiet)
{
	struct excise_agent_opts o;
	cli_agent_opts(&o);
	struct excise_agent_result r;
	struct excise_err err = { 0 };
	info_out = stderr;
	/* the report and the spool's flush after it over one connection */
	struct excise_agent_conn *conn = excise_agent_conn_new();
	if (!conn) {
		cli_error("out of memory");
		return EXIT_ERROR;
	}
	if (excise_agent_submit(&o, conn, url, name, json, len, 0, &r, &err) < 0) {
		cli_error("the report could be neither delivered nor spooled: %s", err.msg);
		excise_agent_conn_free(conn);
		return EXIT_ERROR;
	}
	if (!quiet || (r.outcome != EXCISE_AGENT_STORED && r.outcome != EXCISE_AGENT_DUPLICATE))
		(void)report_result(&o, name, &r);
	if (r.outcome == EXCISE_AGENT_STORED || r.outcome == EXCISE_AGENT_DUPLICATE)
		(void)flush(&o, conn, true);
	excise_agent_conn_free(conn);
	return 0;
}

/* ---- excise enroll ---- */

const char cmd_enroll_help[] =
	"usage: excise enroll URL (--secret-file FILE | --secret-env VAR) [--root DIR]\n"
	"                     [--ca FILE | --pin sha256//BASE64]\n\n"
	"Enrolls this host (or the offline root DIR: its machine id) with the collector at URL\n"
	"and keeps its host id and key in the agent's state folder (/var/lib/excise/agent,\n"
	"EXCISE_STATE_DIR/agent), mode 0600, for `excise submit`. Enrolling again rotates the key.\n"
	"The secret is never taken from the command line (other users see it in ps).\n\n"
	"  --secret-file FILE  the enrollment secret, read from FILE (- : standard input)\n"
	"  --secret-env VAR    the enrollment secret, from the environment variable VAR\n"
	"  --root DIR          enroll the machine of this offline root (an imaged host)\n"
	"  --ca FILE           trust only this PEM CA file for the collector's certificate\n"
	"  --pin sha256//B64   trust the collector whose public key has this SHA-256 (base64),\n"
	"                      without a CA (curl's pinned public key format)\n"
	"  -q, --quiet         say nothing on success\n\n"
	"URL is https:// (plain http only to a loopback address); no redirect is followed.\n"
	"exit status: 0 enrolled, 2 error (secret refused, collector unreachable, TLS refused)\n";

enum { OPT_SECRET_FILE = OPT_VERB, OPT_SECRET_ENV, OPT_SECRET, OPT_CA, OPT_PIN, OPT_URL, OPT_SPOOL, OPT_EROOT };

static const struct option enroll_options[] = {
	{ "secret-file", required_argument, NULL, OPT_SECRET_FILE },
	{ "secret-env", required_argument, NULL, OPT_SECRET_ENV },
	{ "secret", required_argument, NULL, OPT_SECRET },
	{ "ca", required_argument, NULL, OPT_CA },
	{ "pin", required_argument, NULL, OPT_PIN },
	{ "root", required_argument, NULL, OPT_EROOT },
	{ "quiet", no_argument, NULL, 'q' },
	{ 0 },
};

/* The secret from FILE (or standard input), without its trailing newline and spaces. */
static int read_secret(const char *file, const char *env, char **ret)
{
	char *s = NULL;
	size_t n = 0;
	if (env) {
		const char *v = getenv(env);
		if (!v || !*v) {
			cli_error("--secret-env %s: the variable is not set", env);
			return EXIT_ERROR;
		}
		if (strlen(v) > EXCISE_MAX_SECRET_SIZE) {
			cli_error("--secret-env %s: longer than %u bytes", env, EXCISE_MAX_SECRET_SIZE);
			return EXIT_ERROR;
		}
		s = strdup(v);
		n = s ? strlen(s) : 0;
	} else {
		FILE *f = strcmp(file, "-") == 0 ? stdin : fopen(file, "re");
		if (!f) {
			cli_error("--secret-file '%s': %s", file, strerror(errno));
			return EXIT_ERROR;
		}
		s = calloc(1, EXCISE_MAX_SECRET_SIZE + 2);
		n = s ? fread(s, 1, EXCISE_MAX_SECRET_SIZE + 1, f) : 0;
		bool bad = ferror(f);
		if (f != stdin)
			fclose(f);
		if (s && (bad || n > EXCISE_MAX_SECRET_SIZE)) {
			free(s);
			cli_error("--secret-file '%s': %s", file, bad ? "cannot read it" : "longer than 4096 bytes");
			return EXIT_ERROR;
		}
	}
	if (!s) {
		cli_error("out of memory");
		return EXIT_ERROR;
	}
	while (n && strchr(" \t\r\n", s[n - 1]))
		s[--n] = 0;
	if (!n || memchr(s, 0, n)) {
		free(s);
		cli_error("the enrollment secret is empty or not text");
		return EXIT_ERROR;
	}
	*ret = s;
	return 0;
}

int cmd_enroll(struct cli_run *run, int argc, char **argv)
{
	const char *secret_file = NULL, *secret_env = NULL, *root = NULL;
	struct excise_agent_tls tls = { 0 };
	bool quiet = false;
	int c;
	while ((c = cli_getopt(run, argc, argv, "q", enroll_options)) != -1) {
		switch (c) {
		case OPT_SECRET_FILE: secret_file = optarg; break;
		case OPT_SECRET_ENV: secret_env = optarg; break;
		case OPT_SECRET:
			cli_usage_error(run, "--secret: a secret on the command line is visible to every user (ps); "
					"use --secret-file FILE or --secret-env VAR");
			return EXIT_ERROR;
		case OPT_CA: tls.ca_file = optarg; break;
		case OPT_PIN:
			if (strncmp(optarg, "sha256//", 8) != 0 || !optarg[8]) {
				cli_usage_error(run, "--pin takes sha256//BASE64 (the SHA-256 of the collector's public "
						"key), not '%s'", optarg);
				return EXIT_ERROR;
			}
			tls.pin = optarg;
			break;
		case OPT_EROOT:
			if (!*optarg) {
				cli_error("--root: empty path");
				return EXIT_ERROR;
			}
			root = optarg;
			break;
		case 'q': quiet = true; break;
		default: return run->exit;
		}
	}
	if (optind + 1 != argc) {
		cli_usage_error(run, optind < argc ? "one URL, not %d arguments" : "the collector's URL is missing",
				argc - optind);
		return EXIT_ERROR;
	}
	if (!secret_file == !secret_env) {
		cli_usage_error(run, "give the enrollment secret with --secret-file FILE or --secret-env VAR (one)");
		return EXIT_ERROR;
	}
	if (tls.ca_file && tls.pin) {
		cli_usage_error(run, "--ca and --pin: give one");
		return EXIT_ERROR;
	}
	char *secret = NULL;
	if (read_secret(secret_file, secret_env, &secret))
		return EXIT_ERROR;
	struct excise_host host;
	struct excise_err err = { 0 };
	if (excise_host_read(root, &host, &err) < 0) {
		free(secret);
		cli_error("%s", err.msg);
		return EXIT_ERROR;
	}
	struct excise_agent_opts o;
	cli_agent_opts(&o);
	char *host_id = NULL;
	int r = excise_agent_enroll(&o, argv[optind], &tls, secret, &host, &host_id, &err);
	explicit_bzero(secret, strlen(secret));
	free(secret);
	if (r < 0)
		cli_error("%s", err.msg);
	else if (!quiet)
		excise_text_printf(stdout, "enrolled machine %s (%s) with %s as host %s\n", host.machine_id,
				   host.hostname && *host.hostname ? host.hostname : "no hostname", argv[optind], host_id);
	free(host_id);
	excise_host_done(&host);
	return r < 0 ? EXIT_ERROR : 0;
}

/* ---- excise submit ---- */

const char cmd_submit_help[] =
	"usage: excise submit [--url URL] [-q] FILE|RUN_DIR...\n"
	"       excise submit --spool [-q]\n\n"
	"Sends excise documents to the collector the machine they name is enrolled with\n"
	"(excise enroll): reports (excise.report/2), plans (excise.plan/1), attestations\n"
	"(excise.attestation/1; its report NAME.report.json beside it goes first, so the\n"
	"collector can check it) and, for a removal run directory, its excise.removal/1\n"
	"summary. Each request is signed with the machine's host key. A document the\n"
	"collector cannot take now (unreachable, busy, failing) goes to the spool\n"
	"(/var/lib/excise/spool, EXCISE_STATE_DIR/spool), as do the documents after it;\n"
	"one the collector refuses goes to the spool's rejected/ with its message.\n\n"
	"  --url URL   the collector's URL (default: the one the machine enrolled with)\n"
	"  --spool     send the spool's documents that are due, oldest first (the agent's\n"
	"              timer); retries back off exponentially with full jitter, 30 s to 1 h,\n"
	"              or as the collector's Retry-After says\n"
	"  -q, --quiet only problems\n\n"
	"exit status: 0 every document delivered or spooled; 2 a document refused or not\n"
	"spooled, a file unreadable, or one kept because the collector's certificate or the\n"
	"machine's enrollment was refused (the operator must act)\n";

static const struct option submit_options[] = {
	{ "url", required_argument, NULL, OPT_URL },
	{ "spool", no_argument, NULL, OPT_SPOOL },
	{ "quiet", no_argument, NULL, 'q' },
	{ 0 },
};

static bool is_attestation(const char *text, size_t len)
{
	json_t *j = json_loadb(text, len, 0, NULL);
	const char *s = json_string_value(json_object_get(j, "schema"));
	bool yes = s && strcmp(s, EXCISE_ATTEST_SCHEMA) == 0;
	json_decref(j);
	return yes;
}

/* "dir/name.json" -> "dir/name.report.json" (verify's default for an attestation's report) */
static char *report_beside(const char *att)
{
	size_t n = strlen(att);
	size_t stem = n > 5 && strcmp(att + n - 5, ".json") == 0 ? n - 5 : n;
	char *p = malloc(stem + sizeof(".report.json"));
	if (p) {
		memcpy(p, att, stem);
		strcpy(p + stem, ".report.json");
	}
	return p;
}

struct submit_state {
	const struct excise_agent_opts *o;
	struct excise_agent_conn *conn; /* every document of the command, and the flush after, over it */
	const char *url;
	bool down;        /* a document could not be delivered: the rest go to the spool */
	bool delivered;
	bool act;         /* something needs the operator */
	bool quiet;
};

static int submit_one(struct submit_state *st, const char *name, const char *text, size_t len, unsigned flags)
{
	struct excise_agent_result r;
	struct excise_err err = { 0 };
	if (excise_agent_submit(st->o, st->conn, st->url, name, text, len,
				flags | (st->down ? EXCISE_AGENT_SPOOL_ONLY : 0), &r, &err) < 0) {
		cli_error("%s", err.msg);
		st->act = true;
		return EXIT_ERROR;
	}
	if (st->quiet && (r.outcome == EXCISE_AGENT_STORED || r.outcome == EXCISE_AGENT_DUPLICATE))
		;
	else if (report_result(st->o, name, &r))
		st->act = true;
	if (r.outcome == EXCISE_AGENT_STORED || r.outcome == EXCISE_AGENT_DUPLICATE)
		st->delivered = true;
	else if (r.outcome == EXCISE_AGENT_SPOOLED && !r.reenroll)
		st->down = true;
	return 0;
}

static int submit_path(struct submit_state *st, const char *path)
{
	struct stat sb;
	if (stat(path, &sb) < 0) {
		cli_error("'%s': %s", path, strerror(errno));
		return EXIT_ERROR;
	}
	char *text = NULL;
	size_t len = 0;
	struct excise_err err = { 0 };
	if (S_ISDIR(sb.st_mode)) {
		if (cli_check_run_dir(path))
			return EXIT_ERROR;
		if (excise_removal_summary(path, &text, &len, &err) < 0) {
			cli_error("%s", err.msg);
			return EXIT_ERROR;
		}
		int rc = submit_one(st, path, text, len, 0);
		free(text);
		return rc;
	}
	if (cli_read_file("document", path, EXCISE_MAX_SUBMIT_SIZE, &text, &len))
		return EXIT_ERROR;
	int rc = 0;
	if (is_attestation(text, len)) {
		char *rp = report_beside(path);
		char *rt = NULL;
		size_t rl = 0;
		if (!rp) {
			cli_error("out of memory");
			rc = EXIT_ERROR;
		} else if (access(rp, F_OK) != 0) {
			cli_error("%s: its report '%s' is not there: the collector cannot check the attestation "
				  "against it", path, rp);
		} else if (cli_read_file("report", rp, EXCISE_MAX_SUBMIT_SIZE, &rt, &rl) ||
			   submit_one(st, rp, rt, rl, EXCISE_AGENT_KEEP)) {
			rc = EXIT_ERROR;
		}
		free(rt);
		free(rp);
	}
	if (!rc)
		rc = submit_one(st, path, text, len, 0);
	free(text);
	return rc;
}

int cmd_submit(struct cli_run *run, int argc, char **argv)
{
	struct excise_agent_opts o;
	cli_agent_opts(&o);
	struct submit_state st = { .o = &o };
	bool spool = false;
	int c;
	while ((c = cli_getopt(run, argc, argv, "q", submit_options)) != -1) {
		switch (c) {
		case OPT_URL: st.url = optarg; break;
		case OPT_SPOOL: spool = true; break;
		case 'q': st.quiet = true; break;
		default: return run->exit;
		}
	}
	if (spool) {
		if (optind < argc || st.url) {
			cli_usage_error(run, "--spool takes no documents and no --url (each spooled document "
					"keeps its own)");
			return EXIT_ERROR;
		}
		return flush(&o, NULL, st.quiet);
	}
	if (optind >= argc) {
		cli_usage_error(run, "no document to submit (FILE, RUN_DIR, or --spool)");
		return EXIT_ERROR;
	}
	if (!(st.conn = excise_agent_conn_new())) {
		cli_error("out of memory");
		return EXIT_ERROR;
	}
	int rc = 0;
	for (int i = optind; i < argc; i++)
		if (submit_path(&st, argv[i]))
			rc = EXIT_ERROR;
	/* the collector answered: what waited in the spool goes too */
	if (st.delivered && !st.down && flush(&o, st.conn, true))
		rc = EXIT_ERROR;
	excise_agent_conn_free(st.conn);
	return rc || st.act ? EXIT_ERROR : 0;
}
