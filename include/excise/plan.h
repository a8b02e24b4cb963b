/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Removal plans: from a scan (fresh, or read back from an excise.report/2 or /1
 * document), the ordered steps that remove every covered product found with
 * strong or definitive evidence, each naming the evidence that justifies it.
 *
 *   scan --findings--> plan_build --steps--> text / JSON / sh / ps1
 *                                      \---> excise_remove_run (lib/remove/)
 *
 * A plan owns everything it points to; free it with excise_plan_free.
 */
#ifndef EXCISE_PLAN_H
#define EXCISE_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "excise/catalog.h"
#include "excise/error.h"
#include "excise/scan.h"

#ifdef __cplusplus
extern "C" {
#endif

/* In the order steps run: services, processes, modules, native uninstall, leftovers, trust. */
enum excise_plan_action {
	EXCISE_PLAN_STOP_SERVICE,    /* target: unit (systemd), label (launchd) or service name (Windows) */
	EXCISE_PLAN_DISABLE_SERVICE, /* target: unit; path: its unit file. Offline: drop its enablement links */
	EXCISE_PLAN_KILL_PROCESS,    /* target: executable path; pid; live hosts only */
	EXCISE_PLAN_UNLOAD_MODULE,   /* target: kernel module (or kext bundle id); live hosts only */
	EXCISE_PLAN_DPKG_PURGE,      /* target: package; version */
	EXCISE_PLAN_RPM_ERASE,       /* target: package name; version (version-release) */
	EXCISE_PLAN_MSI_UNINSTALL,   /* target: MSI product code "{GUID}"; Windows */
	EXCISE_PLAN_VENDOR_REMOVER,  /* target: the vendor's tool by name (path: its file, next to the script;
				      * args: its arguments), or the path of an uninstaller bundled with the product */
	EXCISE_PLAN_REMOVE_PATH,     /* target: a path inside the root: file, directory or symlink */
	EXCISE_PLAN_REMOVE_CERT,     /* target: certificate sha256 (hex); path: bundle or certificate file */
	EXCISE_PLAN_REGEN_TRUST,     /* rebuild the trust store (update-ca-certificates under the root) */
	EXCISE_PLAN_DELETE_REGKEY,   /* target: registry key (HKLM\...); Windows */
	EXCISE_PLAN_RELOAD_UNITS,    /* systemctl daemon-reload; live Linux hosts only */
	EXCISE_PLAN_UNINSTALL_STRING, /* target: an Uninstall entry's key (HKLM\... or HKU\<user>\...); args[0]: its
				       * UninstallString as the image registers it (a non-MSI install); Windows */
	EXCISE_PLAN_REMOVE_NSS_CERT, /* target: certificate sha256 (hex); path: an NSS cert9.db (Firefox, Thunderbird,
				      * ~/.pki/nssdb); args[0]: its nickname, when it has one */
	EXCISE_PLAN_ACTION_MAX
};

/* One piece of evidence a step rests on (copied from the scan's evidence). */
struct excise_plan_evidence {
	char *source;       /* "dpkg", "files", ... */
	char *kind;         /* "package", "file", ... */
	char *value;        /* the matched string */
	char *path;         /* where it was seen, or NULL */
	char *indicator;    /* indicator id */
	enum excise_confidence confidence;
};

/* What was at a path when the plan was made; checked again just before acting. */
struct excise_plan_object {
	bool known;         /* false: the path was not there when planned */
	char type;          /* 'f' regular, 'd' directory, 'l' symlink, 'o' other */
	uint64_t dev, ino, size;
	int64_t mtime_ns;
};

struct excise_plan_step {
	unsigned id;                     /* 1, 2, ... in the order they run */
	enum excise_plan_action action;
	char *target;                    /* see enum excise_plan_action */
	char *version;                   /* package version, or NULL */
	char *path;                      /* the file the step acts on, or NULL */
	char *product;                   /* catalog product id */
	char *user;                      /* a per-user install (evidence under HKU\<user>): the user whose context
					  * runs the step (msi-uninstall, uninstall-string), or NULL */
	char *note;                      /* one line for people: why and how, or NULL */
	char **args;                     /* extra words: msiexec properties, a removal tool's arguments; NULL-terminated or NULL */
	char **forms;                    /* msi-uninstall: what the operator gives each of args ("user", "password",
					  * "password-utf16le-hex", include/excise/catalog.h); NULL-terminated or NULL */
	int64_t pid;                     /* EXCISE_PLAN_KILL_PROCESS; else 0 */
	bool live_only;                  /* meaningless on an offline root: recorded as skipped there */
	bool fallback;                   /* run only when the step before it failed */
	bool reboot;                     /* finishing it needs a reboot */
	struct excise_plan_object seen;  /* EXCISE_PLAN_REMOVE_PATH (and cert files) */
	struct excise_plan_evidence *evidence;
	size_t n_evidence;               /* at least 1 */
};

/* Something found that the plan deliberately does not act on, and why. */
struct excise_plan_skip {
	char *what;                      /* "path /usr", "package kesl-lookalike", ... */
	char *why;                       /* "a protected system path", "evidence only weak", ... */
	bool refused;                    /* a safety rule refused it (a protected path, a path out of the
					  * root or through a symlink, another vendor's package): the
					  * evidence itself is suspect, so excise remove refuses the plan */
};

struct excise_plan {
	char *report_id;                 /* the scan's report_id */
	char *hostname, *machine_id, *root, *platform;
	char *platforms;                 /* the scan's platforms of the root, primary first ("linux,windows"):
					  * the indicators evidence was matched with, in the plan and in the
					  * removal's re-match alike; NULL: `platform` alone */
	bool live;
	int64_t scanned_ns;              /* when the scan finished */
	int64_t created_ns;
	char *catalog_id, *catalog_version, *catalog_sha256;
	struct excise_plan_step *steps;
	size_t n_steps;
	struct excise_plan_skip *skipped;
	size_t n_skipped;
	bool reboot_required;
};

enum excise_plan_format {
	EXCISE_PLAN_TEXT,  /* for people */
	EXCISE_PLAN_JSON,  /* excise.plan/1, docs/removal.md */
	EXCISE_PLAN_SH,    /* POSIX sh for Linux and macOS: logs every step, stops on the first failure */
	EXCISE_PLAN_PS1,   /* PowerShell for Windows: the same */
};

struct excise_plan_opts {
	const struct excise_catalog *catalog; /* the catalog the scan was matched with */
	int64_t now_ns;                       /* 0: the clock; tests pin it */
};

/* Build the plan for a scan. The root named by s->host.root is opened to record
 * what is at each path (struct excise_plan_object) and to read package
 * relations (dependents are removed before what they depend on). Only evidence
 * of strong or definitive confidence is acted on; everything else that was
 * found lands in skipped[] with the reason. */
EXCISE_API int excise_plan_build(const struct excise_scan *s, const struct excise_plan_opts *o,
				 struct excise_plan **ret, struct excise_err *err);
EXCISE_API struct excise_plan *excise_plan_free(struct excise_plan *p);

/* Write a plan in one of the formats. */
EXCISE_API int excise_plan_write(const struct excise_plan *p, enum excise_plan_format f, FILE *out,
				 struct excise_err *err);

/* Read an excise.plan/1 document back (what EXCISE_PLAN_JSON wrote). `name`
 * labels errors. Bounded by the EXCISE_MAX_PLAN_* limits. */
EXCISE_API int excise_plan_read_json(const char *name, const char *bytes, size_t len,
				     struct excise_plan **ret, struct excise_err *err);

EXCISE_API const char *excise_plan_action_name(enum excise_plan_action a); /* "stop-service", ... */

#ifdef __cplusplus
}
#endif
#endif
