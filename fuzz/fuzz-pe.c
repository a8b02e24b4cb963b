/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target for the PE reader. Input: the bytes of an .exe/.dll/.sys, capped
 * at 4 MiB, read through a pe_reader over memory. Every string of the version
 * resource and of the signer is read whole, and every error must carry a
 * message; the reader must never be asked for bytes outside the input.
 */
#include <string.h>

#include "fuzz.h"
#include "parse/pe.h"

#define FUZZ_MAX_INPUT (4u << 20)

struct mem {
	const uint8_t *p;
	size_t n;
};

static int mem_read(void *ud, uint64_t off, void *buf, size_t len)
{
	const struct mem *m = ud;
	if (off > m->n || len > m->n - off)
		__builtin_trap();
	memcpy(buf, m->p + off, len);
	return 0;
}

static size_t touch(const char *s)
{
	return s ? strlen(s) : 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > FUZZ_MAX_INPUT)
		return 0;
	struct mem m = { data, size };
	struct pe_reader in = { .read = mem_read, .userdata = &m, .size = size, .name = "fuzz.exe" };
	struct pe_file pe;
	struct excise_err err = { 0 };
	size_t sum = 0;
	int r = pe_open(&in, &pe, &err);
	if (r < 0) {
		if (!err.msg[0])
			__builtin_trap();
		return 0;
	}
	struct pe_version v;
	err.msg[0] = 0;
	r = pe_read_version(&pe, &v, &err);
	if (r == 0) {
		sum += touch(v.company_name) + touch(v.product_name) + touch(v.file_description) +
		       touch(v.file_version) + touch(v.product_version) + touch(v.original_filename) +
		       touch(v.internal_name) + touch(v.legal_copyright);
		pe_version_done(&v);
	} else if (r != -EXCISE_E_ABSENT && !err.msg[0]) {
		__builtin_trap();
	}
	struct pe_signer s;
	err.msg[0] = 0;
	r = pe_read_signer(&pe, &s, &err);
	if (r == 0) {
		sum += touch(s.cn) + touch(s.org) + touch(s.subject) + touch(s.issuer) + touch(s.serial);
		pe_signer_done(&s);
	} else if (r != -EXCISE_E_ABSENT && !err.msg[0]) {
		__builtin_trap();
	}
	/* Headers, three resource directories, the version resource and the certificate table. */
	if (pe.bytes_read > EXCISE_MAX_PE_HEADER_SIZE + 3 * (16 + 8 * EXCISE_MAX_PE_RESOURCE_ENTRIES) +
				    16 + EXCISE_MAX_PE_VERSION_SIZE + EXCISE_MAX_PE_CERT_TABLE_SIZE)
		__builtin_trap();
	return sum == (size_t)-1;
}
