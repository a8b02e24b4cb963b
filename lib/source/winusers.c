/* SPDX-License-Identifier: Apache-2.0 */
/*
 * source win-users: the per-user hives of an offline Windows root, every
 * Users/<name>/NTUSER.DAT (matched case-insensitively), whether or not the
 * user is logged on: per-user Uninstall entries (PACKAGE + REGISTRY, as in
 * win-software, attrs user), per-user MSI registrations Software\Microsoft\
 * Installer\Products\<packed code> and ...\UpgradeCodes\<packed code> (as in
 * win-software: PACKAGE + REGISTRY with attr msi_product_code, REGISTRY with
 * msi_upgrade_code; attr user), Software\Microsoft\Windows\CurrentVersion\Run
 * entries (SERVICE, NAME = value name, TARGET = command, attrs autorun "Run"
 * and user) and the user's certificate stores (CERT). Keys are shown as
 * HKU\<user folder>\Software\...: offline, the folder names the user (the SID
 * would need ProfileList). A symlinked user folder (a junction such as
 * "All Users") is skipped. A hive that cannot be read is reported and the
 * others still read; the source then fails, naming the first bad hive.
 */
#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "core/err.h"
#include "source/wincommon.h"

static int one_user(struct source_ctx *ctx, const char *dir, const char *user, bool *found,
		    char **first_bad)
{
	_cleanup_free_ char *want = path_join(dir, "NTUSER.DAT");
	if (!want)
		return -ENOMEM;
	_cleanup_hive_ struct hive *h = NULL;
	struct excise_err err = { 0 };
	int r = win_hive_open(source_root(ctx), want, &h, NULL, &err);
	if (r == -EXCISE_E_ABSENT)
		return 0;
	if (r == -ENOMEM)
		return r;
	*found = true;
	if (r < 0) {
		source_item_error(ctx, r, "%s", err.msg);
		if (!*first_bad && !(*first_bad = strdup(err.msg)))
			return -ENOMEM;
		return 0;
	}
	_cleanup_free_ char *shown = NULL, *rk = NULL, *certs = NULL, *msi = NULL, *upg = NULL;
	if (asprintf(&shown, "HKU\\%s\\Software\\Microsoft\\Windows\\CurrentVersion\\Uninstall", user) < 0 ||
	    asprintf(&msi, "HKU\\%s\\Software\\Microsoft\\Installer\\Products", user) < 0 ||
	    asprintf(&upg, "HKU\\%s\\Software\\Microsoft\\Installer\\UpgradeCodes", user) < 0 ||
	    asprintf(&rk, "HKU\\%s\\Software\\Microsoft\\Windows\\CurrentVersion\\Run", user) < 0 ||
	    asprintf(&certs, "HKU\\%s\\Software\\Microsoft\\SystemCertificates", user) < 0)
		return -ENOMEM;
	hive_node root = hive_root(h);
	r = win_uninstall(ctx, h, root, "Software\\Microsoft\\Windows\\CurrentVersion\\Uninstall", shown,
			  NULL, user);
	if (r >= 0)
		r = win_msi_products(ctx, h, root, "Software\\Microsoft\\Installer\\Products", msi, user);
	if (r >= 0)
		r = win_msi_upgrade_codes(ctx, h, root, "Software\\Microsoft\\Installer\\UpgradeCodes", upg, user);
	if (r >= 0)
		r = win_run_key(ctx, h, root, "Software\\Microsoft\\Windows\\CurrentVersion\\Run", rk,
				"Run", user);
	if (r >= 0)
		r = win_cert_stores(ctx, h, root, "Software\\Microsoft\\SystemCertificates", certs, user);
	if (r < 0 && r != -ENOMEM && !*first_bad) {
		/* source_fail has the message; the other users are still read */
		if (asprintf(first_bad, "hive '%s': %s", hive_name(h), excise_strerror(r)) < 0) {
			*first_bad = NULL;
			return -ENOMEM;
		}
		return 0;
	}
	return r < 0 && r != -ENOMEM ? 0 : r;
}

static int run(struct source_ctx *ctx)
{
	const struct root *root = source_root(ctx);
	_cleanup_free_ char *users = NULL;
	int r = root_resolve_nocase(root, "/Users", &users);
	if (r == -ENOENT)
		return -EXCISE_E_ABSENT;
	if (r < 0)
		return source_fail(ctx, r, "'/Users': %s", excise_strerror(r));
	DIR *d = NULL;
	if ((r = root_opendir(root, users, &d)) < 0)
		return r == -ENOTDIR ? -EXCISE_E_ABSENT
				     : source_fail(ctx, r, "'%s': cannot list: %s", users, excise_strerror(r));
	bool found = false;
	_cleanup_free_ char *first_bad = NULL;
	struct dirent *e;
	r = 0;
	while (r >= 0 && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		_cleanup_free_ char *dir = path_join(users, e->d_name);
		if (!dir) {
			r = -ENOMEM;
			break;
		}
		struct stat st;
		if (root_lstat(root, dir, &st) < 0 || !S_ISDIR(st.st_mode))
			continue;
		r = one_user(ctx, dir, e->d_name, &found, &first_bad);
	}
	closedir(d);
	if (r < 0)
		return source_fail(ctx, r, "'%s': %s", users, excise_strerror(r));
	if (first_bad)
		return source_fail(ctx, -EXCISE_E_CORRUPT, "%s", first_bad);
	return found ? 0 : -EXCISE_E_ABSENT;
}

const struct source source_winusers = {
	.name = "win-users",
	.platform = "windows",
	.description = "Windows user hives (Users/*/NTUSER.DAT): per-user Uninstall entries and MSI registrations, Run keys, certificate stores",
	.run = run,
};
