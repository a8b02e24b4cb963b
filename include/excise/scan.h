/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Scanning: run the evidence sources over a host or an offline root, each
 * feeding what it observes to a findings engine (excise/engine.h), which
 * matches it against a catalog and groups the matches into findings.
 *
 *   sources --observations--> engine: match (catalog) --evidence--> findings
 *
 * A scan result owns everything it points to; free it with excise_scan_free.
 */
#ifndef EXCISE_SCAN_H
#define EXCISE_SCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "excise/catalog.h"
#include "excise/error.h"

#ifdef __cplusplus
extern "C" {
#endif

enum excise_scan_flags {
	EXCISE_SCAN_FULL = 1u << 0,       /* walk the whole filesystem, not only known places */
	EXCISE_SCAN_XDEV = 1u << 1,       /* let the full walk cross into other filesystems */
};

/* Called from the full walk, at most a few times a second, from any thread. */
typedef void (*excise_progress_fn)(void *userdata, uint64_t entries, uint64_t dirs);

struct excise_scan_opts {
	const char *root;          /* NULL or "/": the live host; else an offline root */
	unsigned flags;            /* enum excise_scan_flags */
	unsigned threads;          /* full-walk threads; 0 = default (2) */
	const char *const *only;   /* NULL-terminated source names to run; NULL = all */
	excise_progress_fn progress;
	void *progress_data;
};

enum excise_source_status {
	EXCISE_SOURCE_OK,      /* ran (it may have observed nothing) */
	EXCISE_SOURCE_ABSENT,  /* nothing of its kind here (no RPM database, not a live host) */
	EXCISE_SOURCE_FAILED,  /* could not read what is there: the result is incomplete */
	EXCISE_SOURCE_SKIPPED, /* not asked for (e.g. the full walk without --full) */
};

struct excise_source_result {
	const char *name;               /* "dpkg", "rpm", "files", "walk", ... (owned) */
	enum excise_source_status status;
	uint64_t observations;          /* things read (packages, files, units...) */
	uint64_t matched;               /* of which matched an indicator */
	uint64_t n_errors;              /* per-item errors (unreadable dir, bad file) */
	char *error;                    /* why it failed, or NULL */
	char **errors;                  /* first EXCISE_MAX_SOURCE_ERRORS item errors, NULL-terminated */
	double seconds;
};

/* One observation string; raw bytes may be invalid UTF-8. Every string is owned
 * by the evidence, so a scan stays readable without the catalog or the sources
 * that made it. */
struct excise_evidence {
	const char *source;             /* the source (or input) that saw it */
	enum excise_obs_kind kind;
	enum excise_field field;        /* which field matched */
	const char *value;              /* the matched string */
	const char *path;               /* where it was seen, or NULL */
	const char *version;            /* version the observation carried, or NULL */
	const char *state;              /* source's state word: installed, config-files, running, enabled... */
	bool active;                    /* installed / running / loaded / enabled */
	const char *indicator_id;       /* the indicator that matched */
	enum excise_confidence confidence; /* that indicator's */
	const struct excise_indicator *indicator; /* it in the scan's catalog, or NULL when that catalog
						   * lacks it (a report read back) */
	char **attrs;                   /* key, value, key, value..., NULL; or NULL when none */
	uint32_t artifact;              /* evidence with the same number (within a scan) came from one
					 * observation: one artifact (a package, a file, a key, a
					 * certificate in one place) that several indicators matched */
};

/* Ranked: running > installed > trust > remnant (excise_state_rank). */
enum excise_state {
	EXCISE_STATE_REMNANT,   /* only leftovers: files, keys, config, a weak string */
	EXCISE_STATE_INSTALLED, /* registered with the OS */
	EXCISE_STATE_RUNNING,   /* a live process or a loaded module */
	EXCISE_STATE_TRUST,     /* only the vendor's root certificate, trusted by a store: an exposure */
};

/* What a finding names. */
enum excise_finding_kind {
	EXCISE_FINDING_PRODUCT,   /* a catalog product (or <vendor>:unidentified) */
	EXCISE_FINDING_UNLISTED,  /* a registration the vendor published that the catalog does not
				   * know: named after the entry ("Kaspersky Foo 3.1, not in catalog") */
	EXCISE_FINDING_TRACES,    /* weak traces of the vendor outside every product's places, under
				   * no product (<vendor>:traces) */
};

struct excise_finding {
	const char *product_id;         /* owned, as the strings below */
	const char *product_name;
	const char *vendor_id;
	const char *vendor_name;        /* or NULL */
	const struct excise_product *product; /* in the scan's catalog, or NULL when it lacks the product */
	const struct excise_vendor *vendor;   /* likewise */
	char *version;                  /* best known version, or NULL */
	enum excise_finding_kind kind;
	enum excise_state state;
	enum excise_confidence confidence;
	const struct excise_directive **directives; /* covering directives */
	size_t n_directives;
	struct excise_evidence *evidence;
	size_t n_evidence;
};

struct excise_host {
	char *hostname;
	char *os;              /* PRETTY_NAME from os-release, or NULL */
	char *os_id;           /* ID= from os-release */
	char *machine_id;      /* /etc/machine-id, or NULL */
	char *root;            /* "/" for the live host, else the root given */
	char *platform;        /* "linux", "windows" or "macos": the primary platform, the one a plan
				* is made for (host_platform in lib/scan/host.c) */
	bool live;
	char *platforms;       /* every platform whose markers the root carries, the primary first,
				* comma-separated ("linux,windows"): the sources of each ran; NULL in a
				* report that does not say (then `platform` alone) */
};

/* Where a scan's findings come from. */
enum excise_scan_origin {
	EXCISE_SCAN_MATCHED,    /* an engine matched observations against `catalog` (a scan, an import) */
	EXCISE_SCAN_READ,       /* a report read back, made with this catalog (or not saying which):
				 * findings as the report has them */
	EXCISE_SCAN_REMATCHED,  /* a report made with another catalog: its evidence matched again
				 * against `catalog`; evidence no indicator of it matches kept as it was */
};

struct excise_scan {
	char report_id[37];    /* UUID v4 */
	struct excise_host host;
	int64_t started_ns, finished_ns;   /* CLOCK_REALTIME */
	const struct excise_catalog *catalog; /* borrowed; must outlive the scan */
	char *catalog_id, *catalog_version, *catalog_sha256; /* the catalog the findings were matched with */
	enum excise_scan_origin origin;
	struct excise_source_result *sources;
	size_t n_sources;
	struct excise_finding *findings;
	size_t n_findings;
	unsigned flags;
};

/* Run a scan. Returns 0 or < 0 on failure to start: a bad root, -EXCISE_E_NOTOS for an
 * offline root with no operating system in it (no os-release, package database,
 * Windows hives or SystemVersion.plist: an image that did not mount), -EXCISE_E_USAGE
 * for an `only` list that selects no source able to run there, OOM. A source that
 * fails does not fail the scan: it is recorded in sources[] (on the live host, not
 * running as root fails the sources of every user's files). */
EXCISE_API int excise_scan_run(const struct excise_catalog *catalog, const struct excise_scan_opts *opts,
			       struct excise_scan **ret, struct excise_err *reterr);
EXCISE_API struct excise_scan *excise_scan_free(struct excise_scan *s);
/* Free the strings of a host and zero it. */
EXCISE_API void excise_host_done(struct excise_host *h);
/* The facts a scan of `root` (NULL: the live host) would record about its host, without
 * scanning: hostname, OS, machine id, platform (`excise enroll`). */
EXCISE_API int excise_host_read(const char *root, struct excise_host *ret, struct excise_err *err);

/* True when every source that should have run ran (none failed). */
EXCISE_API bool excise_scan_complete(const struct excise_scan *s);
/* Count of findings at `min` confidence or above. */
EXCISE_API size_t excise_scan_count(const struct excise_scan *s, enum excise_confidence min);

/* The verdict: "found" (a finding of strong or definitive confidence; exit status 1),
 * "incomplete" (nothing found but a source failed; 2) or "clean" (0). Returns the
 * exit status and sets *ret_word when not NULL. */
EXCISE_API int excise_scan_verdict(const struct excise_scan *s, const char **ret_word);

EXCISE_API const char *excise_state_name(enum excise_state s);
/* Higher is more serious: running 3, installed 2, trust 1, remnant 0. */
EXCISE_API int excise_state_rank(enum excise_state s);
EXCISE_API const char *excise_finding_kind_name(enum excise_finding_kind k);
EXCISE_API const char *excise_source_status_name(enum excise_source_status s);

/* Names of all sources, NULL-terminated (for --only and docs). */
EXCISE_API const char *const *excise_source_names(void);

#ifdef __cplusplus
}
#endif
#endif
