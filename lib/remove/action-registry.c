/* SPDX-License-Identifier: Apache-2.0 */
/*
 * action-registry: delete a Windows registry key (lib/remove/action.h), exported to
 * a .reg file in the quarantine folder first. A step of the ps1 script only.
 */
#include <stdio.h>

#include "remove/action.h"
#include "remove/plan_int.h"

static void regkey_ps1(const struct excise_plan_step *s, FILE *out)
{
	fputs("    $key = ", out);
	emit_psq(out, s->target);
	fputs("\n    if (-not (Test-Path -LiteralPath ('Registry::' + $key))) { Write-Log '  already gone'; return }\n"
	      "    $file = Join-Path $Quarantine (\"reg-\" + [guid]::NewGuid() + '.reg')\n"
	      "    Invoke-Step { & reg.exe export $key $file /y | Out-Null; if ($LASTEXITCODE -ne 0) { throw 'reg export failed' } }\n"
	      "    Invoke-Step { Remove-Item -LiteralPath ('Registry::' + $key) -Recurse -Force }\n", out);
}

const struct action_ops action_delete_regkey = {
	.name = "delete-registry-key", .rank = 8, .ps1 = regkey_ps1,
};
