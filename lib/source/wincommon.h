/* SPDX-License-Identifier: Apache-2.0 */
/*
 * wincommon: what the Windows registry sources (winsoftware.c, winsystem.c,
 * winusers.c) share: opening a hive by its Windows-layout path, reading
 * optional values with per-key error reports, Uninstall entries, Run keys,
 * certificate stores (parse/win.h opens hives by their Windows-layout path).
 */
#ifndef EXCISE_WINCOMMON_H
#define EXCISE_WINCOMMON_H

#include <stdbool.h>
#include <stdint.h>

#include "parse/hive.h"
#include "parse/win.h"
#include "source/source.h"

/* An optional string value: *ret is NULL when absent or of another type. A
 * corrupt or oversized value is reported as an item error naming the hive,
 * key and value. Returns 0 or -ENOMEM. */
NODISCARD int win_str(struct source_ctx *ctx, struct hive *h, hive_node n, const char *keypath,
		      const char *value, char **ret);
/* An optional number (DWORD/QWORD): *have tells whether it was there. 0 or -ENOMEM. */
NODISCARD int win_u64(struct source_ctx *ctx, struct hive *h, hive_node n, const char *keypath,
		      const char *value, uint64_t *ret, bool *have);

/* Report a hive error of one key: a limit is an item error (returns 0); a
 * corrupt key fails the source (source_fail, returns the error), as does OOM. */
int win_key_error(struct source_ctx *ctx, struct hive *h, const char *keypath, int code,
		  const char *what);

/* The subkeys of `parent_path` (below `from`) as PACKAGE + REGISTRY
 * observations of Uninstall entries. `keypath` is how the Uninstall key is
 * shown (HKLM\SOFTWARE\...\Uninstall); `view` and `user` become attrs (may be NULL). */
NODISCARD int win_uninstall(struct source_ctx *ctx, struct hive *h, hive_node from,
			    const char *parent_path, const char *keypath, const char *view,
			    const char *user);

/* The values of a Run key as SERVICE observations (NAME = value name, TARGET = command). */
NODISCARD int win_run_key(struct source_ctx *ctx, struct hive *h, hive_node from,
			  const char *parent_path, const char *keypath, const char *autorun,
			  const char *user);

/* The certificate stores under `parent_path` (a SystemCertificates key) as CERT observations. */
NODISCARD int win_cert_stores(struct source_ctx *ctx, struct hive *h, hive_node from,
			      const char *parent_path, const char *keypath, const char *user);

/* MSI registrations. A packed code is a {GUID} with its first three groups'
 * hex digits reversed and every pair of the last 16 swapped, no braces or
 * dashes (Installer\Products\4C0EE8F61F3A4EF4786D47A8E5EFB49D). The {GUID}
 * in upper case into out, or -EINVAL when `packed` is not 32 hex digits. */
NODISCARD int win_msi_unpack(const char *packed, char out[static 39]);

/* The keys under `parent_path` (an Installer\Products key) as MSI product
 * registrations: PACKAGE (NAME = ProductName, VERSION from Version) and
 * REGISTRY (NAME = the {GUID}), attr msi_product_code (and user). A key name
 * that is not a packed code is an item error. */
NODISCARD int win_msi_products(struct source_ctx *ctx, struct hive *h, hive_node from,
			       const char *parent_path, const char *keypath, const char *user);

/* The keys under `parent_path` (an Installer\UpgradeCodes key): REGISTRY
 * observations NAME = the upgrade {GUID}, attr msi_upgrade_code (and user). */
NODISCARD int win_msi_upgrade_codes(struct source_ctx *ctx, struct hive *h, hive_node from,
				    const char *parent_path, const char *keypath, const char *user);

/* Installer\UserData\<SID>\Products\<packed>\InstallProperties under
 * `parent_path` (the UserData key): PACKAGE (NAME = DisplayName, PUBLISHER,
 * VERSION = DisplayVersion, attr install_location) and REGISTRY (NAME = the
 * {GUID}), attrs msi_product_code and sid. */
NODISCARD int win_msi_userdata(struct source_ctx *ctx, struct hive *h, hive_node from,
			       const char *parent_path, const char *keypath);

#endif
