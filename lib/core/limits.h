/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Every limit on untrusted input, in one place. Each has a test that feeds
 * input just over it and expects a clear error, never a crash or a hang.
 */
#ifndef EXCISE_LIMITS_H
#define EXCISE_LIMITS_H

/* The limits a front end applies too (document sizes, walk threads, trusted keys) */
#include "excise/limits.h"

/* Catalog */
#define EXCISE_MAX_CATALOG_SIZE (16u << 20)     /* bytes of catalog JSON */
#define EXCISE_MAX_CATALOG_ENTRIES 100000u      /* vendors+products+indicators+directives */
#define EXCISE_MAX_PRODUCT_PLACES 64u            /* paths of a product's places on one platform (lib/catalog/removal.c) */
#define EXCISE_MAX_REMOVAL_ITEMS 64u             /* entries of one list of a product's removal (lib/catalog/removal.c) */
#define EXCISE_MAX_PATTERN_LEN 1024u            /* bytes of one indicator value */
#define EXCISE_MAX_REGEX_COST 8192u             /* nodes a regex indicator may expand to once its
						  * repetitions are copied out (glibc copies x{n}
						  * n times and x+ twice): catalog.c regex_cost */
#define EXCISE_MAX_TRUSTED_COMMENT 8000u        /* bytes of a signature's trusted comment */
#define EXCISE_MAX_CATALOG_ID_LEN 128u          /* bytes of one id (catalog, vendor, product, ...) */

/* Package databases */
#define EXCISE_MAX_DPKG_STATUS_SIZE (512u << 20) /* bytes of /var/lib/dpkg/status */
#define EXCISE_MAX_DPKG_FIELD_SIZE (1u << 20)    /* bytes of one field value */
#define EXCISE_MAX_DPKG_PACKAGES 1000000u        /* stanzas in one status file */
#define EXCISE_MAX_DPKG_UPDATES 10000u           /* journal files in /var/lib/dpkg/updates */
#define EXCISE_MAX_DPKG_LIST_SIZE (64u << 20)    /* bytes of one package's info/PKG.list (removal) */
#define EXCISE_MAX_DPKG_LIST_PATH 4096u          /* bytes of one path in a package's info/PKG.list (longer: skipped) */
#define EXCISE_MAX_RPMDB_SIZE (512u << 20)       /* bytes of an RPM database copied into the private
						  * scratch directory (all its files together) */
#define EXCISE_MAX_SQLITE_SECONDS 10u            /* seconds one SQLite database of an image may take
						  * (lib/parse/sqlitedb.c: a progress-handler deadline) */
#define EXCISE_MAX_REINSTALL_FILES 64u           /* package files one excise restore --reinstall takes */
#define EXCISE_MAX_REINSTALL_ENTRIES 200000u     /* files, links and directories of one reinstalled .deb */
#define EXCISE_MAX_REINSTALL_DEPTH 64u           /* directory depth of one reinstalled .deb */
#define EXCISE_MAX_REINSTALL_CONTROL_SIZE (1u << 20) /* bytes of one file of a reinstalled .deb's control area */
#define EXCISE_MAX_RPM_LOG 2048u                 /* bytes of librpm's error messages kept for one failure */

/* Files read whole (units, init scripts, cmdline, PEM bundles, os-release) */
#define EXCISE_MAX_TEXT_FILE_SIZE (8u << 20)
#define EXCISE_MAX_PEM_BUNDLE_SIZE (32u << 20)
#define EXCISE_MAX_PEM_LABEL 40u                /* bytes of the label of a BEGIN line */
#define EXCISE_MAX_CERTS_PER_BUNDLE 100000u

/* Directories listed by name (lib/core/dirlist.c) */
#define EXCISE_MAX_DIR_ENTRIES 10000u    /* matching names read from one directory (more: an item error) */
#define EXCISE_MAX_NOCASE_CACHE 65536u   /* case-insensitive lookups remembered per scan (core/root.c;
					  * more: the cache starts again) */

/* Filesystem walk */
#define EXCISE_MAX_WALK_DEPTH 65536u     /* directory levels below the walk's start */
#define EXCISE_MAX_SYMLINK_HOPS 40u
#define EXCISE_MAX_VIRTUAL_MOUNTS 4096u  /* virtual filesystems (proc, sysfs...) from mountinfo a full walk skips */

/* Findings kept per scan, evidence kept per finding */
#define EXCISE_MAX_EVIDENCE 100000u
#define EXCISE_MAX_SOURCE_ERRORS 32u     /* error messages kept per source (all are counted) */
#define EXCISE_MAX_OBS_ATTRS 16u         /* attributes kept per observation (more are dropped) */

/* Key files (unit files, os-release), process command lines, module trees */
#define EXCISE_MAX_KEYFILE_LINE (64u << 10)   /* bytes of one logical line or value */
#define EXCISE_MAX_KEYFILE_ENTRIES 10000u     /* assignments in one key file */
#define EXCISE_MAX_CMDLINE_LEN (32u << 10)    /* bytes of a command line kept (longer: cut) */
#define EXCISE_MAX_SOURCE_DEPTH 10u           /* directory levels below a module tree or cert dir */
#define EXCISE_MAX_KMOD_SIZE (64u << 20)      /* bytes of a kernel module file read for its .modinfo */
#define EXCISE_MAX_MODINFO_KEYS 256u          /* .modinfo keys kept per module */
#define EXCISE_MAX_MODINFO_STRINGS 65536u     /* strings of a module's .modinfo section (more: not handed
					       * to libkmod, which copies each) */
#define EXCISE_MAX_KMOD_MODULES 200000u       /* module files and links to them looked at per scan */
#define EXCISE_MAX_ELF_SECTIONS 4096u         /* sections of a module checked before libkmod reads it */

/* PE images (lib/parse/pe.c) */
#define EXCISE_MAX_PE_HEADER_SIZE (64u << 10)     /* DOS + NT headers + section table must end here */
#define EXCISE_MAX_PE_SECTIONS 96u                /* sections (the Windows loader's own limit) */
#define EXCISE_MAX_PE_RESOURCE_ENTRIES 4096u      /* entries in one resource directory */
#define EXCISE_MAX_PE_RESOURCE_DEPTH 3u           /* directory levels: type, name, language */
#define EXCISE_MAX_PE_VERSION_SIZE (64u << 10)    /* bytes of the VS_VERSIONINFO resource */
#define EXCISE_MAX_PE_CERT_TABLE_SIZE (1u << 20)  /* bytes of the Authenticode certificate table */

/* Windows known locations (lib/source/winfiles.c) */
#define EXCISE_MAX_WIN_PE_FILES 20000u   /* PE files read per scan (version info and signer) */
#define EXCISE_MAX_WIN_PE_DEPTH 6u       /* directory levels below Program Files* searched for PE files */

/* Browser profiles (extensions) and NSS certificate databases */
#define EXCISE_MAX_BROWSER_JSON_SIZE (32u << 20) /* bytes of one Preferences, manifest, extensions.json */
#define EXCISE_MAX_BROWSER_EXTENSIONS 10000u     /* extensions kept per profile */
#define EXCISE_MAX_BROWSER_PROFILES 1000u        /* profiles read per browser and user */
#define EXCISE_MAX_USERS 10000u                  /* user folders (in home/, Users/) looked into */
#define EXCISE_MAX_NSSDB_SIZE (64u << 20)        /* bytes of one cert9.db read into memory */

/* Property lists (macOS: Info.plist, launchd jobs, receipts) and bundles */
#define EXCISE_MAX_PLIST_SIZE (4u << 20)       /* bytes of one plist file */
#define EXCISE_MAX_PLIST_OBJECTS 250000u       /* binary plist objects, shared references expanded */
#define EXCISE_MAX_PLIST_DEPTH 64u             /* nested arrays and dictionaries in a plist */
#define EXCISE_MAX_PLIST_ARRAY_ITEMS 4096u     /* items of one array read (ProgramArguments) */
#define EXCISE_MAX_PLIST_STRING (64u << 10)    /* bytes of one string value read */
#define EXCISE_MAX_BUNDLE_DEPTH 3u             /* levels of bundles inside bundles (helpers) */
#define EXCISE_MAX_BUNDLES 10000u              /* bundles read per scan by one source */

/* Windows registry hives (lib/parse/hive.c) and certificate blobs (lib/parse/certblob.c) */
#define EXCISE_MAX_HIVE_SIZE (512u << 20)       /* bytes of one hive file */
#define EXCISE_MAX_HIVE_KEYS 100000u            /* keys visited by one walk, subkeys of one key */
#define EXCISE_MAX_HIVE_DEPTH 32u               /* key levels below a walk's start */
#define EXCISE_MAX_HIVE_VALUE_SIZE (256u << 10) /* bytes of one value's data */
#define EXCISE_MAX_HIVE_STRING_LEN (32u << 10)  /* bytes of one decoded (UTF-8) string */
#define EXCISE_MAX_IMAGE_PATH_CUTS 16u          /* spaces an unquoted service ImagePath is cut at to find its program */
#define EXCISE_MAX_CERTBLOB_PROPS 1024u         /* properties in one certificate store Blob */

/* Removal runs (lib/remove/journal.c) */
#define EXCISE_MAX_JOURNAL_SIZE (64u << 20)   /* bytes of journal.jsonl or plan.json read back */
#define EXCISE_MAX_JOURNAL_RECORDS 1000000u   /* lines of one journal */
#define EXCISE_MAX_JOURNAL_STEPS 100000u      /* steps a journal's start record may announce */

/* Documents a host submits (lib/fleet/fjson.c; the sizes are in excise/limits.h) */
#define EXCISE_MAX_SUBMIT_DEPTH 1000u         /* arrays and objects nested in one document (cJSON's
					       * CJSON_NESTING_LIMIT; jansson would take 2048 values) */

/* Reports read back (lib/report/read.c) */
#define EXCISE_MAX_REPORT_FINDINGS 10000u     /* findings of one report */
#define EXCISE_MAX_REPORT_EVIDENCE 100000u    /* evidence of one finding */
#define EXCISE_MAX_REPORT_SOURCES 64u         /* sources of one report (names this excise may lack) */

/* Removal plans (lib/remove/plan.c, plan-io.c) */
#define EXCISE_MAX_PLAN_STEPS 10000u          /* steps (and skipped entries) of one plan */
#define EXCISE_MAX_PLAN_EVIDENCE 256u         /* evidence items kept per step */
#define EXCISE_MAX_PLAN_ARGS 16u              /* extra words of one step */
#define EXCISE_MAX_TOOL_OUTPUT (1u << 20)     /* bytes read from dpkg-query or rpm -q (pkgdb.c) */
#define EXCISE_MAX_PACKAGE_NAME_LEN 256u      /* bytes of a package name given to dpkg or rpm */
#define EXCISE_MAX_UNIT_NAME_LEN 255u         /* bytes of a unit or module name given to systemctl, modprobe */

/* Tools excise runs (lib/remove/spawn.c), and the boundary of those run against an
 * offline root (lib/remove/confine.c) */
#define EXCISE_MAX_TOOL_SECONDS 600u                /* wall-clock (and CPU) seconds of one run: then killed */
#define EXCISE_MAX_TOOL_FILE_SIZE (4096ull << 20)   /* bytes of one file a confined tool writes (RLIMIT_FSIZE) */
#define EXCISE_MAX_TOOL_MEMORY (4096ull << 20)      /* address space of a confined tool (RLIMIT_AS) */
#define EXCISE_MAX_TOOL_FILES 1024u                 /* open files of a confined tool (RLIMIT_NOFILE) */
#define EXCISE_MAX_TOOL_PROCESSES 64u               /* RLIMIT_NPROC (the kernel exempts uid 0: the pid namespace and the deadline bound it) */

/* The quarantine store (lib/remove/quarantine.c) */
#define EXCISE_MAX_QUARANTINE_MANIFEST (256u << 20) /* bytes of manifest.jsonl read back */
#define EXCISE_MAX_QUARANTINE_OBJECTS 100000u       /* objects (files, links, trees) one run moves */
#define EXCISE_MAX_QUARANTINE_ENTRIES 200000u       /* entries of one tree moved */
#define EXCISE_MAX_QUARANTINE_DEPTH 64u             /* directory levels inside one tree moved */
#define EXCISE_MAX_QUARANTINE_XATTR_LIST (64u << 10) /* bytes of one entry's xattr name list */
#define EXCISE_MAX_QUARANTINE_XATTR_SIZE (64u << 10) /* bytes of one xattr value */
#define EXCISE_MAX_QUARANTINE_NOTES 1000u           /* notes one restore reports */
/* bytes of one file hashed when it goes into the quarantine, and again when it is
 * restored: a larger file (a sparse 15 TiB leftover, say) is moved all the same, its
 * entry keeping its size and the sha256 of its first this many bytes ("sha256_bytes");
 * EXCISE_MAX_HASH_BYTES in the environment may lower it (the tests' seam, never higher) */
#define EXCISE_MAX_HASH_BYTES (1ull << 30)

/* The agent (lib/agent/) */
#define EXCISE_MAX_AGENT_RESPONSE (64u << 10)   /* bytes of a collector's answer read */
#define EXCISE_MAX_ENROLLMENT_SIZE (64u << 10)  /* bytes of an enrollment file read back */
#define EXCISE_MAX_SPOOL_META (64u << 10)       /* bytes of a spool file's metadata line */
#define EXCISE_MAX_SPOOL_ENTRIES 100000u        /* files of the spool listed (beyond: refused) */
/* The fleet reports (lib/fleet/freport.c) */
#define EXCISE_MAX_FREPORT_CONFIG_SIZE (1u << 20)  /* bytes of a report config file */
#define EXCISE_MAX_FREPORT_CONFIG_TEXT (64u << 10) /* bytes of one text of it */
#define EXCISE_MAX_FREPORT_CLOSED_DAYS 1000u      /* days of its closed_days (the organisation's closures) */
#define EXCISE_MAX_FLEET_ORG_UNIT 1024u            /* bytes of an org unit path given to a report */
/* The collector's SQLite writer (lib/fleet/ingest.c): hosts whose facts, last_seen and
 * retirement it keeps in memory between documents (slots of 4-way sets; a power of 2) */
#define EXCISE_MAX_INGEST_CACHE 65536u

#endif
