/* SPDX-License-Identifier: Apache-2.0 */
/* csv: one row per artifact (RFC 4180 quoting, UTF-8; raw path bytes in path_hex): its
 * strongest match in the columns of /1, every indicator that matched it in `indicators`.
 * Every cell goes through csv_cell (lib/core/text.h): control, C1 and bidirectional
 * characters shown as escapes, a cell that a spreadsheet would take for a formula
 * (= + - @ tab CR first) prefixed with '. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/text.h"
#include "excise/report.h"
#include "report/report_int.h"

/* One cell (csv_cell: escaped, neutralised against formulas, quoted), then its separator. */
static void field(FILE *out, const char *s, bool last)
{
	struct buf b;
	buf_init(&b, 0);
	csv_cell(&b, s);
	if (!b.err)
		fwrite(b.p, 1, b.n, out);
	buf_done(&b);
	fputs(last ? "\r\n" : ",", out);
}

int excise_report_csv(const struct excise_scan *s, FILE *out)
{
	fputs("report_id,hostname,root,product_id,product,vendor,version,state,confidence,directives,"
	      "source,kind,field,value,path,path_hex,attrs,indicator_id,indicator_confidence,"
	      "indicator_source,indicators,finding_kind\r\n",
	      out);
	for (size_t i = 0; i < s->n_findings; i++) {
		const struct excise_finding *f = &s->findings[i];
		char *dirs = report_directives(f, ";");
		struct report_artifacts as = { 0 };
		int r = dirs ? report_artifacts(f, &as) : -ENOMEM;
		if (r < 0) {
			free(dirs);
			report_artifacts_done(&as);
			return r;
		}
		for (size_t k = 0; k < as.n; k++) {
			const struct report_artifact *a = &as.a[k];
			const struct excise_evidence *e = a->m[0];
			char *hex = e->path && !utf8_valid(e->path, strlen(e->path)) ? report_hex(e->path) : NULL;
			field(out, s->report_id, false);
			field(out, s->host.hostname, false);
			field(out, s->host.root, false);
			field(out, f->product_id, false);
			field(out, f->product_name, false);
			field(out, f->vendor_name, false);
			field(out, f->version, false);
			field(out, excise_state_name(f->state), false);
			field(out, excise_confidence_name(f->confidence), false);
			field(out, dirs, false);
			field(out, e->source, false);
			field(out, excise_obs_kind_name(e->kind), false);
			field(out, excise_field_name(e->field), false);
			field(out, e->value, false);
			field(out, e->path, false);
			field(out, hex, false);
			char *attrs = e->attrs ? report_attrs(e) : NULL;
			field(out, attrs, false);
			free(attrs);
			field(out, e->indicator_id, false);
			field(out, excise_confidence_name(e->confidence), false);
			field(out, e->indicator ? e->indicator->source_url : NULL, false);
			struct buf ids;
			buf_init(&ids, 0);
			for (size_t j = 0; j < a->n; j++)
				buf_addf(&ids, "%s%s", j ? ";" : "", a->m[j]->indicator_id);
			field(out, ids.err ? NULL : ids.p, false);
			r = ids.err;
			buf_done(&ids);
			field(out, excise_finding_kind_name(f->kind), true);
			free(hex);
		}
		report_artifacts_done(&as);
		free(dirs);
		if (r < 0)
			return r;
	}
	return fflush(out) == EOF || ferror(out) ? -EIO : 0;
}
