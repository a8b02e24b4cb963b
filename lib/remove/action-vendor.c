/* SPDX-License-Identifier: Apache-2.0 */
/*
 * action-vendor: run the vendor's own uninstaller (lib/remove/action.h): a removal
 * tool the catalog's recipe names, lying next to the ps1 script (after the MSI
 * uninstall, as its fallback when the recipe says so), or an uninstaller bundled
 * with the product on macOS. On the host itself only: an image's program never
 * runs on the machine reading the image. Its note and its sh and ps1 forms.
 */
#include <stdio.h>

#include "remove/action.h"
#include "remove/plan_int.h"

static const char *vendor_note(const struct excise_plan *p, const struct excise_plan_step *s, char *buf, size_t size)
{
	(void)p;
	if (!s->path)
		return "the vendor's uninstaller bundled with the product";
	snprintf(buf, size, "%sthe vendor's removal tool %s: %s next to the script",
		 s->fallback ? "only when the MSI uninstall before it fails: " : "", s->target, s->path);
	return buf;
}

static void vendor_sh(const struct excise_plan *p, const struct excise_plan_step *s, FILE *out)
{
	(void)p;
	fputs("\tif [ -x \"$ROOT\"", out);
	emit_sq(out, s->target);
	fputs(" ]; then\n\t\trun \"$ROOT\"", out);
	emit_sq(out, s->target);
	fputs(" || return 1\n\telse\n\t\tlog \"  the vendor's uninstaller is not there\"\n\tfi\n", out);
}

static void vendor_ps1(const struct excise_plan_step *s, FILE *out)
{
	if (!s->path) {
		fputs("    throw 'an uninstaller bundled with the product: not a Windows step'\n", out);
		return;
	}
	/* the vendor's removal tool lies next to the script */
	fputs("    $tool = Join-Path $PSScriptRoot ", out);
	emit_psq(out, s->path);
	fputs("\n    if (-not (Test-Path -LiteralPath $tool)) { throw ('the removal tool ' + ", out);
	emit_psq_with(out, s->target, " (");
	fputs(" + ", out);
	emit_psq_with(out, s->path, ")");
	fputs(" + ' is not next to this script') }\n    Invoke-Step { Start-Process -FilePath $tool", out);
	for (size_t i = 0; s->args && s->args[i]; i++) {
		fputs(i ? ", " : " -ArgumentList @(", out);
		emit_psq(out, s->args[i]);
		fputs(s->args[i + 1] ? "" : ")", out);
	}
	fputs(" -Wait }\n", out);
}

const struct action_ops action_vendor_remover = {
	.name = "vendor-remover", .rank = 6, .live_only = true,
	.note = vendor_note, .sh = vendor_sh, .ps1 = vendor_ps1,
};
