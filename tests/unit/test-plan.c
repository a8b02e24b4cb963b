/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of the removal planner (lib/remove/plan.c, plan-io.c): steps, order, refusals, JSON. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/limits.h"
#include "remove/plan_int.h"
#include "source/source.h"
#include "excise/catalog.h"
#include "excise/plan.h"
#include "excise/report.h"
#include "remove/pkgdb.h"

#define NOW_NS INT64_C(1700000000123456789) /* 2023-11-14T22:13:20.123Z */
/* A root certificate made with openssl req -x509 (O=AO Kaspersky Lab, CN=Kaspersky Fixture Root)
 * and the sha256 of its DER: the planner reads the file again and finds it by that hash. */
#define CERT_PEM \
	"-----BEGIN CERTIFICATE-----\n"\
	"MIIB6TCCAY+gAwIBAgIUYxFN6qDYJYMoB5w5BH5NpdWdaJEwCgYIKoZIzj0EAwIw\n"\
	"STELMAkGA1UEBhMCUlUxGTAXBgNVBAoMEEFPIEthc3BlcnNreSBMYWIxHzAdBgNV\n"\
	"BAMMFkthc3BlcnNreSBGaXh0dXJlIFJvb3QwIBcNMjYxMjA3MTI1MTU1WhgPMjEy\n"\
	"NjExMTMxMjUxNTVaMEkxCzAJBgNVBAYTAlJVMRkwFwYDVQQKDBBBTyBLYXNwZXJz\n"\
	"a3kgTGFiMR8wHQYDVQQDDBZLYXNwZXJza3kgRml4dHVyZSBSb290MFkwEwYHKoZI\n"\
	"zj0CAQYIKoZIzj0DAQcDQgAErXeNep3cxCEgLNf5CYbDF7B0fL5+/3lvKpU1UmZb\n"\
	"bpn4S6atu6IGk7ntnx715UvZdkolVFXT0O6iaYb6E5Z1P6NTMFEwHQYDVR0OBBYE\n"\
	"FNEimVsSbdElLiMKumi2Qx4V6rWsMB8GA1UdIwQYMBaAFNEimVsSbdElLiMKumi2\n"\
	"Qx4V6rWsMA8GA1UdEwEB/wQFMAMBAf8wCgYIKoZIzj0EAwIDSAAwRQIhAPRpEw/o\n"\
	"vSTWjFkz/6mRV8HN5Sh695j1zevpoSaUd5kQAiBZmOmQQLrXfykzOMy6n0qTIrwo\n"\
	"ZY14GHXpZA04Kx8J1g==\n"\
	"-----END CERTIFICATE-----\n"
#define CERT_SHA "37dff344201f2f6e76a996c464c4a526b678a997bb71fff7635638be958679dd"

/* Pieces of an excise.report/1 document: a path is given as JSON ("null" or Q("/x")). */
#define Q(s) "\"" s "\""
#define EVX(src, kind, field, value, path, ind, extra)                                                       \
	"{\"source\":\"" src "\",\"kind\":\"" kind "\",\"field\":\"" field "\",\"value\":\"" value "\",\"path\":" \
	path ",\"indicator\":{\"id\":\"" ind "\"}" extra "}"
#define EV(src, kind, field, value, path, ind) EVX(src, kind, field, value, path, ind, "")
/* A files evidence whose value is its path, as the files source reports it. */
#define FILE_EV(path, ind) EV("files", "file", "path", path, Q(path), ind)
#define FINDING(product, evidence) \
	"{\"product\":{\"id\":\"" product "\"},\"state\":\"installed\",\"confidence\":\"definitive\",\"evidence\":[" \
	evidence "]}"

struct fixture {
	char dir[64];
	struct excise_catalog *c;
};

static int rm_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st, (void)ftw;
	return type == FTW_DP ? rmdir(path) : unlink(path);
}

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	if (!fx)
		return -1;
	strcpy(fx->dir, "/tmp/excise-test-plan.XXXXXX");
	struct excise_err err = { 0 };
	if (!mkdtemp(fx->dir) || excise_catalog_load_embedded(&fx->c, &err) < 0) {
		free(fx);
		return -1;
	}
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;
	excise_catalog_free(fx->c);
	nftw(fx->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(fx);
	return 0;
}

/* mkdir -p of ROOT/rel. */
static void put_dir(struct fixture *fx, const char *rel)
{
	char p[PATH_MAX];
	assert_true(snprintf(p, sizeof(p), "%s/%s", fx->dir, rel) < (int)sizeof(p));
	for (char *s = p + strlen(fx->dir) + 1; (s = strchr(s, '/')); s++) {
		*s = 0;
		if (mkdir(p, 0755) < 0)
			assert_int_equal(errno, EEXIST);
		*s = '/';
	}
	if (mkdir(p, 0755) < 0)
		assert_int_equal(errno, EEXIST);
}

/* ROOT/rel with `data`, its parents made. */
static void put_file(struct fixture *fx, const char *rel, const char *data)
{
	char p[PATH_MAX];
	assert_true(snprintf(p, sizeof(p), "%s/%s", fx->dir, rel) < (int)sizeof(p));
	char *slash = strrchr(p, '/');
	*slash = 0;
	put_dir(fx, p + strlen(fx->dir) + 1);
	*slash = '/';
	FILE *f = fopen(p, "we");
	assert_non_null(f);
	assert_true(fputs(data, f) >= 0);
	assert_int_equal(fclose(f), 0);
}

#define FILES_OK "{\"name\":\"files\",\"status\":\"ok\",\"n_errors\":0,\"errors\":[],\"error\":null}"

/* When set, what a test changes in the scan read back before it is planned (and puts
 * back, `undo`, before the scan is freed: the scan owns what it points to). */
static void (*mutate)(struct excise_scan *s, bool undo);

/* Build the plan for a report of `sources` and `findings` about the fixture root on `platform`. */
static struct excise_plan *build_with(struct fixture *fx, const char *platform, const char *sources,
				      const char *findings, int64_t now)
{
	static const char tmpl[] =
		"{\"schema\":\"excise.report/1\",\"report_id\":\"c6276ff0-f0b5-4390-8cfe-bacdaf55e4f9\","
		"\"host\":{\"hostname\":\"test-host\",\"os\":null,\"os_id\":null,\"machine_id\":null,"
		"\"root\":\"%s\",\"platform\":\"%s\",\"live\":false},"
		"\"started\":\"2026-12-03T06:15:20.284Z\",\"finished\":\"2026-12-03T06:15:20.287Z\","
		"\"sources\":[%s],\"findings\":[%s]}\n";
	char *doc = NULL;
	assert_true(asprintf(&doc, tmpl, fx->dir, platform, sources, findings) > 0);
	struct excise_scan *s = NULL;
	struct excise_err err = { 0 };
	int r = excise_report_read(fx->c, "test", doc, strlen(doc), &s, &err);
	if (r < 0)
		fail_msg("excise_report_read: %s", err.msg);
	free(doc);
	if (mutate)
		mutate(s, false);
	struct excise_plan_opts o = { .catalog = fx->c, .now_ns = now };
	struct excise_plan *p = NULL;
	r = excise_plan_build(s, &o, &p, &err);
	if (mutate)
		mutate(s, true);
	if (r < 0)
		fail_msg("excise_plan_build: %s", err.msg);
	excise_scan_free(s);
	assert_non_null(p);
	return p;
}

/* The same with one source, files, that ran without error. */
static struct excise_plan *build_on(struct fixture *fx, const char *platform, const char *findings, int64_t now)
{
	return build_with(fx, platform, FILES_OK, findings, now);
}

static struct excise_plan *build(struct fixture *fx, const char *findings)
{
	return build_on(fx, "linux", findings, NOW_NS);
}

/* The skipped entry whose `what` contains `what`, or a failure. */
static const struct excise_plan_skip *skipped(const struct excise_plan *p, const char *what)
{
	for (size_t i = 0; i < p->n_skipped; i++)
		if (strstr(p->skipped[i].what, what))
			return &p->skipped[i];
	fail_msg("nothing skipped for '%s' (%zu skipped)", what, p->n_skipped);
	return NULL;
}

static void step_is(const struct excise_plan *p, size_t i, enum excise_plan_action a, const char *target)
{
	assert_true(i < p->n_steps);
	const struct excise_plan_step *s = &p->steps[i];
	if (s->action != a || strcmp(s->target, target))
		fail_msg("step %zu is %s %s, want %s %s", i + 1, excise_plan_action_name(s->action), s->target,
			 excise_plan_action_name(a), target);
	assert_int_equal(s->id, i + 1);
	assert_true(s->n_evidence >= 1);
}

/* Which phase of a removal an action belongs to, in the order they must run. */
static int phase(enum excise_plan_action a)
{
	switch (a) {
	case EXCISE_PLAN_STOP_SERVICE:
	case EXCISE_PLAN_DISABLE_SERVICE: return 0;
	case EXCISE_PLAN_KILL_PROCESS: return 1;
	case EXCISE_PLAN_UNLOAD_MODULE: return 2;
	case EXCISE_PLAN_DPKG_PURGE:
	case EXCISE_PLAN_RPM_ERASE:
	case EXCISE_PLAN_MSI_UNINSTALL:
	case EXCISE_PLAN_VENDOR_REMOVER: return 3;
	case EXCISE_PLAN_REMOVE_PATH:
	case EXCISE_PLAN_DELETE_REGKEY: return 4;
	case EXCISE_PLAN_REMOVE_CERT:
	case EXCISE_PLAN_REGEN_TRUST: return 5;
	case EXCISE_PLAN_RELOAD_UNITS: return 6; /* once, after every unit file is gone */
	default: return 99;
	}
}

static void phases_in_order(const struct excise_plan *p)
{
	for (size_t i = 0; i < p->n_steps; i++) {
		assert_int_equal(p->steps[i].id, i + 1);
		if (i && phase(p->steps[i].action) < phase(p->steps[i - 1].action))
			fail_msg("step %zu (%s) runs after step %zu (%s)", i + 1,
				 excise_plan_action_name(p->steps[i].action), i,
				 excise_plan_action_name(p->steps[i - 1].action));
	}
}

static bool have_dpkg_query(void)
{
	/* the PATH lib/remove/spawn.c runs tools with */
	static const char *const dirs[] = { "/usr/sbin", "/usr/bin", "/sbin", "/bin" };
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		char p[64];
		snprintf(p, sizeof(p), "%s/dpkg-query", dirs[i]);
		if (access(p, X_OK) == 0)
			return true;
	}
	return false;
}

#define DPKG_STATUS                                                                                 \
	"Package: kesl\nStatus: install ok installed\nPriority: optional\nSection: misc\n"         \
	"Maintainer: AO Kaspersky Lab <support@kaspersky.com>\nArchitecture: amd64\n"              \
	"Version: 12.1.0-1191\nDescription: Kaspersky Endpoint Security for Linux\n\n"

/* A Linux root with a service, a process, a package, leftovers and a certificate. */
static void linux_host(struct fixture *fx)
{
	put_file(fx, "opt/kaspersky/kesl/bin/kesl", "kesl\n");
	put_file(fx, "lib/systemd/system/kesl.service", "[Service]\nExecStart=/opt/kaspersky/kesl/bin/kesl\n");
	put_file(fx, "usr/local/share/ca-certificates/kaspersky.crt", CERT_PEM);
	put_file(fx, "var/lib/dpkg/status", DPKG_STATUS);
}

/* Listed in the wrong order on purpose: the plan sorts them. */
static const char linux_findings[] =
	FINDING("kesl",
		EVX("truststore", "cert", "publisher", "AO Kaspersky Lab",
		    Q("/usr/local/share/ca-certificates/kaspersky.crt"), "kaspersky.cert.publisher.ao-kaspersky-lab",
		    ",\"attrs\":{\"sha256\":\"" CERT_SHA "\"}") ","
		FILE_EV("/opt/kaspersky", "kaspersky.file.path.opt-kaspersky") ","
		EVX("dpkg", "package", "name", "kesl", "null", "kesl.package.kesl",
		    ",\"attrs\":{\"package\":\"kesl\"}") ","
		EVX("systemd", "service", "name", "kesl.service", Q("/lib/systemd/system/kesl.service"),
		    "kesl.service.kesl.service", ",\"state\":\"enabled\",\"active\":true") ","
		EV("files", "file", "name", "kaspersky", Q("/opt/kaspersky"), "kaspersky.file.any-kaspersky-any")) ","
	FINDING("klnagent",
		EVX("proc", "process", "name", "klnagent", Q("/opt/kaspersky/klnagent64/sbin/klnagent"),
		    "klnagent.process.klnagent", ",\"active\":true,\"attrs\":{\"pid\":\"4242\"}"));

/* Services, processes, modules, packages, leftovers, trust: whatever order the evidence came in. */
static void test_order(void **state)
{
	struct fixture *fx = *state;
	bool dpkg = have_dpkg_query();
	if (!dpkg)
		print_message("# no dpkg-query: the package step is left out\n");
	linux_host(fx);
	struct excise_plan *p = build(fx, linux_findings);
	phases_in_order(p);
	size_t i = 0;
	step_is(p, i++, EXCISE_PLAN_STOP_SERVICE, "kesl.service");
	step_is(p, i, EXCISE_PLAN_DISABLE_SERVICE, "kesl.service");
	assert_string_equal(p->steps[i++].path, "/lib/systemd/system/kesl.service");
	/* a process in the report of an offline root is observed again: there is none, so it is refused */
	if (dpkg) {
		step_is(p, i, EXCISE_PLAN_DPKG_PURGE, "kesl");
		assert_string_equal(p->steps[i++].version, "12.1.0-1191");
	}
	step_is(p, i++, EXCISE_PLAN_REMOVE_PATH, "/lib/systemd/system/kesl.service");
	step_is(p, i++, EXCISE_PLAN_REMOVE_PATH, "/opt/kaspersky");
	step_is(p, i, EXCISE_PLAN_REMOVE_CERT, CERT_SHA);
	assert_string_equal(p->steps[i++].path, "/usr/local/share/ca-certificates/kaspersky.crt");
	step_is(p, i++, EXCISE_PLAN_REGEN_TRUST, "trust-store");
	step_is(p, i++, EXCISE_PLAN_RELOAD_UNITS, "daemon-reload");
	assert_int_equal(p->n_steps, i);
	/* the weak evidence was left alone, the process refused */
	assert_int_equal(p->n_skipped, 2);
	assert_false(skipped(p, "file kaspersky at /opt/kaspersky")->refused);
	const struct excise_plan_skip *k = skipped(p, "process klnagent");
	assert_true(k->refused);
	assert_non_null(strstr(k->why, "not the live host"));
	assert_false(p->live);
	assert_false(p->reboot_required);
	excise_plan_free(p);

	/* kernel modules come from no Linux indicator of the stock catalog: a macOS root shows them */
	put_dir(fx, "Library/Application Support/Kaspersky Lab/KAV");
	p = build_on(fx, "macos",
		     FINDING("kes-mac",
			     FILE_EV("/Library/Application Support/Kaspersky Lab",
				     "kes-mac.file.path.library-application-support-kaspersky-lab") ","
			     EVX("macos-kexts", "bundle", "name", "com.kaspersky.kext.klif",
				 Q("/Library/Extensions/klif.kext"), "kes-mac.bundle.com.kaspersky.kext.klif",
				 ",\"active\":true,\"attrs\":{\"bundle_id\":\"com.kaspersky.kext.klif\"}") ","
			     EVX("launchd", "bundle", "name", "com.kaspersky.kav",
				 Q("/Library/LaunchDaemons/com.kaspersky.kav.plist"),
				 "kes-mac.bundle.com.kaspersky.kav",
				 ",\"active\":true,\"attrs\":{\"label\":\"com.kaspersky.kav\"}")),
		     NOW_NS);
	phases_in_order(p);
	step_is(p, 0, EXCISE_PLAN_STOP_SERVICE, "com.kaspersky.kav");
	step_is(p, 1, EXCISE_PLAN_UNLOAD_MODULE, "com.kaspersky.kext.klif");
	assert_true(p->steps[1].reboot);
	step_is(p, 2, EXCISE_PLAN_REMOVE_PATH, "/Library/Application Support/Kaspersky Lab");
	assert_int_equal(p->n_steps, 3);
	assert_true(p->reboot_required);
	assert_int_equal(p->n_skipped, 0);
	excise_plan_free(p);
}

/* Weak evidence alone is never acted on, and says so. */
static void test_weak_only(void **state)
{
	struct fixture *fx = *state;
	put_file(fx, "opt/kaspersky/kesl/bin/kesl", "kesl\n");
	struct excise_plan *p = build(
		fx, FINDING("kesl", EV("files", "file", "name", "kaspersky", Q("/opt/kaspersky"),
				       "kaspersky.file.any-kaspersky-any")));
	assert_int_equal(p->n_steps, 0);
	assert_int_equal(p->n_skipped, 1);
	assert_non_null(strstr(p->skipped[0].what, "/opt/kaspersky"));
	assert_non_null(strstr(p->skipped[0].why, "weak"));
	assert_non_null(strstr(p->skipped[0].why, "kaspersky.file.any-kaspersky-any"));
	assert_false(p->skipped[0].refused);
	excise_plan_free(p);
}

#define KESL_BIN FILE_EV("/opt/kaspersky/kesl/bin/kesl", "kesl.file.path.opt-kaspersky-kesl-any")

/* Strong evidence of a file that is there removes it, naming the evidence; gone, there is nothing to do. */
static void test_strong_file(void **state)
{
	struct fixture *fx = *state;
	put_file(fx, "opt/kaspersky/kesl/bin/kesl", "kesl\n");
	struct excise_plan *p = build(fx, FINDING("kesl", KESL_BIN));
	assert_int_equal(p->n_steps, 1);
	assert_int_equal(p->n_skipped, 0);
	const struct excise_plan_step *s = &p->steps[0];
	step_is(p, 0, EXCISE_PLAN_REMOVE_PATH, "/opt/kaspersky/kesl/bin/kesl");
	assert_string_equal(s->product, "kesl");
	assert_non_null(s->note);
	assert_false(s->live_only);
	assert_int_equal(s->n_evidence, 1);
	assert_string_equal(s->evidence[0].source, "files");
	assert_string_equal(s->evidence[0].kind, "file");
	assert_string_equal(s->evidence[0].value, "/opt/kaspersky/kesl/bin/kesl");
	assert_string_equal(s->evidence[0].path, "/opt/kaspersky/kesl/bin/kesl");
	assert_string_equal(s->evidence[0].indicator, "kesl.file.path.opt-kaspersky-kesl-any");
	assert_int_equal(s->evidence[0].confidence, EXCISE_CONF_STRONG);
	/* what was there, to be checked again before acting */
	char real[PATH_MAX];
	snprintf(real, sizeof(real), "%s/opt/kaspersky/kesl/bin/kesl", fx->dir);
	struct stat st;
	assert_int_equal(lstat(real, &st), 0);
	assert_true(s->seen.known);
	assert_int_equal(s->seen.type, 'f');
	assert_int_equal(s->seen.size, 5);
	assert_int_equal(s->seen.ino, st.st_ino);
	assert_int_equal(s->seen.dev, st.st_dev);
	excise_plan_free(p);

	assert_int_equal(unlink(real), 0);
	p = build(fx, FINDING("kesl", KESL_BIN));
	assert_int_equal(p->n_steps, 0);
	assert_int_equal(p->n_skipped, 0);
	excise_plan_free(p);
}

/* A path inside another planned path goes with it: only the outer one is a step. */
static void test_nested(void **state)
{
	struct fixture *fx = *state;
	put_file(fx, "opt/kaspersky/kesl/bin/kesl", "kesl\n");
	put_dir(fx, "opt/kaspersky/kesl/lib");
	struct excise_plan *p = build(
		fx, FINDING("kesl", KESL_BIN ","
				    FILE_EV("/opt/kaspersky/kesl/lib", "kesl.file.path.opt-kaspersky-kesl-any") ","
				    FILE_EV("/opt/kaspersky", "kaspersky.file.path.opt-kaspersky") ","
				    FILE_EV("/opt/kaspersky/kesl", "kesl.file.path.opt-kaspersky-kesl")));
	assert_int_equal(p->n_steps, 1);
	step_is(p, 0, EXCISE_PLAN_REMOVE_PATH, "/opt/kaspersky");
	assert_int_equal(p->steps[0].n_evidence, 1);
	assert_string_equal(p->steps[0].evidence[0].indicator, "kaspersky.file.path.opt-kaspersky");
	assert_int_equal(p->steps[0].seen.type, 'd');
	assert_int_equal(p->n_skipped, 0);
	excise_plan_free(p);
}

/* Evidence edited to name a protected path is refused, and the rest still planned. */
static void test_protected_path(void **state)
{
	struct fixture *fx = *state;
	put_file(fx, "opt/kaspersky/kesl/bin/kesl", "kesl\n");
	put_dir(fx, "usr/share");
	struct excise_plan *p =
		build(fx, FINDING("kesl", FILE_EV("/usr", "kaspersky.file.path.opt-kaspersky") "," KESL_BIN));
	assert_int_equal(p->n_steps, 1);
	step_is(p, 0, EXCISE_PLAN_REMOVE_PATH, "/opt/kaspersky/kesl/bin/kesl");
	assert_int_equal(p->n_skipped, 1);
	const struct excise_plan_skip *k = skipped(p, "/usr");
	assert_string_equal(k->what, "path /usr");
	assert_non_null(strstr(k->why, "protected"));
	assert_true(k->refused);
	excise_plan_free(p);
}

/* Evidence that its indicator does not match (an edited report) is refused, the file there or not. */
static void test_unheld_evidence(void **state)
{
	struct fixture *fx = *state;
	put_file(fx, "usr/share/doc/x/README", "not Kaspersky's\n");
	put_file(fx, "opt/kaspersky/kesl/bin/kesl", "kesl\n");
	struct excise_plan *p = build(
		fx, FINDING("kesl",
			    /* the value does not match the indicator */
			    FILE_EV("/usr/share/doc/x/README", "kaspersky.file.path.opt-kaspersky-any") ","
			    /* the value matches, but it is not the path acted on */
			    EV("files", "file", "path", "/opt/kaspersky/kesl/bin/kesl", Q("/usr/share/doc/x/README"),
			       "kesl.file.path.opt-kaspersky-kesl-any") ","
			    /* not a file: checked before anything else */
			    EVX("dpkg", "package", "name", "bash", "null", "kesl.package.kesl",
				",\"attrs\":{\"package\":\"bash\"}")));
	assert_int_equal(p->n_steps, 0);
	assert_int_equal(p->n_skipped, 3);
	for (size_t i = 0; i < p->n_skipped; i++) {
		assert_true(p->skipped[i].refused);
		assert_non_null(strstr(p->skipped[i].why, "does not match its indicator"));
		assert_non_null(strstr(p->skipped[i].why, "excise-stock"));
	}
	assert_non_null(strstr(skipped(p, "/usr/share/doc/x/README")->why, "kaspersky.file.path.opt-kaspersky-any"));
	assert_non_null(strstr(skipped(p, "bash")->why, "kesl.package.kesl"));
	excise_plan_free(p);
}

/* ROOT/rel, a symlink to `target`, its parents made. */
static void put_link(struct fixture *fx, const char *rel, const char *target)
{
	put_file(fx, rel, "");
	char p[PATH_MAX];
	assert_true(snprintf(p, sizeof(p), "%s/%s", fx->dir, rel) < (int)sizeof(p));
	assert_int_equal(unlink(p), 0);
	assert_int_equal(symlink(target, p), 0);
}

/* Evidence observed again where it says it was (remove/rematch.c): a unit by its file's
 * content, an init script's rc link by the script it names; another file under the same
 * value is refused, a path gone is only skipped. */
static void test_rematch_units(void **state)
{
	struct fixture *fx = *state;
	put_file(fx, "lib/systemd/system/kesl.service", "[Service]\nExecStart=/opt/kaspersky/kesl/bin/kesl\n");
	put_file(fx, "lib/systemd/system/ssh.service", "[Service]\nExecStart=/usr/sbin/sshd -D\n");
	put_file(fx, "etc/init.d/kesl", "#!/bin/sh\n");
	put_file(fx, "etc/init.d/ssh", "#!/bin/sh\n");
	put_link(fx, "etc/rc2.d/S01kesl", "../init.d/kesl");
	put_link(fx, "etc/rc2.d/S01ssh", "../init.d/ssh");
	struct excise_plan *p = build_with(
		fx, "linux", "{\"name\":\"systemd\",\"status\":\"ok\",\"n_errors\":0,\"errors\":[],\"error\":null}",
		FINDING("kesl",
			EV("systemd", "service", "target", "/opt/kaspersky/kesl/bin/kesl",
			   Q("/lib/systemd/system/kesl.service"), "kaspersky.service.target.opt-kaspersky-any") ","
			EV("systemd", "service", "target", "/opt/kaspersky/kesl/bin/kesl",
			   Q("/lib/systemd/system/ssh.service"), "kaspersky.service.target.opt-kaspersky-any") ","
			EV("sysv", "service", "name", "kesl", Q("/etc/rc2.d/S01kesl"), "kesl.service.kesl") ","
			EV("sysv", "service", "name", "kesl", Q("/etc/rc2.d/S01ssh"), "kesl.service.kesl") ","
			EV("sysv", "service", "name", "kesl", Q("/etc/init.d/gone"), "kesl.service.kesl")),
		NOW_NS);
	bool stop = false, link = false;
	for (size_t i = 0; i < p->n_steps; i++) {
		const struct excise_plan_step *st = &p->steps[i];
		if (strstr(st->target, "ssh") || (st->path && strstr(st->path, "ssh")))
			fail_msg("step %u acts on %s", st->id, st->target);
		stop |= st->action == EXCISE_PLAN_STOP_SERVICE && !strcmp(st->target, "kesl.service");
		link |= st->action == EXCISE_PLAN_REMOVE_PATH && !strcmp(st->target, "/etc/rc2.d/S01kesl");
	}
	assert_true(stop);
	assert_true(link);
	const struct excise_plan_skip *k = skipped(p, "at /lib/systemd/system/ssh.service");
	assert_true(k->refused);
	assert_non_null(strstr(k->why, "no longer holds '/opt/kaspersky/kesl/bin/kesl'"));
	k = skipped(p, "at /etc/rc2.d/S01ssh");
	assert_true(k->refused);
	assert_non_null(strstr(k->why, "is ssh (a link to ssh), which indicator kesl.service.kesl does not match"));
	k = skipped(p, "at /etc/init.d/gone");
	assert_false(k->refused);
	assert_non_null(strstr(k->why, "is no longer there"));
	excise_plan_free(p);
}

static char *plan_json(const struct excise_plan *p, size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);
	assert_non_null(f);
	struct excise_err err = { 0 };
	int r = excise_plan_write(p, EXCISE_PLAN_JSON, f, &err);
	if (r < 0)
		fail_msg("excise_plan_write: %s", err.msg);
	assert_int_equal(fclose(f), 0);
	return buf;
}

static void str_eq(const char *a, const char *b)
{
	if (!a || !b)
		assert_true(a == b);
	else
		assert_string_equal(a, b);
}

/* What EXCISE_PLAN_JSON writes, excise_plan_read_json reads back unchanged. */
static void test_json_round_trip(void **state)
{
	struct fixture *fx = *state;
	linux_host(fx);
	put_dir(fx, "usr/share");
	char findings[sizeof(linux_findings) + 256];
	snprintf(findings, sizeof(findings), "%s,%s", linux_findings,
		 FINDING("kesl", FILE_EV("/usr", "kaspersky.file.path.opt-kaspersky")));
	struct excise_plan *p = build(fx, findings);
	assert_true(p->n_steps >= 6);
	assert_int_equal(p->n_skipped, 3); /* weak, /usr, and the process of an offline root */
	p->steps[0].pid = 4242;            /* no kill step on an offline root: a pid makes the round trip still */
	size_t len = 0;
	char *json = plan_json(p, &len);
	struct excise_plan *q = NULL;
	struct excise_err err = { 0 };
	int r = excise_plan_read_json("round-trip", json, len, &q, &err);
	if (r < 0)
		fail_msg("excise_plan_read_json: %s", err.msg);
	str_eq(q->report_id, p->report_id);
	str_eq(q->hostname, "test-host");
	str_eq(q->root, fx->dir);
	str_eq(q->platform, "linux");
	str_eq(q->catalog_id, p->catalog_id);
	str_eq(q->catalog_version, p->catalog_version);
	str_eq(q->catalog_sha256, p->catalog_sha256);
	assert_int_equal(q->live, p->live);
	assert_int_equal(q->created_ns, NOW_NS);
	assert_int_equal(q->scanned_ns, p->scanned_ns);
	assert_int_equal(q->reboot_required, p->reboot_required);
	assert_int_equal(q->n_steps, p->n_steps);
	for (size_t i = 0; i < p->n_steps; i++) {
		const struct excise_plan_step *a = &p->steps[i], *b = &q->steps[i];
		assert_int_equal(b->id, a->id);
		assert_int_equal(b->action, a->action);
		str_eq(b->target, a->target);
		str_eq(b->path, a->path);
		str_eq(b->version, a->version);
		str_eq(b->product, a->product);
		str_eq(b->note, a->note);
		assert_int_equal(b->pid, a->pid);
		assert_int_equal(b->live_only, a->live_only);
		assert_int_equal(b->fallback, a->fallback);
		assert_int_equal(b->reboot, a->reboot);
		assert_int_equal(b->seen.known, a->seen.known);
		assert_int_equal(b->seen.type, a->seen.type);
		assert_int_equal(b->seen.dev, a->seen.dev);
		assert_int_equal(b->seen.ino, a->seen.ino);
		assert_int_equal(b->seen.size, a->seen.size);
		assert_int_equal(b->seen.mtime_ns, a->seen.mtime_ns);
		assert_int_equal(b->n_evidence, a->n_evidence);
		for (size_t k = 0; k < a->n_evidence; k++) {
			str_eq(b->evidence[k].source, a->evidence[k].source);
			str_eq(b->evidence[k].kind, a->evidence[k].kind);
			str_eq(b->evidence[k].value, a->evidence[k].value);
			str_eq(b->evidence[k].path, a->evidence[k].path);
			str_eq(b->evidence[k].indicator, a->evidence[k].indicator);
			assert_int_equal(b->evidence[k].confidence, a->evidence[k].confidence);
		}
	}
	assert_int_equal(q->n_skipped, p->n_skipped);
	for (size_t i = 0; i < p->n_skipped; i++) {
		str_eq(q->skipped[i].what, p->skipped[i].what);
		str_eq(q->skipped[i].why, p->skipped[i].why);
		assert_int_equal(q->skipped[i].refused, p->skipped[i].refused);
	}
	/* and written again, byte for byte the same document */
	size_t len2 = 0;
	char *json2 = plan_json(q, &len2);
	assert_int_equal(len2, len);
	assert_string_equal(json2, json);
	free(json2);
	free(json);
	excise_plan_free(q);
	excise_plan_free(p);
}

/* A minimal excise.plan/1 document with one step. */
/* A plan of one step; `forms`: with the form of each of its args (a plan of this excise). */
static char *plan_doc(const char *schema, const char *action, unsigned n_args, bool forms)
{
	char args[1024] = "", f[1024] = "";
	for (unsigned i = 0; i < n_args; i++) {
		snprintf(args + strlen(args), sizeof(args) - strlen(args), "%s\"A%u\"", i ? "," : "", i);
		snprintf(f + strlen(f), sizeof(f) - strlen(f), "%s\"password\"", i ? "," : "");
	}
	char *doc = NULL;
	static const char tmpl[] =
		"{\"schema\":\"%s\",\"report_id\":null,"
		"\"host\":{\"hostname\":\"h\",\"machine_id\":null,\"root\":\"/\",\"platform\":\"linux\","
		"\"live\":false},"
		"\"catalog\":{\"id\":\"excise-stock\",\"version\":\"1\",\"sha256\":null},"
		"\"scanned_ns\":1,\"created_ns\":2,\"reboot_required\":false,"
		"\"steps\":[{\"id\":1,\"action\":\"%s\",\"target\":\"/opt/kaspersky\","
		"\"version\":null,\"path\":null,\"product\":\"kesl\",\"note\":null,\"args\":[%s],%s%s%s\"pid\":0,"
		"\"live_only\":false,\"fallback\":false,\"reboot\":false,\"seen\":{\"known\":false},"
		"\"evidence\":[{\"source\":\"files\",\"kind\":\"file\",\"value\":\"/opt/kaspersky\","
		"\"path\":\"/opt/kaspersky\",\"indicator\":\"kaspersky.file.path.opt-kaspersky\","
		"\"confidence\":\"definitive\"}]}],"
		"\"skipped\":[]}";
	assert_true(asprintf(&doc, tmpl, schema, action, args, forms ? "\"forms\":[" : "", forms ? f : "",
			     forms ? "]," : "") > 0);
	return doc;
}

/* Read `doc` as plan NAME: 0, or `want` with a message naming the plan and containing `msg`. */
static void read_is(char *doc, int want, const char *msg)
{
	struct excise_plan *p = NULL;
	struct excise_err err = { 0 };
	int r = excise_plan_read_json("NAME", doc, strlen(doc), &p, &err);
	if (r != want)
		fail_msg("excise_plan_read_json = %d, want %d: %s", r, want, err.msg);
	if (want == 0) {
		assert_non_null(p);
		assert_int_equal(p->n_steps, 1);
		assert_int_equal(p->created_ns, 2);
	} else {
		assert_null(p);
		assert_non_null(strstr(err.msg, "plan 'NAME'"));
		if (!strstr(err.msg, msg))
			fail_msg("message '%s' lacks '%s'", err.msg, msg);
	}
	excise_plan_free(p);
	free(doc);
}

/* Plans that are not excise.plan/1 as written are refused, naming the plan and the place. */
static void test_read_refusals(void **state)
{
	(void)state;
	read_is(plan_doc("excise.plan/1", "remove-path", 0, true), 0, NULL);
	read_is(plan_doc("excise.plan/1", "msi-uninstall", EXCISE_MAX_PLAN_ARGS, true), 0, NULL);
	read_is(plan_doc("excise.plan/2", "remove-path", 0, true), -EXCISE_E_CORRUPT, "schema");
	read_is(plan_doc("excise.report/1", "remove-path", 0, true), -EXCISE_E_CORRUPT, "schema");
	read_is(plan_doc("excise.plan/1", "format-disk", 0, true), -EXCISE_E_CORRUPT, "/steps/0/action: expected one of stop-service|");
	read_is(plan_doc("excise.plan/1", "", 0, true), -EXCISE_E_CORRUPT, "/steps/0/action: expected one of");
	read_is(plan_doc("excise.plan/1", "msi-uninstall", EXCISE_MAX_PLAN_ARGS + 1, true), -EXCISE_E_CORRUPT,
		"/steps/0/args: expected an array of at most");
	read_is(plan_doc("excise.plan/1", "msi-uninstall", 2, false), -EXCISE_E_CORRUPT,
		"/steps/0/forms: expected the form of each of args");
	read_is(strdup("{\"schema\":"), -EXCISE_E_CORRUPT, "line 1");
	read_is(strdup("[]"), -EXCISE_E_CORRUPT, "expected a JSON object");
	/* the size is checked before anything is read */
	struct excise_plan *p = NULL;
	struct excise_err err = { 0 };
	assert_int_equal(excise_plan_read_json("NAME", "{}", (size_t)EXCISE_MAX_PLAN_SIZE + 1, &p, &err),
			 -EXCISE_E_TOOBIG);
	assert_null(p);
	assert_non_null(strstr(err.msg, "plan 'NAME'"));

	/* EXCISE_MAX_PLAN_EVIDENCE evidence items of a step, and one more */
	for (unsigned extra = 0; extra < 2; extra++) {
		char *doc = plan_doc("excise.plan/1", "remove-path", 0, true);
		char *ev = strstr(doc, "{\"source\"");
		char *ev_end = strstr(ev, "}]}],");
		size_t one = (size_t)(ev_end + 1 - ev), head = (size_t)(ev - doc);
		size_t n = EXCISE_MAX_PLAN_EVIDENCE + extra;
		char *big = malloc(strlen(doc) + n * (one + 1) + 1);
		assert_non_null(big);
		memcpy(big, doc, head);
		size_t at = head;
		for (size_t i = 0; i < n; i++) {
			if (i)
				big[at++] = ',';
			memcpy(big + at, ev, one);
			at += one;
		}
		strcpy(big + at, ev_end + 1);
		free(doc);
		read_is(big, extra ? -EXCISE_E_CORRUPT : 0, "/steps/0/evidence: expected an array of 1 to");
	}
	/* EXCISE_MAX_PLAN_STEPS skipped entries, and one more */
	for (unsigned extra = 0; extra < 2; extra++) {
		char *doc = plan_doc("excise.plan/1", "remove-path", 0, true);
		static const char entry[] = "{\"what\":\"w\",\"why\":\"y\",\"refused\":false}";
		size_t n = EXCISE_MAX_PLAN_STEPS + extra;
		char *big = malloc(strlen(doc) + n * sizeof(entry) + 1);
		assert_non_null(big);
		char *sk = strstr(doc, "\"skipped\":[]");
		size_t at = (size_t)(sk - doc) + strlen("\"skipped\":[");
		memcpy(big, doc, at);
		for (size_t i = 0; i < n; i++) {
			if (i)
				big[at++] = ',';
			memcpy(big + at, entry, sizeof(entry) - 1);
			at += sizeof(entry) - 1;
		}
		strcpy(big + at, sk + strlen("\"skipped\":["));
		free(doc);
		read_is(big, extra ? -EXCISE_E_CORRUPT : 0, "/skipped: expected an array of at most");
	}
}

/* `doc` with `text` inserted just after the first `after` in it. */
static char *insert_after(char *doc, const char *after, const char *text)
{
	char *at = strstr(doc, after);
	assert_non_null(at);
	at += strlen(after);
	char *out = NULL;
	assert_true(asprintf(&out, "%.*s%s%s", (int)(at - doc), doc, text, at) > 0);
	free(doc);
	return out;
}

/* excise.plan/1 is read strictly: a member the format does not have, at any level, is
 * refused naming it and its place (what excise writes is read: test_json_round_trip). */
static void test_read_unknown(void **state)
{
	(void)state;
	static const struct {
		const char *after, *text, *msg;
	} cases[] = {
		{ "{", "\"steps_extra\":[],", ": unknown member 'steps_extra'" },
		{ "\"host\":{", "\"os\":\"linux\",", "/host: unknown member 'os'" },
		/* the scan's platforms (one scope for the plan and the removal's re-match) */
		{ "\"host\":{", "\"platforms\":[\"linux\"],", "/host/platforms: expected a non-empty string or null" },
		{ "\"host\":{", "\"platforms\":\"windows,linux\",", "/host/platforms: expected a comma-separated list" },
		{ "\"host\":{", "\"platforms\":\"linux,beos\",", "/host/platforms: expected a comma-separated list" },
		{ "\"catalog\":{", "\"signed\":true,", "/catalog: unknown member 'signed'" },
		{ "\"steps\":[{", "\"shell\":\"rm -rf /\",", "/steps/0: unknown member 'shell'" },
		{ "\"evidence\":[{", "\"sha256\":\"00\",", "/steps/0/evidence/0: unknown member 'sha256'" },
		{ "\"seen\":{", "\"dev\":1,", "/steps/0/seen: unknown member 'dev'" },
		{ "\"skipped\":[", "{\"what\":\"w\",\"why\":\"y\",\"refused\":false,\"force\":true}",
		  "/skipped/0: unknown member 'force'" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		read_is(insert_after(plan_doc("excise.plan/1", "remove-path", 0, true), cases[i].after, cases[i].text),
			-EXCISE_E_CORRUPT, cases[i].msg);
	/* a seen object of a path that was there: its members, and no others */
	static const char known[] = "\"seen\":{\"known\":true,\"type\":\"d\",\"dev\":1,\"ino\":2,\"size\":3,"
				    "\"mtime_ns\":4";
	char *doc = plan_doc("excise.plan/1", "remove-path", 0, true);
	char *at = strstr(doc, "\"seen\":{\"known\":false");
	assert_non_null(at);
	char *ok = NULL, *bad = NULL;
	const char *rest = at + strlen("\"seen\":{\"known\":false");
	assert_true(asprintf(&ok, "%.*s%s%s", (int)(at - doc), doc, known, rest) > 0);
	assert_true(asprintf(&bad, "%.*s%s,\"mode\":420%s", (int)(at - doc), doc, known, rest) > 0);
	free(doc);
	read_is(ok, 0, NULL);
	read_is(bad, -EXCISE_E_CORRUPT, "/steps/0/seen: unknown member 'mode'");
	/* the times written for people to read are members of the format */
	read_is(insert_after(plan_doc("excise.plan/1", "remove-path", 0, true), "{",
			     "\"scanned\":\"2026-12-07T16:00:00Z\",\"created\":\"2026-12-07T16:00:01Z\","), 0, NULL);
}

/* Package names for dpkg and rpm: at most EXCISE_MAX_PACKAGE_NAME_LEN bytes of a safe alphabet. */
static void test_package_names(void **state)
{
	(void)state;
	char name[EXCISE_MAX_PACKAGE_NAME_LEN + 2];
	memset(name, 'k', sizeof(name) - 1);
	name[EXCISE_MAX_PACKAGE_NAME_LEN] = 0;
	assert_true(pkgdb_name_ok(name));
	name[EXCISE_MAX_PACKAGE_NAME_LEN] = 'k';
	name[EXCISE_MAX_PACKAGE_NAME_LEN + 1] = 0;
	assert_false(pkgdb_name_ok(name));
	assert_false(pkgdb_name_ok("-rf"));
	assert_false(pkgdb_name_ok("a b"));
	assert_true(pkgdb_name_ok("kesl-12.1_amd64+x~1"));
}

/* opts.now_ns pins when the plan was made; 0 takes the clock. */
static void test_now(void **state)
{
	struct fixture *fx = *state;
	struct excise_plan *p = build(fx, "");
	assert_int_equal(p->created_ns, NOW_NS);
	assert_int_equal(p->n_steps, 0);
	size_t len = 0;
	char *json = plan_json(p, &len);
	assert_non_null(strstr(json, "\"created_ns\": 1700000000123456789"));
	assert_non_null(strstr(json, "\"created\": \"2023-11-14T22:13:20.123Z\""));
	free(json);
	excise_plan_free(p);

	struct timespec t0, t1;
	clock_gettime(CLOCK_REALTIME, &t0);
	p = build_on(fx, "linux", "", 0);
	clock_gettime(CLOCK_REALTIME, &t1);
	assert_true(p->created_ns >= (int64_t)t0.tv_sec * 1000000000 + t0.tv_nsec);
	assert_true(p->created_ns <= (int64_t)t1.tv_sec * 1000000000 + t1.tv_nsec);
	excise_plan_free(p);
}

/* What the scan could not see is said: a failed source, and item errors of one that ran. */
static void test_unseen(void **state)
{
	struct fixture *fx = *state;
	struct excise_plan *p = build_with(
		fx, "linux",
		"{\"name\":\"rpm\",\"status\":\"failed\",\"n_errors\":0,\"errors\":[],\"error\":\"database corrupt\"},"
		"{\"name\":\"files\",\"status\":\"ok\",\"n_errors\":3,\"errors\":[\"'/opt/x': permission denied\"],"
		"\"error\":null},"
		"{\"name\":\"dpkg\",\"status\":\"ok\",\"n_errors\":0,\"errors\":[],\"error\":null}",
		"", 0);
	assert_int_equal(p->n_steps, 0);
	assert_int_equal(p->n_skipped, 2);
	assert_string_equal(p->skipped[0].what, "source rpm");
	assert_non_null(strstr(p->skipped[0].why, "failed (database corrupt)"));
	assert_false(p->skipped[0].refused);
	assert_string_equal(p->skipped[1].what, "source files");
	assert_non_null(strstr(p->skipped[1].why, "3 items not read (first: '/opt/x': permission denied)"));
	assert_false(p->skipped[1].refused);
	excise_plan_free(p);
}

static void from_another_source(struct excise_scan *s, bool undo)
{
	static const char *was;
	struct excise_evidence *e = &s->findings[0].evidence[0];
	if (!undo)
		was = e->source;
	e->source = undo ? was : "inventory-import";
}

static void indicator_unknown(struct excise_scan *s, bool undo)
{
	static const struct excise_indicator *was;
	struct excise_evidence *e = &s->findings[0].evidence[0];
	if (!undo)
		was = e->indicator;
	e->indicator = undo ? was : NULL;
}

/* Evidence no rule covers, or whose indicator the catalog lacks, is refused, never dropped;
 * evidence excise leaves to the operator is skipped with the way to remove it. */
static void test_rules(void **state)
{
	struct fixture *fx = *state;
	put_file(fx, "opt/kaspersky/kesl/bin/kesl", "kesl\n");
	mutate = from_another_source;
	struct excise_plan *p = build(fx, FINDING("kesl", KESL_BIN));
	mutate = NULL;
	assert_int_equal(p->n_steps, 0);
	assert_int_equal(p->n_skipped, 1);
	assert_true(p->skipped[0].refused);
	assert_non_null(strstr(p->skipped[0].why, "no removal rule for file evidence from source inventory-import on linux"));
	excise_plan_free(p);

	mutate = indicator_unknown;
	p = build(fx, FINDING("kesl", KESL_BIN));
	mutate = NULL;
	assert_int_equal(p->n_steps, 0);
	assert_int_equal(p->n_skipped, 1);
	assert_true(p->skipped[0].refused);
	assert_non_null(strstr(p->skipped[0].what, "/opt/kaspersky/kesl/bin/kesl"));
	assert_non_null(strstr(p->skipped[0].why, "is not in catalog excise-stock"));
	assert_non_null(strstr(p->skipped[0].why, "scan again with this catalog"));
	excise_plan_free(p);

	p = build_on(fx, "windows",
		     FINDING("browser-ext", EVX("browser-extensions", "extension", "name", "ddoleachckhhdmhpbkddgechjfhnphpe",
						Q("/Users/a/AppData/Local/Google/Chrome/User Data/Default/Extensions/ddoleachckhhdmhpbkddgechjfhnphpe"),
						"browser-ext.extension.ddoleachckhhdmhpbkddgechjfhnphpe",
						",\"attrs\":{\"browser\":\"chrome\"}")),
		     NOW_NS);
	assert_int_equal(p->n_steps, 0);
	assert_int_equal(p->n_skipped, 1);
	assert_false(p->skipped[0].refused);
	assert_non_null(strstr(p->skipped[0].why, "browser-extensions evidence: not removed by excise on Windows (remove it through the browser"));
	excise_plan_free(p);

	/* every source of this excise has a rule on every platform it reads */
	static const char *const platforms[] = { "linux", "windows", "macos" };
	for (size_t i = 0; i < source_table_len; i++)
		for (size_t k = 0; k < 3; k++) {
			const char *sp = source_table[i]->platform;
			size_t n = strlen(platforms[k]);
			const char *at = strstr(sp, platforms[k]);
			bool reads = !strcmp(sp, "any") || (at && (at == sp || at[-1] == ',') && (!at[n] || at[n] == ','));
			if (reads && !plan_has_rule(platforms[k], source_table[i]->name))
				fail_msg("source %s has no removal rule on %s", source_table[i]->name, platforms[k]);
		}
	assert_false(plan_has_rule("linux", "inventory-import"));
}

/* The findings of issue 12 with no catalog product, kinds and states set on the report read
 * back (excise.report/1 has neither). */
static void as_issue12(struct excise_scan *s, bool undo)
{
	for (size_t i = 0; !undo && i < s->n_findings; i++) {
		struct excise_finding *f = &s->findings[i];
		if (strstr(f->product_id, ":unlisted:"))
			f->kind = EXCISE_FINDING_UNLISTED;
		else if (strstr(f->product_id, ":traces"))
			f->kind = EXCISE_FINDING_TRACES;
		else if (strstr(f->product_id, ":unidentified"))
			f->state = EXCISE_STATE_TRUST;
	}
}

#define VENDOR_FINDING(id, name, state, evidence)                                                          \
	"{\"product\":{\"id\":\"" id "\",\"name\":\"" name "\"},\"vendor\":{\"id\":\"kaspersky\",\"name\":" \
	"\"AO Kaspersky Lab\"},\"state\":\"" state "\",\"confidence\":\"strong\",\"evidence\":[" evidence "]}"
#define UNINSTALL_KEY "HKLM\\\\SOFTWARE\\\\Microsoft\\\\Windows\\\\CurrentVersion\\\\Uninstall\\\\KFoo"

/* An unlisted install is planned by its evidence, and the plan says it has no recipe; traces
 * are left alone with the reason; a lone trusted root (trust) is planned for removal. */
static void test_issue12_kinds(void **state)
{
	struct fixture *fx = *state;
	mutate = as_issue12;
	struct excise_plan *p = build_with(
		fx, "windows", "{\"name\":\"win-software\",\"status\":\"ok\",\"n_errors\":0,\"errors\":[],\"error\":null}",
		VENDOR_FINDING("kaspersky:unlisted:kaspersky-foo", "Kaspersky Foo 3.1, not in catalog", "installed",
			       EVX("win-software", "package", "publisher", "Kaspersky Lab", Q(UNINSTALL_KEY),
				   "kaspersky.package.publisher.kaspersky-re", ",\"active\":true")) ","
		VENDOR_FINDING("kaspersky:traces", "AO Kaspersky Lab: traces (no product)", "remnant",
			       EV("files", "file", "name", "kaspersky", Q("/Users/a/kaspersky-notes.md"),
				  "kaspersky.file.any-kaspersky-any")),
		NOW_NS);
	mutate = NULL;
	assert_int_equal(p->n_steps, 0);
	assert_int_equal(p->n_skipped, 2);
	const struct excise_plan_skip *k = skipped(p, "Kaspersky Foo 3.1, not in catalog");
	assert_false(k->refused);
	assert_non_null(strstr(k->why, "no recipe and no uninstall step; uninstall it with its UninstallString in "
				       "HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\KFoo"));
	k = skipped(p, "/Users/a/kaspersky-notes.md");
	assert_false(k->refused);
	assert_non_null(strstr(k->why, "weak trace of AO Kaspersky Lab outside every product's place"));
	excise_plan_free(p);

	/* an unlisted MSI registration: uninstalled by its product code, no recipe said */
	mutate = as_issue12;
	p = build_with(fx, "windows",
		       "{\"name\":\"win-software\",\"status\":\"ok\",\"n_errors\":0,\"errors\":[],\"error\":null}",
		       VENDOR_FINDING("kaspersky:unlisted:kaspersky-bar", "Kaspersky Bar, not in catalog", "installed",
				      EVX("win-software", "package", "publisher", "Kaspersky Lab", Q(UNINSTALL_KEY),
					  "kaspersky.package.publisher.kaspersky-re",
					  ",\"active\":true,\"attrs\":{\"msi_product_code\":"
					  "\"{11111111-2222-3333-4444-555555555555}\"}")),
		       NOW_NS);
	mutate = NULL;
	step_is(p, 0, EXCISE_PLAN_MSI_UNINSTALL, "{11111111-2222-3333-4444-555555555555}");
	assert_string_equal(p->steps[0].product, "kaspersky:unlisted:kaspersky-bar");
	k = skipped(p, "Kaspersky Bar, not in catalog");
	assert_non_null(strstr(k->why, "the plan uninstalls it through its registration"));
	excise_plan_free(p);

	/* trust: the certificate is removed and the store regenerated */
	linux_host(fx);
	mutate = as_issue12;
	p = build_with(fx, "linux",
		       "{\"name\":\"truststore\",\"status\":\"ok\",\"n_errors\":0,\"errors\":[],\"error\":null}",
		       VENDOR_FINDING("kaspersky:unidentified", "AO Kaspersky Lab product (unidentified)", "remnant",
				      EVX("truststore", "cert", "publisher", "AO Kaspersky Lab",
					  Q("/usr/local/share/ca-certificates/kaspersky.crt"),
					  "kaspersky.cert.publisher.ao-kaspersky-lab",
					  ",\"state\":\"trusted\",\"active\":true,\"attrs\":{\"sha256\":\"" CERT_SHA "\"}")),
		       NOW_NS);
	mutate = NULL;
	step_is(p, 0, EXCISE_PLAN_REMOVE_CERT, CERT_SHA);
	step_is(p, 1, EXCISE_PLAN_REGEN_TRUST, "trust-store");
	assert_int_equal(p->n_steps, 2);
	assert_int_equal(p->n_skipped, 0);
	excise_plan_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_weak_only, setup, teardown),
		cmocka_unit_test_setup_teardown(test_strong_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nested, setup, teardown),
		cmocka_unit_test_setup_teardown(test_protected_path, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unheld_evidence, setup, teardown),
		cmocka_unit_test(test_read_unknown),
		cmocka_unit_test_setup_teardown(test_json_round_trip, setup, teardown),
		cmocka_unit_test(test_read_refusals),
		cmocka_unit_test(test_package_names),
		cmocka_unit_test_setup_teardown(test_now, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unseen, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rules, setup, teardown),
		cmocka_unit_test_setup_teardown(test_issue12_kinds, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rematch_units, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
