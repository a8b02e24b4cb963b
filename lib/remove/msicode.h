/* SPDX-License-Identifier: Apache-2.0 */
/*
 * msicode: what plan.c reads out of a Windows Uninstall entry's strings, the parts that
 * take bytes from the image (the key's name, its UninstallString) and nothing else, so
 * that they can be fuzzed alone (fuzz/fuzz-uninstall-string.c).
 */
#ifndef EXCISE_MSICODE_H
#define EXCISE_MSICODE_H

#include <stdbool.h>

#include "core/macro.h"

/* Whether `s` begins with a {GUID} (38 characters); its letters upper-cased into code[39]. */
bool msicode_guid(const char *s, char code[39]);

/* The MSI product code of an Uninstall entry with no WindowsInstaller flag: the key (`key`,
 * may be NULL) named InstallWIX_{GUID} (the visible twin of a hidden MSI entry {GUID}), or
 * an UninstallString (`us`, may be NULL) that runs msiexec itself on a product code (/X{GUID}
 * to remove, /I{GUID} the maintenance UI). */
bool msicode_of(const char *key, const char *us, char code[39]);

/* Where the Uninstall entry `key` lives: HKLM\SOFTWARE\...\Uninstall\X in the SOFTWARE hive,
 * HKU\<user>\...\Uninstall\X in /Users/<user>/NTUSER.DAT. 0 with *hive_path (free() it) and
 * *sub (inside `key`: the key's path in that hive); 1 when `key` is no Uninstall entry of
 * either; -ENOMEM. */
NODISCARD int msicode_uninstall_key(const char *key, char **hive_path, const char **sub);

#endif
