/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target for the plan reader (excise_plan_read_json, lib/remove/plan-io.c).
 * Input: any bytes, capped at 1 MiB, read as an excise.plan/1 document. A plan
 * that reads is written back in every format, so hostile strings reach the sh and
 * ps1 quoting too, and its JSON must read again into the same number of steps.
 */
#include <stdio.h>
#include <stdlib.h>

#include "excise/plan.h"
#include "fuzz.h"

#define FUZZ_MAX_INPUT (1u << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > FUZZ_MAX_INPUT)
		return 0;
	struct excise_err err = { 0 };
	struct excise_plan *p = NULL;
	int r = excise_plan_read_json("fuzz", (const char *)data, size, &p, &err);
	if (r < 0) {
		if (!err.msg[0] || err.code != r || p)
			__builtin_trap();
		return 0;
	}
	for (size_t i = 0; i < p->n_steps; i++)
		if (p->steps[i].action >= EXCISE_PLAN_ACTION_MAX || !p->steps[i].target || !p->steps[i].n_evidence)
			__builtin_trap();
	static const enum excise_plan_format formats[] = { EXCISE_PLAN_TEXT, EXCISE_PLAN_SH, EXCISE_PLAN_PS1,
							   EXCISE_PLAN_JSON };
	for (size_t f = 0; f < sizeof(formats) / sizeof(formats[0]); f++) {
		char *buf = NULL;
		size_t len = 0;
		FILE *out = open_memstream(&buf, &len);
		if (!out)
			break;
		int w = excise_plan_write(p, formats[f], out, &err);
		fclose(out);
		if (w == 0 && formats[f] == EXCISE_PLAN_JSON) {
			struct excise_plan *again = NULL;
			if (excise_plan_read_json("fuzz-again", buf, len, &again, &err) < 0 ||
			    again->n_steps != p->n_steps || again->n_skipped != p->n_skipped)
				__builtin_trap();
			excise_plan_free(again);
		}
		free(buf);
	}
	excise_plan_free(p);
	return 0;
}
