/* SPDX-License-Identifier: Apache-2.0 */
/* Host facts, filled by host.c for scan.c. */
#ifndef EXCISE_SCAN_INT_H
#define EXCISE_SCAN_INT_H

#include "core/root.h"
#include "excise/scan.h"

/* Fill `h` from the root (hostname, os-release, machine-id). Missing facts stay NULL;
 * only OOM fails. Free with excise_host_done. */
int host_read(const struct root *r, struct excise_host *h);
/* OS and host name of a macOS root (SystemVersion.plist, SystemConfiguration
 * preferences); fills only facts still NULL or empty. 0 or -ENOMEM. */
int host_read_macos(const struct root *r, struct excise_host *h);

/* The platform of a root: "windows" when Windows/System32/config/SOFTWARE is there,
 * "macos" for System/Library/CoreServices/SystemVersion.plist (both looked up without
 * regard to case), else "linux". The live host is "linux". */
const char *host_platform(const struct root *r);

/* Whether the root looks like an operating system: the live host; a Windows or macOS
 * root (host_platform); an os-release file (etc/ or usr/lib/); a dpkg status file; an
 * RPM database. False for an empty directory, such as an image that did not mount. */
bool host_recognised(const struct root *r);

/* Hostname and OS name of an offline Windows root (winhost.c); each NULL when
 * unknown. Only OOM fails. */
int host_read_windows(const struct root *r, char **ret_hostname, char **ret_os);

#endif
