/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target for what the agent reads that it did not write (lib/agent/): the
 * collector's answers (status, Retry-After, the JSON of a submit or an enrollment
 * answer, an error's message and host_invalid), a document given to `excise submit`
 * (its kind and machine), and a spool file's metadata line. Input: at most 1 MiB;
 * "STATUS RETRY-AFTER\n" then the body; the whole input is also read as a document
 * and its first line as spool metadata.
 */
#include <stdlib.h>
#include <string.h>

#include "agent/agent_int.h"
#include "core/limits.h"
#include "fuzz.h"

#define FUZZ_MAX_INPUT (1u << 20)

static void check_answer(const char *data, size_t size)
{
	const char *nl = memchr(data, '\n', size);
	if (!nl)
		return;
	char head[128];
	size_t hl = (size_t)(nl - data) < sizeof(head) - 1 ? (size_t)(nl - data) : sizeof(head) - 1;
	memcpy(head, data, hl);
	head[hl] = 0;
	char *sp = strchr(head, ' ');
	int64_t ra = http_retry_after(sp ? sp + 1 : "", 1700000000);
	if (ra < -1 || ra > EXCISE_AGENT_RETRY_AFTER_MAX)
		__builtin_trap();
	struct http_resp r = { .status = strtol(head, NULL, 10), .retry_after = ra };
	size_t blen = size - (size_t)(nl + 1 - data);
	if (blen > EXCISE_MAX_AGENT_RESPONSE)
		blen = EXCISE_MAX_AGENT_RESPONSE;
	r.body = malloc(blen + 1);
	if (!r.body)
		return;
	memcpy(r.body, nl + 1, blen);
	r.body[blen] = 0;
	r.len = blen;
	http_classify(&r, false);
	if (r.cls > HTTP_REFUSED || memchr(r.message, 0, sizeof(r.message)) == NULL)
		__builtin_trap();
	if ((r.status == 200) != (r.cls == HTTP_OK) || (r.cls != HTTP_OK && !r.message[0]))
		__builtin_trap();
	struct excise_agent_result res = { 0 };
	if (http_submit_answer(r.body, r.len, &res)) {
		if (res.outcome != EXCISE_AGENT_STORED && res.outcome != EXCISE_AGENT_DUPLICATE)
			__builtin_trap();
		if (!memchr(res.id, 0, sizeof(res.id)) || !memchr(res.kind, 0, sizeof(res.kind)))
			__builtin_trap();
	}
	char *host_id = NULL;
	uint8_t key[EXCISE_HOST_KEY_BYTES];
	if (http_enroll_answer(r.body, r.len, &host_id, key) == 0) {
		if (!host_id || !*host_id || strlen(host_id) > 128)
			__builtin_trap();
		for (const char *p = host_id; *p; p++)
			if (*p <= 0x20 || *p >= 0x7f)
				__builtin_trap();
	} else if (host_id) {
		__builtin_trap();
	}
	free(host_id);
	http_resp_done(&r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > FUZZ_MAX_INPUT)
		return 0;
	const char *s = (const char *)data;
	check_answer(s, size);
	struct excise_err err = { 0 };
	struct agent_doc d;
	int r = agent_doc_inspect("fuzz", s, size, &d, &err);
	if (r < 0) {
		if (!err.msg[0] || d.machine_id)
			__builtin_trap();
	} else {
		if (!d.kind[0] || !d.machine_id || !*d.machine_id || strlen(d.machine_id) > 256 ||
		    strpbrk(d.machine_id, "\r\n"))
			__builtin_trap();
		agent_doc_done(&d);
	}
	const char *nl = memchr(s, '\n', size);
	struct spool_meta m;
	struct excise_err merr = { 0 };
	if (spool_meta_parse("fuzz", s, nl ? (size_t)(nl - s) : size, &m, &merr) == 0) {
		if (!m.machine_id || strlen(m.sha256) != 64 || !m.kind[0])
			__builtin_trap();
		spool_meta_done(&m);
	} else if (!merr.msg[0]) {
		__builtin_trap();
	}
	return 0;
}
