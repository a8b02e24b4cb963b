/* SPDX-License-Identifier: Apache-2.0 */
/* document: what an excise document is (its kind, by its schema) and whose (host.machine_id). */
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "agent/agent_int.h"
#include "core/doc.h"
#include "core/err.h"
#include "core/limits.h"

static const struct {
	const char *schema, *kind;
} kinds[] = {
	{ "excise.report/2", "report" },   { "excise.report/1", "report" },
	{ "excise.plan/1", "plan" },       { "excise.removal/1", "removal" },
	{ "excise.attestation/1", "attestation" },
};

void agent_doc_done(struct agent_doc *d)
{
	free(d->machine_id);
	*d = (struct agent_doc){ 0 };
}

int agent_doc_inspect(const char *name, const void *body, size_t len, struct agent_doc *ret, struct excise_err *err)
{
	*ret = (struct agent_doc){ 0 };
	struct doc d;
	doc_init(&d, "document", name, err);
	json_t *j = NULL;
	int r = doc_load(&d, body, len, EXCISE_MAX_SUBMIT_SIZE, &j);
	if (r < 0)
		return r;
	const char *schema = json_string_value(json_object_get(j, "schema"));
	for (size_t i = 0; schema && i < sizeof(kinds) / sizeof(kinds[0]) && !ret->kind[0]; i++)
		if (strcmp(schema, kinds[i].schema) == 0)
			strcpy(ret->kind, kinds[i].kind);
	if (!ret->kind[0]) {
		r = doc_fail(&d, "/schema: not a document a collector takes (excise.report/2 or /1, excise.plan/1, "
			     "excise.removal/1, excise.attestation/1)");
	} else {
		const char *m = json_string_value(json_object_get(json_object_get(j, "host"), "machine_id"));
		if (!m || !*m)
			r = doc_fail(&d, "/host/machine_id: none: a document names its machine to be submitted");
		else if (strlen(m) > 256 || strpbrk(m, "\n\r"))
			r = doc_fail(&d, "/host/machine_id: expected one line of at most 256 bytes");
		else if (!(ret->machine_id = strdup(m)))
			r = doc_failc(&d, -ENOMEM, "out of memory");
	}
	json_decref(j);
	return r;
}
