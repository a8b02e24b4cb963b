/* SPDX-License-Identifier: Apache-2.0 */
/*
 * action-package: the native uninstalls (lib/remove/action.h): dpkg --purge and
 * rpm -e (dependents first; offline, no program of the image runs here), and the
 * MSI uninstall with the password properties the product's catalog recipe names.
 * Each with its note, its step in excise remove and its sh and ps1 forms.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/err.h"
#include "core/limits.h"
#include "parse/dpkg.h"
#include "remove/action.h"
#include "remove/pkgdb.h"
#include "remove/plan_int.h"
#include "remove/remove_int.h"
#include "parse/rpmdb.h"

/* The directory `dir` of the root is the same seen from inside it and from the host
 * (or missing both ways): no symlink on the way leads out of the root. */
static int same_both_ways(struct run *x, const char *dir, const char *pkg, struct excise_err *err)
{
	struct stat in, out;
	int a = root_openat(&x->root, dir, O_PATH | O_DIRECTORY);
	char *host = NULL;
	int b = asprintf(&host, "%s%s", x->root.path, dir) < 0 ? -ENOMEM : open(host, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (b < 0 && host)
		b = -errno;
	free(host);
	bool missing = (a == -ENOENT || a == -ENOTDIR) && (b == -ENOENT || b == -ENOTDIR);
	bool same = a >= 0 && b >= 0 && fstat(a, &in) == 0 && fstat(b, &out) == 0 && in.st_dev == out.st_dev &&
		    in.st_ino == out.st_ino;
	if (a >= 0)
		close(a);
	if (b >= 0)
		close(b);
	if (b == -ENOMEM)
		return err_set(err, -ENOMEM, "out of memory");
	if (missing || same)
		return 0;
	return err_set(err, -EXCISE_E_ESCAPE, "package %s: '%s' is not the same directory seen from the host (a "
		       "symlink that leads out of the root): dpkg would act on the host's files; not removed", pkg, dir);
}

/* A name in dpkg's info directory that belongs to `pkg` (PKG.EXT or PKG:ARCH.EXT). */
static bool info_of(const char *name, const char *pkg, const char *ext)
{
	size_t n = strlen(pkg), e = strlen(ext), l = strlen(name);
	if (l < n + e || strncmp(name, pkg, n) || strcmp(name + l - e, ext))
		return false;
	return l == n + e || (name[n] == ':' && l > n + 1 + e);
}

struct list_check {
	struct run *x;
	const char *pkg;
	struct strset *dirs;     /* checked already */
	struct excise_err *err;
};

static int check_list_dir(void *ud, const char *dir, size_t len)
{
	struct list_check *lc = ud;
	if (strset_has(lc->dirs, dir, len))
		return 0;
	char *d = strndup(dir, len);
	int r = !d || strset_add(lc->dirs, dir, len) < 0 ? err_set(lc->err, -ENOMEM, "out of memory")
							  : same_both_ways(lc->x, d, lc->pkg, lc->err);
	free(d);
	return r;
}

/*
 * Before dpkg --root purges `pkg` in an offline root. dpkg joins the root and each
 * path of the package to act on it, so the host's kernel resolves the symlinks on
 * the way: every directory of dpkg's database and of the package's file list must be
 * the same from inside the root and from the host. And the package's maintainer
 * scripts are programs of the image: they go into the quarantine instead of being
 * run (chrooted, but as root) on this machine; what they would have cleaned up is a
 * leftover for the rescan.
 */
static int dpkg_offline_guard(struct run *x, const char *pkg, struct excise_err *err)
{
	static const char *const admin[] = { "/var", "/var/lib", "/var/lib/dpkg", "/var/lib/dpkg/info" };
	for (size_t i = 0; i < sizeof(admin) / sizeof(admin[0]); i++) {
		int r = same_both_ways(x, admin[i], pkg, err);
		if (r < 0)
			return r;
	}
	int c = pkgdb_dpkg_check(&x->root, true, err);
	if (c < 0)
		return c;
	DIR *dh = NULL;
	int r = root_opendir(&x->root, "/var/lib/dpkg/info", &dh);
	if (r < 0)
		return err_setc(err, r, "package %s: opening /var/lib/dpkg/info", pkg);
	struct strset dirs;
	strset_init(&dirs);
	struct dirent *de;
	char **scripts = NULL;
	size_t n_scripts = 0;
	while (r == 0 && (de = readdir(dh))) {
		if (info_of(de->d_name, pkg, ".prerm") || info_of(de->d_name, pkg, ".postrm")) {
			char **v = realloc(scripts, (n_scripts + 1) * sizeof(*v));
			char *p = v ? path_join("/var/lib/dpkg/info", de->d_name) : NULL;
			if (v)
				scripts = v;
			if (!p) {
				r = err_set(err, -ENOMEM, "out of memory");
				break;
			}
			scripts[n_scripts++] = p;
			continue;
		}
		if (!info_of(de->d_name, pkg, ".list"))
			continue;
		char *lp = path_join("/var/lib/dpkg/info", de->d_name), *text = NULL;
		size_t len = 0;
		struct stat lst = { 0 };
		r = lp ? root_read_regular(&x->root, lp, EXCISE_MAX_DPKG_LIST_SIZE, &text, &len, &lst) : -ENOMEM;
		if (r < 0) {
			r = r == -EXCISE_E_TOOBIG ? err_set(err, r, "'%s': over %u bytes", lp, EXCISE_MAX_DPKG_LIST_SIZE) :
			    r == -ELOOP || r == -EXCISE_E_SPECIAL || r == -EISDIR ?
				err_set(err, -EXCISE_E_REFUSED, "'%s' is a %s, not dpkg's file list: not read, dpkg not run",
					lp, r == -ELOOP ? "symbolic link" : root_type_name(lst.st_mode)) :
				err_setc(err, r, "'%s'", lp ? lp : de->d_name);
			free(lp);
			break;
		}
		struct list_check lc = { .x = x, .pkg = pkg, .dirs = &dirs, .err = err };
		r = dpkg_list_dirs(text, len, check_list_dir, &lc);
		free(text);
		free(lp);
	}
	closedir(dh);
	strset_done(&dirs);
	for (size_t i = 0; i < n_scripts; i++) {
		if (r == 0 && remove_put(x, scripts[i], NULL, err) == EXCISE_STEP_FAILED)
			r = err->code ? err->code : -EIO;
		free(scripts[i]);
	}
	free(scripts);
	return r;
}

int remove_dpkg_guard(struct run *x, const char *pkg, struct excise_err *err)
{
	return dpkg_offline_guard(x, pkg, err);
}

void remove_package_argv(struct run *x, const struct excise_plan_step *s, char *opt, size_t size,
			 const char *argv[REMOVE_PACKAGE_ARGV])
{
	const char *const *v;
	if (s->action == EXCISE_PLAN_DPKG_PURGE) {
		snprintf(opt, size, "--root=%s", x->root.path);
		const char *live[] = { "dpkg", "--purge", "--", s->target, NULL };
		/* offline: no trigger of another package of the image runs either (a second
		 * line: the confinement lets no program of the image run) */
		const char *off[] = { "dpkg", opt, "--no-triggers", "--purge", "--", s->target, NULL };
		v = x->root.live ? live : off;
		for (size_t i = 0; (argv[i] = v[i]); i++)
			;
	} else {
		/* `opt` holds the database's path resolved in the root */
		const char *db = pkgdb_rpm_dbpath(&x->root, opt, size);
		/* offline, the package's scriptlets are programs of the image: never run here */
		const char *live[] = { "rpm", "--dbpath", db ? db : "/var/lib/rpm", "-e", "--", s->target, NULL };
		const char *off[] = { "rpm", "--root", x->root.path, "--dbpath", db ? db : "/var/lib/rpm",
				      "--noscripts", "--notriggers", "-e", "--", s->target, NULL };
		v = x->root.live ? live : off;
		for (size_t i = 0; (argv[i] = v[i]); i++)
			;
	}
}

bool remove_dpkg_script(const char *name, const char *pkg)
{
	return info_of(name, pkg, ".prerm") || info_of(name, pkg, ".postrm");
}

static enum excise_step_outcome do_package(struct run *x, const struct excise_plan_step *s, int log_fd,
					   struct excise_err *err)
{
	bool present;
	int r = remove_check_package(x, s, &present, err);
	if (r < 0) {
		remove_say(x, "%s", err->msg);
		return r == -EXCISE_E_REFUSED ? EXCISE_STEP_REFUSED : EXCISE_STEP_FAILED;
	}
	if (!present) {
		remove_say(x, "package %s is not installed", s->target);
		return EXCISE_STEP_ALREADY;
	}
	char opt[4200];
	const char *argv[REMOVE_PACKAGE_ARGV];
	remove_package_argv(x, s, opt, sizeof(opt), argv);
	if (s->action == EXCISE_PLAN_DPKG_PURGE && !x->root.live && (r = dpkg_offline_guard(x, s->target, err)) < 0) {
		remove_say(x, "%s", err->msg);
		return r == -EXCISE_E_ESCAPE || r == -EXCISE_E_REFUSED ? EXCISE_STEP_REFUSED : EXCISE_STEP_FAILED;
	}
	r = remove_tool(x, log_fd, argv, err);
	/* the result is what the database says afterwards, not the exit status */
	struct pkg_info pi;
	int q = pkgdb_query(&x->root, remove_pkgdb_kind(s), s->target, log_fd, &pi, err);
	bool gone = q == 0 && !pi.present;
	if (q == 0)
		pkg_info_done(&pi);
	if (gone) {
		remove_say(x, "package %s %s removed (%s)", s->target, s->version ? s->version : "",
		    s->action == EXCISE_PLAN_DPKG_PURGE ? "dpkg --purge" : "rpm -e");
		return EXCISE_STEP_DONE;
	}
	if (r == 0)
		remove_say(x, "package %s is still in the database after removal", s->target);
	return EXCISE_STEP_FAILED;
}
static enum excise_step_outcome package_apply(struct run *x, const struct excise_plan_step *s, int log_fd,
					      struct excise_err *err)
{
	return do_package(x, s, log_fd, err);
}

/* ---- dpkg-purge ---- */

static void dpkg_sh(const struct excise_plan *p, const struct excise_plan_step *s, FILE *out)
{
	fputs("\t# shellcheck disable=SC2016\n\tif dpkg-query --admindir=\"$ROOT/var/lib/dpkg\" -W "
	      "-f='${db:Status-Abbrev}' -- ", out);
	emit_sq(out, s->target);
	fputs(" 2>/dev/null | grep -q '^[a-z][^n]'; then\n", out);
	if (!p->live) {
		/* the image's maintainer scripts are not run here: into the quarantine with them */
		static const char *const scripts[] = { ".prerm", ".postrm", ":*.prerm", ":*.postrm" };
		fputs("\t\tfor f in", out);
		for (size_t i = 0; i < sizeof(scripts) / sizeof(scripts[0]); i++) {
			fputs(" \"$ROOT\"/var/lib/dpkg/info/", out);
			emit_sq(out, s->target);
			fputs(scripts[i], out);
		}
		fputs("; do\n\t\t\tif [ -e \"$f\" ]; then quarantine \"$f\" f || return 1; fi\n\t\tdone\n", out);
	}
	fprintf(out, "\t\trun dpkg%s --purge -- ", p->live ? "" : " --root=\"$ROOT\"");
	emit_sq(out, s->target);
	fputs(" || return 1\n\telse\n\t\tlog \"  not installed\"\n\tfi\n", out);
}

const struct action_ops action_dpkg_purge = {
	.name = "dpkg-purge", .rank = 4, .keeps_order = true,
	.apply = package_apply, .sh = dpkg_sh,
};

/* ---- rpm-erase ---- */

static void rpm_sh(const struct excise_plan *p, const struct excise_plan_step *s, FILE *out)
{
	fputs("\tif pkg_rpm -q -- ", out);
	emit_sq(out, s->target);
	/* offline, the scriptlets are programs of the image: not run here */
	fprintf(out, " >/dev/null 2>&1; then\n\t\trun pkg_rpm -e%s -- ", p->live ? "" : " --noscripts --notriggers");
	emit_sq(out, s->target);
	fputs(" || return 1\n\telse\n\t\tlog \"  not installed\"\n\tfi\n", out);
}

const struct action_ops action_rpm_erase = {
	.name = "rpm-erase", .rank = 4, .keeps_order = true,
	.apply = package_apply, .sh = rpm_sh,
};

/* ---- msi-uninstall ---- */

static const char *msi_note(const struct excise_plan *p, const struct excise_plan_step *s, char *buf, size_t size)
{
	(void)p, (void)s, (void)buf, (void)size;
	return "managed installs ask for the uninstall password: the script takes it from the operator";
}

static void msi_ps1(const struct excise_plan_step *s, FILE *out)
{
	fputs("    $msiArgs = @('/x', ", out);
	emit_psq(out, s->target);
	fputs(", '/qn', '/norestart')\n", out);
	/* each property the product takes, in the form the catalog gives it */
	for (size_t i = 0; s->args && s->args[i]; i++) {
		const char *form = s->forms && s->forms[i] ? s->forms[i] : "password";
		fputs(i ? "; " : "    if ($Password) { ", out);
		fputs("$msiArgs += ", out);
		emit_psq_with(out, s->args[i], "=");
		fputs(!strcmp(form, "user") ? " + $User" : !strcmp(form, "password-utf16le-hex") ?
		      " + (ConvertTo-Utf16Hex $Password)" : " + (ConvertTo-Plain $Password)", out);
		fputs(s->args[i + 1] ? "" : " }\n", out);
	}
	fputs("    $code = Invoke-Msi $msiArgs", out);
	if (s->user) {
		fputs(" ", out);
		emit_psq(out, s->user);
	}
	fputs("\n"
	      "    if ($code -eq 1605) { Write-Log '  not installed'; return }\n"
	      "    if ($code -eq 3010) { $script:Reboot = $true; return }\n"
	      "    if ($code -ne 0) { throw \"msiexec exit code $code\" }\n", out);
}

const struct action_ops action_msi_uninstall = {
	.name = "msi-uninstall", .rank = 5, .keeps_order = true,
	.note = msi_note, .ps1 = msi_ps1,
};

/* ---- uninstall-string ---- */

static const char *string_note(const struct excise_plan *p, const struct excise_plan_step *s, char *buf, size_t size)
{
	(void)p;
	snprintf(buf, size, "the UninstallString of %s, run as registered (the catalog names no silent switch: the "
		 "vendor's wizard asks the operator)%s%s%s", s->target, s->user ? "; a per-user install, run as " : "",
		 s->user ? s->user : "", s->user ? " (-UserCredential)" : "");
	return buf;
}

/* The program of a command line and where its arguments begin: a quoted program, or the
 * text up to the first ".exe" that ends a word (C:\Program Files\X\setup.exe /x, unquoted,
 * as installers register it), or up to the first space. */
static void split_command(const char *cmd, size_t *prog_at, size_t *prog_len, const char **args)
{
	const char *p = cmd + strspn(cmd, " \t");
	if (*p == '"') {
		const char *q = strchr(p + 1, '"');
		*prog_at = (size_t)(p + 1 - cmd);
		*prog_len = q ? (size_t)(q - p - 1) : strlen(p + 1);
		*args = q ? q + 1 : p + strlen(p);
	} else {
		const char *end = NULL;
		for (const char *x = p; (x = strcasestr(x, ".exe")) && !end; x += 4)
			if (!x[4] || x[4] == ' ' || x[4] == '\t')
				end = x + 4;
		if (!end)
			end = p + strcspn(p, " \t");
		*prog_at = (size_t)(p - cmd);
		*prog_len = (size_t)(end - p);
		*args = end;
	}
	*args += strspn(*args, " \t");
}

static void string_ps1(const struct excise_plan_step *s, FILE *out)
{
	const char *cmd = s->args && s->args[0] ? s->args[0] : "";
	size_t at, len;
	const char *args;
	split_command(cmd, &at, &len, &args);
	char *prog = strndup(cmd + at, len);
	if (!strncasecmp(s->target, "HKLM\\", 5)) {
		/* the entry gone: the product was uninstalled since the scan */
		fputs("    if (-not (Test-Path -LiteralPath ", out);
		emit_psq_with(out, "Registry::HKEY_LOCAL_MACHINE", s->target + 4);
		fputs(")) { Write-Log '  not installed'; return }\n", out);
	} else {
		fputs("    # a user's hive is loaded (under HKU\\<SID>) only while the user is signed in: not checked here\n", out);
	}
	fputs("    $program = ", out);
	emit_psq(out, prog ? prog : "");
	fputs("\n    $arguments = @(", out);
	if (*args)
		emit_psq(out, args);
	fputs(")\n    $code = Invoke-Program $program $arguments", out);
	if (s->user) {
		fputs(" ", out);
		emit_psq(out, s->user);
	}
	fputs("\n"
	      "    if ($code -eq 3010 -or $code -eq 1641) { $script:Reboot = $true; return }\n"
	      "    if ($code -ne 0) { throw \"the UninstallString exited with code $code\" }\n", out);
	free(prog);
}

const struct action_ops action_uninstall_string = {
	.name = "uninstall-string", .rank = 5, .keeps_order = true,
	.note = string_note, .ps1 = string_ps1,
};
