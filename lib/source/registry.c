/* SPDX-License-Identifier: Apache-2.0 */
/* registry: every evidence source, in the order a scan runs them. Adding a source
 * is one file in lib/source/ and one line here. */
#include "source/source.h"

extern const struct source source_dpkg, source_rpm, source_files, source_walk, source_proc,
	source_systemd, source_sysv, source_kmod, source_truststore,
	source_winfiles, source_browser, source_nss, source_macapps, source_launchd, source_kext,
	source_receipts,
	source_winsoftware, source_winsystem, source_winusers;

const struct source *const source_table[] = {
	&source_dpkg,
	&source_rpm,
	&source_systemd,
	&source_sysv,
	&source_kmod,
	&source_proc,
	&source_truststore,
	&source_winfiles,
	&source_browser,
	&source_nss,
	&source_receipts,
	&source_macapps,
	&source_launchd,
	&source_kext,
	&source_winsoftware,
	&source_winsystem,
	&source_winusers,
	&source_files,
	&source_walk,
};

const size_t source_table_len = sizeof(source_table) / sizeof(source_table[0]);
