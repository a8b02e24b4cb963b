/* SPDX-License-Identifier: Apache-2.0 */
/* Host facts, filled by host.c for scan.c. */
#ifndef EXCISE_SCAN_INT_H
#define EXCISE_SCAN_INT_H

#include "core/root.h"
#include "excise/scan.h"

/* What host_read could not read: a fact's file that is there but is a device, a FIFO
 * or a socket (never opened), a directory, too big, unreadable. The scan puts each in
 * the report as an item error of an input named "host". */
struct host_notes {
	char msg[4][EXCISE_ERR_MSG];
	size_t n;
};

/* Add a note (printf format); past the notes' room it is dropped. Returns 0. */
int host_note(struct host_notes *notes, const char *fmt, ...) PRINTF(2, 3);

/* Whether `s` is a GUID, "8-4-4-4-12" hex digits, nothing more: then `out` is it in
 * upper or lower case. */
#define HOST_GUID_LEN 36
bool host_guid(const char *s, bool upper, char out[HOST_GUID_LEN + 1]);

/* Fill `h` from the root (hostname, os-release, machine-id). Missing facts stay NULL,
 * and those whose file is there but could not be read are in `notes`; only OOM fails.
 * Free with excise_host_done. */
int host_read(const struct root *r, struct excise_host *h, struct host_notes *notes);
/* OS, host name and machine id of a macOS root (SystemVersion.plist, SystemConfiguration
 * preferences, the hardware UUID in the names of the users' ByHost preferences: see
 * host_macos.c); fills only facts still NULL or empty; what is wrong with the machine
 * id goes to `notes`. 0 or -ENOMEM. */
int host_read_macos(const struct root *r, struct excise_host *h, struct host_notes *notes);

/* The platforms whose markers a root carries, every one of them (an image may hold
 * another platform's files: a Linux image with a copied Windows hive is scanned with
 * both platforms' sources, never taken for only one):
 *   HOST_LINUX    etc/os-release, usr/lib/os-release, var/lib/dpkg/status, an RPM database;
 *   HOST_WINDOWS  Windows/System32/config/SOFTWARE;
 *   HOST_MACOS    System/Library/CoreServices/SystemVersion.plist
 * (the last two looked up without regard to case). The live host is HOST_LINUX. */
enum { HOST_LINUX = 1u << 0, HOST_WINDOWS = 1u << 1, HOST_MACOS = 1u << 2 };
unsigned host_platform_marks(const struct root *r);

/* The primary platform of a root, the one its plan is made for: "linux" when it carries
 * Linux's markers (or none), else "windows", else "macos". host_read puts it in
 * host.platform and every platform of the root, primary first, in host.platforms. */
const char *host_platform(const struct root *r);

/* Whether the root looks like an operating system: the live host, or some platform's
 * markers (host_platform_marks). False for an empty directory, such as an image that
 * did not mount. */
bool host_recognised(const struct root *r);

/* Hostname, OS name and machine id (MachineGuid) of an offline Windows root
 * (winhost.c) into h; each NULL when unknown, and why the machine id is in `notes`.
 * Only OOM fails. */
int host_read_windows(const struct root *r, struct excise_host *h, struct host_notes *notes);

#endif
