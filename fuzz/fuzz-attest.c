/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target for attestations (lib/report/attest.c). Input: any bytes, capped
 * at 1 MiB. Up to the first NUL byte they are an attestation, checked alone and,
 * when a NUL follows, against the rest as its report. The whole input is also
 * taken as a report to attest: an attestation made from it must then check
 * against it (excise_attest_make checks what it makes, so verify never writes
 * an attestation that verify --check refuses).
 */
#include <stdlib.h>
#include <string.h>

#include "excise/attest.h"
#include "fuzz.h"

#define FUZZ_MAX_INPUT (1u << 20)

static void check(const char *att, size_t att_len, const char *rep, size_t rep_len)
{
	struct excise_err err = { 0 };
	struct excise_attest_info info;
	int r = excise_attest_check("fuzz", att, att_len, rep, rep_len, &info, &err);
	if (r < 0) {
		if (!err.msg[0] || err.code != r || info.verdict)
			__builtin_trap();
		return;
	}
	if (!info.verdict || !info.hostname || !info.report_sha256 || strlen(info.report_sha256) != 64)
		__builtin_trap();
	excise_attest_info_done(&info);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > FUZZ_MAX_INPUT)
		return 0;
	const char *s = (const char *)data;
	const char *nul = memchr(s, 0, size);
	size_t att_len = nul ? (size_t)(nul - s) : size;
	check(s, att_len, NULL, 0);
	if (nul)
		check(s, att_len, nul + 1, size - att_len - 1);

	struct excise_err err = { 0 };
	char *made = NULL;
	if (excise_attest_make(s, size, "00000000-0000-4000-8000-000000000000", &made, &err) < 0) {
		if (!err.msg[0] || made)
			__builtin_trap();
		return 0;
	}
	struct excise_attest_info info;
	if (excise_attest_check("made", made, strlen(made), s, size, &info, &err) < 0)
		__builtin_trap();
	excise_attest_info_done(&info);
	free(made);
	return 0;
}
