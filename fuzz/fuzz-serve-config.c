/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target for the collector's config file (excise_serve_config_read,
 * lib/serve/config.c over core/doc): any bytes as the file `excise serve --config`
 * names, capped at 2 MiB (the reader's own limit is 1 MiB). Besides the sanitizers: a
 * refusal has a message and its code; a config that reads has every member within the
 * bounds docs/collector.md gives, and its strings non-empty.
 */
#include <string.h>

#include "excise/serve.h"
#include "fuzz.h"
#include "hostfile.h"

#define FUZZ_MAX_INPUT (2u << 20)

static void nonempty(const char *s)
{
	if (s && !*s)
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > FUZZ_MAX_INPUT)
		return 0;
	const char *path = fuzz_hostfile(data, size);
	if (!path)
		return 0;
	struct excise_serve_config c;
	excise_serve_config_init(&c);
	struct excise_err err = { 0 };
	int r = excise_serve_config_read(&c, path, &err);
	if (r < 0) {
		if (!err.msg[0] || err.code != r)
			__builtin_trap();
	} else {
		const struct excise_serve_limits *l = &c.limits;
		if (c.port > 65535 || (c.plain_http && c.tls_cert) || !c.tls_cert != !c.tls_key ||
		    c.replay_window < 1 || c.replay_window > 86400 || c.stale_days < 1 || c.stale_days > 3650)
			__builtin_trap();
		if (l->body_bytes < 1024 || l->body_bytes > EXCISE_MAX_SERVE_BODY_CEILING || l->header_bytes < 1024 ||
		    l->connections < 1 || l->idle_seconds < 1 || l->idle_seconds > 3600 || l->request_seconds < 1 ||
		    l->request_seconds > 3600 || l->threads > EXCISE_MAX_SERVE_THREADS ||
		    l->pg_writers > EXCISE_STORE_MAX_WRITERS || l->batch_wait_ms > 10000)
			__builtin_trap();
		nonempty(c.address);
		nonempty(c.tls_cert);
		nonempty(c.tls_key);
		nonempty(c.database);
		nonempty(c.master_key_file);
		nonempty(c.state_dir);
	}
	excise_serve_config_done(&c);
	return 0;
}
