/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target for the minisign text parsers (lib/catalog/sigfile.c). Input: any
 * bytes, capped at 128 KiB (twice EXCISE_MAX_SIGFILE_SIZE, so the size limit is
 * crossed too), used three ways: as a .minisig signature verified over a fixed
 * message with a fixed trusted key (excise_sig_verify), as a public key file and
 * as a secret key file. A failure must carry its code and a message; a success
 * of the verification must name the one trusted key.
 */
#include <string.h>

#include "catalog/sigfile.h"
#include "excise/catalog.h"
#include "fuzz.h"

#define FUZZ_MAX_INPUT (128u << 10)

/* Made with `minisign -G -W`; tests/fuzz/minisig/ holds signatures by it over DATA. */
static const char KEY[] = "RWRKKnmqpUjH/MzbwVSLITnJ50+oBq5i850yM3eefNEuRvgrjZ0tEsb9";
static const char KEY_ID[] = "FCC748A5AA792A4A";
static const char DATA[] = "excise fuzz target data\n";

static void check(int r, const struct excise_err *err)
{
	if (r < 0 && (!err->msg[0] || err->code != r))
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > FUZZ_MAX_INPUT)
		return 0;
	const char *text = (const char *)data;
	const char *keys[] = { KEY };
	char id[17] = "";
	struct excise_err err = { 0 };
	int r = excise_sig_verify(DATA, strlen(DATA), text, size, keys, 1, id, &err);
	check(r, &err);
	if (r >= 0 && strcmp(id, KEY_ID) != 0)
		__builtin_trap();

	struct sig_pubkey pk;
	err = (struct excise_err){ 0 };
	check(sig_parse_pubkey("public key", text, size, &pk, &err), &err);

	struct sig_seckey sk;
	err = (struct excise_err){ 0 };
	check(sig_parse_seckey("secret key", text, size, &sk, &err), &err);
	return 0;
}
