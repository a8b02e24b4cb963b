/* SPDX-License-Identifier: Apache-2.0 */
/* Host facts, filled by host.c for scan.c. */
#ifndef EXCISE_SCAN_INT_H
#define EXCISE_SCAN_INT_H

#include "core/root.h"
#include "excise/scan.h"

/* Fill `h` from the root (hostname, os-release, machine-id). Missing facts stay NULL;
 * only OOM fails. */
int host_read(const struct root *r, struct excise_host *h);
void host_done(struct excise_host *h);

#endif
