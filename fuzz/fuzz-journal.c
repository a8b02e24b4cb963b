/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target for the removal journal reader (lib/remove/journal.c). Input: any
 * bytes, capped at 1 MiB, read as journal.jsonl. An error must come with a
 * message and its code; a success must describe steps consistently.
 */
#include "fuzz.h"
#include "remove/journal.h"

#define FUZZ_MAX_INPUT (1u << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > FUZZ_MAX_INPUT)
		return 0;
	struct excise_err err = { 0 };
	struct journal_state st;
	int r = journal_parse("fuzz", (const char *)data, size, &st, &err);
	if (r < 0) {
		if (!err.msg[0] || err.code != r)
			__builtin_trap();
		return 0;
	}
	for (size_t i = 0; i < st.n_steps; i++)
		if (st.outcomes[i] != EXCISE_STEP_PENDING && !st.begun[i])
			__builtin_trap();
	if (!st.root || st.root[0] != '/' || !st.quarantine)
		__builtin_trap();
	journal_state_done(&st);
	return 0;
}
