/* SPDX-License-Identifier: Apache-2.0 */
/* csv: one row per piece of evidence (RFC 4180 quoting, UTF-8; raw path bytes in path_hex). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/text.h"
#include "excise/report.h"
#include "report/report_int.h"

static void field(FILE *out, const char *s, bool last)
{
	if (s) {
		char *u = report_utf8(s, NULL);
		const char *p = u ? u : "";
		if (strpbrk(p, ",\"\r\n")) {
			fputc('"', out);
			for (; *p; p++) {
				if (*p == '"')
					fputc('"', out);
				fputc(*p, out);
			}
			fputc('"', out);
		} else {
			fputs(p, out);
		}
		free(u);
	}
	fputs(last ? "\r\n" : ",", out);
}

int excise_report_csv(const struct excise_scan *s, FILE *out)
{
	fputs("report_id,hostname,root,product_id,product,vendor,version,state,confidence,directives,"
	      "source,kind,field,value,path,path_hex,attrs,indicator_id,indicator_confidence,"
	      "indicator_source\r\n",
	      out);
	for (size_t i = 0; i < s->n_findings; i++) {
		const struct excise_finding *f = &s->findings[i];
		char *dirs = report_directives(f, ";");
		for (size_t k = 0; k < f->n_evidence; k++) {
			const struct excise_evidence *e = &f->evidence[k];
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
			field(out, e->indicator ? e->indicator->source_url : NULL, true);
			free(hex);
		}
		free(dirs);
	}
	return fflush(out) == EOF || ferror(out) ? -EIO : 0;
}
