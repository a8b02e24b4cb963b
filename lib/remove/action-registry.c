/* SPDX-License-Identifier: Apache-2.0 */
/*
 * action-registry: delete a Windows registry key (lib/remove/action.h), exported to
 * a .reg file in the quarantine folder first. A step of the ps1 script only.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "remove/action.h"
#include "remove/plan_int.h"

/* A key in a user's hive (HKU\<user>\..., the user's folder name as the image showed it):
 * the user's SID from the ProfileList; the hive is HKU\<SID> while the user is signed in,
 * else NTUSER.DAT is loaded for the step (reg load) and unloaded after, in every case. */
static void regkey_user_ps1(const struct excise_plan_step *s, const char *sub, FILE *out)
{
	fputs("    $user = ", out);
	emit_psq(out, s->user);
	fputs("\n    $sub = ", out);
	emit_psq(out, sub);
	fputs("\n    $profiles = 'Registry::HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\ProfileList'\n"
	      "    $sids = @(Get-ChildItem -LiteralPath $profiles | Where-Object { $p = [string]$_.GetValue('ProfileImagePath'); $p -and (Split-Path -Leaf $p) -eq $user } | ForEach-Object { $_.PSChildName })\n"
	      "    if ($sids.Count -ne 1) { throw ('the user ' + $user + ' has ' + $sids.Count + ' profiles in the ProfileList, not one') }\n"
	      "    $sid = $sids[0]\n"
	      "    $loaded = Test-Path -LiteralPath ('Registry::HKEY_USERS\\' + $sid)\n"
	      "    $mount = 'HKU\\' + $sid\n"
	      "    if (-not $loaded) {\n"
	      "        # not signed in: the user's hive is loaded for this step, and unloaded after\n"
	      "        $mount = 'HKU\\excise-' + $sid\n"
	      "        $hive = Join-Path ([string](Get-ItemProperty -LiteralPath (Join-Path $profiles $sid)).ProfileImagePath) 'NTUSER.DAT'\n"
	      "        Invoke-Step { & reg.exe load $mount $hive | Out-Null; if ($LASTEXITCODE -ne 0) { throw ('reg load ' + $hive + ' failed') } }\n"
	      "    }\n"
	      "    try {\n"
	      "        $key = $mount + '\\' + $sub\n"
	      "        $path = 'Registry::HKEY_USERS\\' + $key.Substring(4)\n"
	      "        if (($loaded -or -not $DryRun) -and -not (Test-Path -LiteralPath $path)) { Write-Log '  already gone'; return }\n"
	      "        $file = Join-Path $Quarantine (\"reg-\" + [guid]::NewGuid() + '.reg')\n"
	      "        Invoke-Step { & reg.exe export $key $file /y | Out-Null; if ($LASTEXITCODE -ne 0) { throw 'reg export failed' } }\n"
	      "        Invoke-Step { Remove-Item -LiteralPath $path -Recurse -Force }\n"
	      "    } finally {\n"
	      "        if (-not $loaded) {\n"
	      "            [gc]::Collect()\n"
	      "            Invoke-Step { & reg.exe unload $mount | Out-Null; if ($LASTEXITCODE -ne 0) { throw ('reg unload ' + $mount + ' failed') } }\n"
	      "        }\n"
	      "    }\n", out);
}

static void regkey_ps1(const struct excise_plan_step *s, FILE *out)
{
	/* HKU\<user>\<sub>: that user's hive */
	const char *sub = s->user && !strncasecmp(s->target, "HKU\\", 4) ? strchr(s->target + 4, '\\') : NULL;
	if (sub) {
		regkey_user_ps1(s, sub + 1, out);
		return;
	}
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
