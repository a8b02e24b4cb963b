/* SPDX-License-Identifier: Apache-2.0 */
/* paths: where excise keeps its own state inside a root. */
#ifndef EXCISE_PATHS_H
#define EXCISE_PATHS_H

/* removal runs: plan, journal, step logs, bundle backups (lib/remove/remove.c) */
#define EXCISE_RUNS_DIR "/var/lib/excise/runs"
/* the quarantine store (lib/remove/quarantine.c); the full walk does not descend
 * into it, so a rescan after a removal does not find what was quarantined */
#define EXCISE_QUARANTINE_DIR "/var/lib/excise/quarantine"

#endif
