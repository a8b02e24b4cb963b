/* SPDX-License-Identifier: Apache-2.0 */
/*
 * result: the scan an engine finishes (or a report read back), whoever made it:
 * freeing it, its verdict and the names it shows.
 */
#include <stdlib.h>
#include <string.h>

#include "core/macro.h"
#include "engine/engine_int.h"
#include "excise/scan.h"

void excise_host_done(struct excise_host *h)
{
	free(h->hostname);
	free(h->os);
	free(h->os_id);
	free(h->machine_id);
	free(h->root);
	free(h->platform);
	free(h->platforms);
	*h = (struct excise_host){ 0 };
}

void result_evidence_done(struct excise_evidence *e)
{
	free((char *)e->source);
	free((char *)e->indicator_id);
	free((char *)e->value);
	free((char *)e->path);
	free((char *)e->version);
	free((char *)e->state);
	excise_strv_free(e->attrs);
}

void result_source_done(struct excise_source_result *r)
{
	free((char *)r->name);
	free(r->error);
	excise_strv_free(r->errors);
}

static void finding_done(struct excise_finding *f)
{
	for (size_t k = 0; k < f->n_evidence; k++)
		result_evidence_done(&f->evidence[k]);
	free(f->evidence);
	free(f->directives);
	free(f->version);
	free((char *)f->product_id);
	free((char *)f->product_name);
	free((char *)f->vendor_id);
	free((char *)f->vendor_name);
}

struct excise_scan *excise_scan_free(struct excise_scan *s)
{
	if (!s)
		return NULL;
	for (size_t i = 0; i < s->n_findings; i++)
		finding_done(&s->findings[i]);
	free(s->findings);
	for (size_t i = 0; i < s->n_sources; i++)
		result_source_done(&s->sources[i]);
	free(s->sources);
	free(s->catalog_id);
	free(s->catalog_version);
	free(s->catalog_sha256);
	excise_host_done(&s->host);
	free(s);
	return NULL;
}

bool excise_scan_complete(const struct excise_scan *s)
{
	for (size_t i = 0; i < s->n_sources; i++)
		if (s->sources[i].status == EXCISE_SOURCE_FAILED)
			return false;
	return true;
}

size_t excise_scan_count(const struct excise_scan *s, enum excise_confidence min)
{
	size_t n = 0;
	for (size_t i = 0; i < s->n_findings; i++)
		n += s->findings[i].confidence >= min;
	return n;
}

int excise_scan_verdict(const struct excise_scan *s, const char **ret_word)
{
	const char *w = "clean";
	int code = 0;
	if (excise_scan_count(s, EXCISE_CONF_STRONG) > 0)
		w = "found", code = 1;
	else if (!excise_scan_complete(s))
		w = "incomplete", code = 2;
	if (ret_word)
		*ret_word = w;
	return code;
}

const char *excise_state_name(enum excise_state s)
{
	static const char *const n[] = { "remnant", "installed", "running", "trust" };
	return (unsigned)s < ARRAY_SIZE(n) ? n[s] : "?";
}

int excise_state_rank(enum excise_state s)
{
	static const int rank[] = { 0, 2, 3, 1 };
	return (unsigned)s < ARRAY_SIZE(rank) ? rank[s] : 0;
}

const char *excise_finding_kind_name(enum excise_finding_kind k)
{
	static const char *const n[] = { "product", "unlisted", "traces" };
	return (unsigned)k < ARRAY_SIZE(n) ? n[k] : "?";
}

const char *excise_source_status_name(enum excise_source_status s)
{
	static const char *const n[] = { "ok", "absent", "failed", "skipped" };
	return (unsigned)s < ARRAY_SIZE(n) ? n[s] : "?";
}
