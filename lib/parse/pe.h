/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pe: a bounded reader of Windows PE images (PE32 and PE32+), for the two
 * things a detector wants from an .exe, .dll or .sys: its version resource and
 * the identity of its Authenticode signer.
 *
 * The file is never read whole: every read goes through a pe_reader (pread on
 * a file, memcpy in the fuzz target) at an offset checked against the file
 * size first. What is read, and how much at most:
 *  - the DOS header, NT headers and section table, all inside the first
 *    EXCISE_MAX_PE_HEADER_SIZE bytes, at most EXCISE_MAX_PE_SECTIONS sections;
 *  - the resource directory path RT_VERSION (16) -> first name -> first
 *    language: three directories of at most EXCISE_MAX_PE_RESOURCE_ENTRIES
 *    entries each, no deeper (EXCISE_MAX_PE_RESOURCE_DEPTH); a directory met
 *    twice is a loop and an error;
 *  - the VS_VERSIONINFO resource, at most EXCISE_MAX_PE_VERSION_SIZE bytes;
 *  - the certificate table (IMAGE_DIRECTORY_ENTRY_SECURITY, a file offset, not
 *    an RVA), at most EXCISE_MAX_PE_CERT_TABLE_SIZE bytes.
 *
 * The signature is decoded, not verified: pe_read_signer() reports who the
 * PKCS#7 SignedData names as its signer (the certificate matching the first
 * SignerInfo's issuer and serial), without checking the signature, the
 * certificate chain or the image digest. Anyone can put any name there; a
 * caller must say "present, not verified".
 *
 * Errors: -EXCISE_E_CORRUPT (with a message naming the offset and the
 * structure), -EXCISE_E_TOOBIG / -EXCISE_E_LIMIT past a limit, -EXCISE_E_ABSENT
 * when the file has no version resource or no signature, -ENOMEM, or the
 * reader's -errno. Messages start with "'<name>': ".
 */
#ifndef EXCISE_PARSE_PE_H
#define EXCISE_PARSE_PE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/limits.h"
#include "core/macro.h"
#include "excise/error.h"

struct pe_reader {
	/* Read exactly `len` bytes at `off` (inside the file: checked before the call).
	 * Returns 0 or -errno. */
	int (*read)(void *userdata, uint64_t off, void *buf, size_t len);
	void *userdata;
	uint64_t size;       /* bytes in the file */
	const char *name;    /* for messages */
};

struct pe_section {
	char name[9];
	uint32_t va, vsize;      /* RVA and size in memory */
	uint32_t raw_off, raw_size;
};

struct pe_file {
	struct pe_reader in;
	bool pe32plus;
	uint16_t machine;
	uint16_t characteristics;
	uint16_t n_sections;
	struct pe_section sec[EXCISE_MAX_PE_SECTIONS];
	uint32_t n_dirs;
	struct {
		uint32_t va, size;
	} dir[16];
	uint64_t bytes_read;     /* asked of the reader so far */
};

struct pe_version {
	bool has_fixed;              /* VS_FIXEDFILEINFO present and well-formed */
	uint16_t file_ver[4];        /* from VS_FIXEDFILEINFO: major, minor, build, revision */
	uint16_t product_ver[4];
	/* From the first StringFileInfo table, UTF-8 (invalid UTF-16 as U+FFFD); NULL when absent. */
	char *company_name, *product_name, *file_description, *file_version, *product_version,
		*original_filename, *internal_name, *legal_copyright;
};

struct pe_signer {
	char *cn;          /* subject CN, UTF-8, may be NULL */
	char *org;         /* subject O, may be NULL */
	char *subject;     /* RFC 2253 DN, UTF-8 kept */
	char *issuer;      /* RFC 2253 DN */
	char *serial;      /* lower-case hex */
	size_t n_certs;    /* certificates carried by the signature */
};

/* Read and check the headers. `in` is copied. */
NODISCARD int pe_open(const struct pe_reader *in, struct pe_file *pe, struct excise_err *err);

/* The version resource; -EXCISE_E_ABSENT when there is none. On success free with pe_version_done(). */
NODISCARD int pe_read_version(struct pe_file *pe, struct pe_version *v, struct excise_err *err);
void pe_version_done(struct pe_version *v);

/* The Authenticode signer (decoded, not verified); -EXCISE_E_ABSENT when unsigned. */
NODISCARD int pe_read_signer(struct pe_file *pe, struct pe_signer *s, struct excise_err *err);
void pe_signer_done(struct pe_signer *s);

#endif
