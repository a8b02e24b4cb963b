/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The catalog: vendors, products, indicators and directives, as data.
 *
 * A catalog is a JSON document (schema "excise.catalog/1", docs/catalog-format.md).
 * The embedded catalog is compiled into the binary and trusted with it; any
 * other catalog is accepted only with a minisign (Ed25519) signature from a key
 * the operator trusts (excise_catalog_load_file).
 *
 * Invariant: a loaded catalog is immutable; every pointer it hands out lives as
 * long as the catalog.
 */
#ifndef EXCISE_CATALOG_H
#define EXCISE_CATALOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "excise/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* What a source saw. Sources know nothing about vendors. */
enum excise_obs_kind {
	EXCISE_OBS_PACKAGE,  /* dpkg/rpm package (Windows: Uninstall entry) */
	EXCISE_OBS_FILE,     /* a file or directory on disk */
	EXCISE_OBS_PROCESS,  /* a running process */
	EXCISE_OBS_SERVICE,  /* systemd unit, SysV script, Windows service */
	EXCISE_OBS_KMOD,     /* kernel module (Windows: driver) */
	EXCISE_OBS_CERT,     /* a trusted root certificate */
	EXCISE_OBS_REGISTRY, /* Windows registry key/value */
	EXCISE_OBS_BUNDLE,   /* macOS bundle, launchd job, receipt */
	EXCISE_OBS_EXTENSION,/* browser extension */
	EXCISE_OBS_DOMAIN,   /* DNS name seen in logs */
	EXCISE_OBS_SIGNER,   /* code-signing identity of a binary */
	_EXCISE_OBS_KIND_MAX
};

/* Which string of an observation an indicator tests. */
enum excise_field {
	EXCISE_F_NAME,        /* package name, file base name, unit name, module, cert CN */
	EXCISE_F_PATH,        /* absolute path inside the scanned root */
	EXCISE_F_VERSION,
	EXCISE_F_PUBLISHER,   /* dpkg Maintainer, rpm Vendor/Packager, cert O= */
	EXCISE_F_DESCRIPTION, /* package summary, unit Description */
	EXCISE_F_TARGET,      /* what it runs or points to: ExecStart, cmdline, link target */
	EXCISE_F_SUBJECT,     /* certificate subject DN */
	EXCISE_F_ISSUER,      /* certificate issuer DN */
	_EXCISE_FIELD_MAX
};

enum excise_confidence {
	EXCISE_CONF_NONE = 0,
	EXCISE_CONF_WEAK = 1,
	EXCISE_CONF_STRONG = 2,
	EXCISE_CONF_DEFINITIVE = 3,
};

enum excise_match_type {
	EXCISE_MATCH_EXACT,
	EXCISE_MATCH_GLOB,  /* fnmatch(3) without FNM_PATHNAME: '*' spans '/' */
	EXCISE_MATCH_REGEX, /* POSIX extended, anchored by the author */
};

struct excise_vendor {
	const char *id;
	const char *name;              /* legal name */
	const char *const *aliases;    /* NULL-terminated: other names, other scripts */
	const char *const *subsidiaries;
	const char *country;
};

struct excise_removal;

struct excise_product {
	const char *id;
	const char *vendor_id;
	const char *name;
	const char *family;            /* endpoint, server, consumer, management, embedded... */
	const char *const *platforms;  /* NULL-terminated */
	bool branded;                  /* false: vendor code inside another company's product */
	const char *source_url;
	const struct excise_removal *removals; /* one per platform it says how to remove it on */
	size_t n_removals;
	const struct excise_places *places;   /* one per platform it says where it lives on */
	size_t n_places;
};

/*
 * Where a product lives on one platform: its "places" in the catalog
 * (docs/catalog-format.md, "Places"). Evidence whose path is at or under a place
 * belongs to that product; of several products, the one with the most specific
 * place.
 */
struct excise_places {
	const char *platform;          /* linux, windows, macos */
	const char *const *paths;      /* NULL-terminated: root-relative paths ('/' as separator; '*' and
					* '?' match within one component), or registry keys (HKLM\..., HKU\...) */
};

/*
 * How a product is removed on one platform: its "removal" in the catalog
 * (docs/catalog-format.md, "Removal"). The planner (lib/remove/plan.c) reads it;
 * no vendor's removal is C code.
 */
enum excise_uninstall_kind {
	EXCISE_UNINSTALL_DPKG,           /* dpkg --purge of the packages evidence names */
	EXCISE_UNINSTALL_RPM,            /* rpm -e likewise */
	EXCISE_UNINSTALL_MSI,            /* msiexec /x {product code} with the password properties below */
	EXCISE_UNINSTALL_BUNDLED,        /* an uninstaller installed with the product: its paths */
	EXCISE_UNINSTALL_VENDOR_REMOVER, /* the vendor's separate removal tool: name, file, args */
	EXCISE_UNINSTALL_STRING,         /* the UninstallString of the product's Uninstall entry */
	_EXCISE_UNINSTALL_KIND_MAX
};

/* What the operator gives an MSI property at run time (never the plan). */
enum excise_msi_value {
	EXCISE_MSI_USER,                 /* the user name (-User) */
	EXCISE_MSI_PASSWORD,             /* the password as typed */
	EXCISE_MSI_PASSWORD_UTF16_HEX,   /* the hex of the password's UTF-16LE bytes */
	_EXCISE_MSI_VALUE_MAX
};

struct excise_msi_property {
	const char *name;                /* "KLPASSWD" */
	enum excise_msi_value value;
};

struct excise_uninstall {
	enum excise_uninstall_kind kind;
	const char *const *packages;     /* dpkg, rpm: the product's package names (NULL-terminated) */
	const struct excise_msi_property *properties; /* msi */
	size_t n_properties;
	const char *const *paths;        /* bundled: where the uninstaller may be, root-relative */
	const char *name;                /* vendor-remover: the tool's name ("kavremover") */
	const char *file;                /* vendor-remover: its file, next to the script ("kavremvr.exe") */
	const char *const *args;         /* vendor-remover: its arguments (NULL-terminated) */
	bool fallback;                   /* run only when the uninstall before it failed */
	const char *source_url;          /* may be NULL: the recipe's source then */
};

struct excise_removal {
	const char *platform;            /* "linux", "windows", "macos" */
	const struct excise_uninstall *uninstall; /* in the order they are tried */
	size_t n_uninstall;
	const char *const *services;     /* services (units, launchd labels) to stop first (NULL-terminated) */
	const char *const *drivers;      /* kernel drivers and modules to stop or unload (NULL-terminated) */
	const char *const *leftovers;    /* paths the uninstall leaves behind, root-relative (NULL-terminated) */
	bool reboot;                     /* finishing the uninstall needs a reboot */
	const char *source_url;
};

/* The product's removal on `platform`, or NULL when the catalog does not say. */
EXCISE_API const struct excise_removal *excise_product_removal(const struct excise_product *p, const char *platform);
EXCISE_API const char *excise_uninstall_kind_name(enum excise_uninstall_kind k); /* "dpkg", "vendor-remover"... */
EXCISE_API const char *excise_msi_value_name(enum excise_msi_value v);          /* "user", "password"... */

struct excise_indicator {
	const char *id;
	const char *product_id;        /* the product, or NULL for vendor-wide evidence */
	const char *vendor_id;         /* always set (the product's vendor when product_id is set) */
	enum excise_obs_kind kind;
	enum excise_field field;
	enum excise_match_type match;
	bool nocase;
	const char *value;
	enum excise_confidence confidence;
	const char *source_url;
	const char *note;              /* may be NULL */
	const char *const *platforms;  /* NULL-terminated, or NULL: the indicator holds on every platform */
};

/* True when indicator `ind` is to be tried on a root of `platform` ("linux", "windows", "macos"). */
EXCISE_API bool excise_indicator_applies(const struct excise_indicator *ind, const char *platform);

struct excise_milestone {
	const char *id;
	const char *name;
	const char *anchor;            /* issued_date | effective_date | discovery_event | absolute | previous_milestone */
	int offset;                    /* days; 0 with anchor "absolute" */
	const char *unit;              /* calendar_days | business_days | NULL */
	const char *date;              /* YYYY-MM-DD for absolute milestones, else NULL */
	const char *action;
};

/* A holiday rule of a calendar: a fixed date (`day` set) or the nth weekday of its month. */
struct excise_holiday {
	const char *name;
	int month;                     /* 1-12 */
	int day;                       /* 1-31: a fixed date; 0: `nth` `weekday` of the month */
	int weekday;                   /* 0 Sunday .. 6 Saturday (day 0) */
	int nth;                       /* 0-3 the first .. fourth, 4 the last (day 0) */
	int from, until;               /* the first and last year it holds; 0: no bound */
	const char *source_url;        /* may be NULL: the calendar's source */
};

/* A one-off day off (an executive order closing the executive departments). */
struct excise_closure {
	const char *date;              /* YYYY-MM-DD */
	const char *name;
	const char *source_url;
};

/* The days a directive's business days skip besides Saturdays and Sundays (lib/fleet/calendar.c). */
struct excise_calendar {
	const char *id;                /* "us-federal" */
	const char *name;
	bool in_lieu;                  /* a holiday on a Saturday is observed the Friday before, on a Sunday the
					* Monday after (5 U.S.C. 6103(b), Executive Order 11582) */
	const struct excise_holiday *holidays;
	size_t n_holidays;
	const struct excise_closure *closures;
	size_t n_closures;
	const char *source_url;
};

struct excise_directive {
	const char *id;
	const char *short_name;
	const char *title;
	const char *instrument;        /* binding_operational_directive, statute, ... */
	const char *issuer;
	const char *issued;            /* YYYY-MM-DD */
	const char *effective;         /* YYYY-MM-DD or NULL */
	const char *const *vendors;    /* covered vendor ids */
	const char *scope;             /* branded_only | in_whole_or_in_part | integrated_or_white_label */
	const char *const *excluded_products; /* product ids this directive leaves out */
	const char *exclusions_text;   /* prose of what is excluded, may be NULL */
	const struct excise_milestone *milestones;
	size_t n_milestones;
	const char *source_url;
	const struct excise_calendar *calendar; /* the holidays its business days skip; NULL: weekends only */
};

struct excise_catalog;

enum excise_catalog_origin {
	EXCISE_CATALOG_EMBEDDED,
	EXCISE_CATALOG_FILE,
};

/* Load the catalog compiled into the binary. */
EXCISE_API int excise_catalog_load_embedded(struct excise_catalog **ret,
					    struct excise_err *reterr);

/*
 * Load a catalog file. The signature file (`path` + ".minisig" when sig_path is
 * NULL) must verify with one of the trusted public keys (minisign public key
 * files or their base64 line), else -EXCISE_E_UNSIGNED, -EXCISE_E_UNTRUSTED or
 * -EXCISE_E_BADSIG. With `verify` false the signature is not checked at all
 * (only `catalog lint` does this).
 */
EXCISE_API int excise_catalog_load_file(const char *path, const char *sig_path,
					const char *const *trusted_keys, size_t n_keys, bool verify,
					struct excise_catalog **ret, struct excise_err *reterr);

/* For `catalog lint`: load the catalog file at `path` without checking its signature,
 * reading on after each problem in its content. On -EXCISE_E_CATALOG, *ret_problems
 * (NULL-terminated, freed with excise_strv_free; NULL when none were listed) holds
 * every problem found, and reterr the last one. Otherwise as excise_catalog_load_file. */
EXCISE_API int excise_catalog_lint_file(const char *path, struct excise_catalog **ret, char ***ret_problems,
					struct excise_err *reterr);

/* excise_catalog_parse, reading on after each problem as excise_catalog_lint_file does. */
EXCISE_API int excise_catalog_parse_lint(const char *name, const void *data, size_t len,
					 struct excise_catalog **ret, char ***ret_problems,
					 struct excise_err *reterr);

/* Parse catalog JSON from memory (no signature check). `name` labels errors. */
EXCISE_API int excise_catalog_parse(const char *name, const void *data, size_t len,
				    struct excise_catalog **ret, struct excise_err *reterr);

EXCISE_API struct excise_catalog *excise_catalog_free(struct excise_catalog *c);

EXCISE_API const char *excise_catalog_id(const struct excise_catalog *c);
EXCISE_API const char *excise_catalog_version(const struct excise_catalog *c);
EXCISE_API enum excise_catalog_origin excise_catalog_origin(const struct excise_catalog *c);
/* For a file catalog: its path and the key id (16 hex digits) that signed it. */
EXCISE_API const char *excise_catalog_path(const struct excise_catalog *c);
EXCISE_API const char *excise_catalog_key_id(const struct excise_catalog *c);
/* SHA-256 of the catalog bytes, 64 hex digits. */
EXCISE_API const char *excise_catalog_sha256(const struct excise_catalog *c);

EXCISE_API size_t excise_catalog_n_vendors(const struct excise_catalog *c);
EXCISE_API const struct excise_vendor *excise_catalog_vendor(const struct excise_catalog *c, size_t i);
EXCISE_API size_t excise_catalog_n_products(const struct excise_catalog *c);
EXCISE_API const struct excise_product *excise_catalog_product(const struct excise_catalog *c, size_t i);
EXCISE_API size_t excise_catalog_n_indicators(const struct excise_catalog *c);
EXCISE_API const struct excise_indicator *excise_catalog_indicator(const struct excise_catalog *c, size_t i);
EXCISE_API size_t excise_catalog_n_directives(const struct excise_catalog *c);
/* The calendar `id` ("us-federal"), or NULL. */
EXCISE_API const struct excise_calendar *excise_catalog_find_calendar(const struct excise_catalog *c, const char *id);
EXCISE_API const struct excise_directive *excise_catalog_directive(const struct excise_catalog *c, size_t i);

EXCISE_API const struct excise_vendor *excise_catalog_find_vendor(const struct excise_catalog *c, const char *id);
EXCISE_API const struct excise_product *excise_catalog_find_product(const struct excise_catalog *c, const char *id);

/* True when directive `d` covers product `p` (vendor listed, scope, exclusions). */
EXCISE_API bool excise_directive_covers(const struct excise_directive *d,
					const struct excise_product *p);

/* Names used in the catalog and in reports. */
EXCISE_API const char *excise_obs_kind_name(enum excise_obs_kind k);
EXCISE_API const char *excise_field_name(enum excise_field f);
EXCISE_API const char *excise_confidence_name(enum excise_confidence c);
EXCISE_API const char *excise_match_type_name(enum excise_match_type m);

/* Lint problems, one string each, appended to `*ret` (NULL-terminated, caller frees
 * with excise_strv_free). Returns the number of problems, or < 0 on failure. */
EXCISE_API int excise_catalog_lint(const struct excise_catalog *c, char ***ret);
EXCISE_API void excise_strv_free(char **v);

/*
 * Signatures (minisign format, Ed25519). Key files are those of minisign(1):
 * a public key file is an untrusted comment line and the base64 of
 * "Ed" || key id (8 bytes) || public key (32 bytes).
 */
EXCISE_API int excise_sig_keygen(const char *pub_path, const char *sec_path, struct excise_err *reterr);
/* Sign `path`, writing `path`.minisig (or sig_path), prehashed (ED) like minisign -S. */
EXCISE_API int excise_sig_sign_file(const char *sec_path, const char *path, const char *sig_path,
				    const char *trusted_comment, struct excise_err *reterr);
/* The same signature as text (*ret_text, NUL-terminated, the caller's), for a caller
 * that writes it itself (verify --run: relative to the run directory). */
EXCISE_API int excise_sig_sign_text(const char *sec_path, const char *path, const char *trusted_comment,
				    char **ret_text, size_t *ret_len, struct excise_err *reterr);
/* Verify `len` bytes against a .minisig text with any of the trusted keys.
 * On success fills ret_key_id (17 bytes: 16 hex digits and NUL) when not NULL. */
EXCISE_API int excise_sig_verify(const void *data, size_t len, const char *sig_text, size_t sig_len,
				 const char *const *trusted_keys, size_t n_keys, char *ret_key_id,
				 struct excise_err *reterr);

/* The product's places on `platform`, NULL-terminated, or NULL when the catalog gives none. */
EXCISE_API const char *const *excise_product_places(const struct excise_product *p, const char *platform);

#ifdef __cplusplus
}
#endif
#endif
