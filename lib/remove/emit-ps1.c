/* SPDX-License-Identifier: Apache-2.0 */
/*
 * emit-ps1: a plan as a PowerShell (5.1 and later) script for Windows hosts:
 * the same shape as the sh script (a function a step, logged before and after,
 * the first failure stops it unless a fallback follows, -DryRun only says what
 * it would do). Uninstall passwords come from the operator at run time, never
 * from the plan. Strings are single-quoted with ' doubled.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/err.h"
#include "remove/plan_int.h"


/* A PowerShell single-quoted string: ' doubled; a line break (which would
 * otherwise be kept) as a concatenated [char]. */
static void psq(FILE *out, const char *s)
{
	fputc('\'', out);
	for (; s && *s; s++) {
		if (*s == '\'')
			fputs("''", out);
		else if (*s == '\n' || *s == '\r')
			fprintf(out, "' + [char]%d + '", *s);
		else
			fputc(*s, out);
	}
	fputc('\'', out);
}

/* A root-relative path ("/Program Files/Kaspersky Lab") as a Windows path on the system drive. */
static void pspath(FILE *out, const char *s)
{
	fputs("(Join-Path $env:SystemDrive ", out);
	char buf[4096];
	size_t n = 0;
	for (; s && *s && n + 1 < sizeof(buf); s++)
		buf[n++] = *s == '/' ? '\\' : *s;
	buf[n] = 0;
	psq(out, buf);
	fputc(')', out);
}

static void body(const struct excise_plan_step *s, FILE *out)
{
	switch (s->action) {
	case EXCISE_PLAN_STOP_SERVICE:
		fputs("    $svc = Get-Service -Name ", out);
		psq(out, s->target);
		fputs(" -ErrorAction SilentlyContinue\n"
		      "    if (-not $svc) { Write-Log '  not installed'; return }\n"
		      "    Invoke-Step { Stop-Service -InputObject $svc -Force }\n"
		      "    Invoke-Step { Set-Service -Name $svc.Name -StartupType Disabled }\n", out);
		break;
	case EXCISE_PLAN_MSI_UNINSTALL: {
		bool agent = s->args && s->args[0] && !strcmp(s->args[0], "KLUNINSTPASSWD");
		fputs("    $msiArgs = @('/x', ", out);
		psq(out, s->target);
		fputs(", '/qn', '/norestart')\n", out);
		if (agent)
			fputs("    if ($Password) { $msiArgs += 'KLUNINSTPASSWD=' + (ConvertTo-Utf16Hex $Password) }\n", out);
		else if (s->args)
			fputs("    if ($Password) { $msiArgs += 'KLLOGIN=' + $User; $msiArgs += 'KLPASSWD=' + (ConvertTo-Plain $Password) }\n",
			      out);
		fputs("    $code = Invoke-Msi $msiArgs\n"
		      "    if ($code -eq 1605) { Write-Log '  not installed'; return }\n"
		      "    if ($code -eq 3010) { $script:Reboot = $true; return }\n"
		      "    if ($code -ne 0) { throw \"msiexec exit code $code\" }\n", out);
		break;
	}
	case EXCISE_PLAN_VENDOR_REMOVER:
		fputs("    $tool = Join-Path $PSScriptRoot 'kavremvr.exe'\n"
		      "    if (-not (Test-Path -LiteralPath $tool)) { throw \"Kaspersky's removal tool kavremvr.exe is not "
		      "next to this script\" }\n"
		      "    Invoke-Step { Start-Process -FilePath $tool -Wait }\n", out);
		break;
	case EXCISE_PLAN_REMOVE_PATH:
		fputs("    Move-ToQuarantine ", out);
		pspath(out, s->target);
		fputc('\n', out);
		break;
	case EXCISE_PLAN_DELETE_REGKEY:
		fputs("    $key = ", out);
		psq(out, s->target);
		fputs("\n    if (-not (Test-Path -LiteralPath ('Registry::' + $key))) { Write-Log '  already gone'; return }\n"
		      "    $file = Join-Path $Quarantine (\"reg-\" + [guid]::NewGuid() + '.reg')\n"
		      "    Invoke-Step { & reg.exe export $key $file /y | Out-Null; if ($LASTEXITCODE -ne 0) { throw 'reg export failed' } }\n"
		      "    Invoke-Step { Remove-Item -LiteralPath ('Registry::' + $key) -Recurse -Force }\n", out);
		break;
	default:
		fputs("    Write-Log '  not a Windows step: see the sh script'\n", out);
		break;
	}
}

int plan_emit_ps1(const struct excise_plan *p, FILE *out, struct excise_err *err)
{
	emit_about(out, p, "ps1", false);
	fputs("# Review every step before running it, as Administrator:\n"
	      "#   powershell -ExecutionPolicy Bypass -File THIS-FILE [-DryRun] [-User KLAdmin -Password (Read-Host -AsSecureString)]\n"
	      "# The first failure stops the script; removed folders are moved into the quarantine folder.\n"
	      "[CmdletBinding()]\n"
	      "param(\n"
	      "    [switch]$DryRun,\n"
	      "    [string]$User = $env:EXCISE_KES_USER,\n"
	      "    [System.Security.SecureString]$Password\n"
	      ")\n"
	      "Set-StrictMode -Version Latest\n"
	      "$ErrorActionPreference = 'Stop'\n", out);
	fputs("$Report = ", out);
	psq(out, p->report_id ? p->report_id : "unknown");
	fputs("\n$LogDir = Join-Path $env:ProgramData 'excise'\n"
	      "$Log = Join-Path $LogDir (\"remove-\" + $Report + '.log')\n"
	      "$Quarantine = Join-Path $LogDir (\"quarantine-\" + $Report)\n"
	      "$script:Reboot = $false\n"
	      "if (-not $Password -and $env:EXCISE_KES_PASSWORD) {\n"
	      "    $Password = ConvertTo-SecureString $env:EXCISE_KES_PASSWORD -AsPlainText -Force\n"
	      "}\n"
	      "if (-not $DryRun) { New-Item -ItemType Directory -Force -Path $LogDir, $Quarantine | Out-Null }\n\n"
	      "function Write-Log([string]$Message) {\n"
	      "    $line = (Get-Date).ToUniversalTime().ToString('yyyy-MM-ddTHH:mm:ssZ') + ' ' + $Message\n"
	      "    Write-Host $line\n"
	      "    if (-not $DryRun) { Add-Content -LiteralPath $Log -Value $line }\n"
	      "}\n\n"
	      "function Invoke-Step([scriptblock]$Action) {\n"
	      "    if ($DryRun) { Write-Log ('  would run: ' + $Action.ToString().Trim()); return }\n"
	      "    & $Action\n"
	      "}\n\n"
	      "function ConvertTo-Plain([System.Security.SecureString]$s) {\n"
	      "    [Runtime.InteropServices.Marshal]::PtrToStringAuto([Runtime.InteropServices.Marshal]::SecureStringToBSTR($s))\n"
	      "}\n\n"
	      "# KLUNINSTPASSWD: the hex of the password's UTF-16LE bytes.\n"
	      "function ConvertTo-Utf16Hex([System.Security.SecureString]$s) {\n"
	      "    -join ([Text.Encoding]::Unicode.GetBytes((ConvertTo-Plain $s)) | ForEach-Object { $_.ToString('X2') })\n"
	      "}\n\n"
	      "function Invoke-Msi([string[]]$MsiArgs) {\n"
	      "    if ($DryRun) { Write-Log ('  would run: msiexec.exe ' + ($MsiArgs -join ' ')); return 0 }\n"
	      "    $p = Start-Process -FilePath 'msiexec.exe' -ArgumentList $MsiArgs -Wait -PassThru\n"
	      "    return $p.ExitCode\n"
	      "}\n\n"
	      "function Move-ToQuarantine([string]$Path) {\n"
	      "    if (-not (Test-Path -LiteralPath $Path)) { Write-Log \"  already gone: $Path\"; return }\n"
	      "    $item = Get-Item -LiteralPath $Path -Force\n"
	      "    if ($item.Attributes -band [IO.FileAttributes]::ReparsePoint) { throw \"$Path is now a link: rescan and plan again\" }\n"
	      "    $dest = Join-Path $Quarantine ($Path.Substring(3))\n"
	      "    Invoke-Step { New-Item -ItemType Directory -Force -Path (Split-Path -Parent $dest) | Out-Null }\n"
	      "    Invoke-Step { Move-Item -LiteralPath $Path -Destination $dest }\n"
	      "}\n\n", out);
	for (size_t i = 0; i < p->n_steps; i++) {
		const struct excise_plan_step *s = &p->steps[i];
		emit_step_comment(out, s);
		fprintf(out, "function Step%u {\n", s->id);
		body(s, out);
		fputs("}\n\n", out);
	}
	fputs("$prev = 'ok'\n", out);
	for (size_t i = 0; i < p->n_steps; i++) {
		const struct excise_plan_step *s = &p->steps[i];
		bool rescued = i + 1 < p->n_steps && p->steps[i + 1].fallback;
		fprintf(out, "Write-Log ('step %u/%zu: %s ' + ", s->id, p->n_steps, excise_plan_action_name(s->action));
		psq(out, s->target);
		fputs(")\n", out);
		if (s->fallback)
			fprintf(out, "if ($prev -ne 'failed') { Write-Log '  not needed' } else {\n");
		fprintf(out, "try { Step%u; Write-Log '  ok'; $prev = 'ok' }\ncatch {\n", s->id);
		if (rescued)
			fprintf(out, "    Write-Log (\"  FAILED: \" + $_ + '; the fallback step %u follows')\n    $prev = 'failed'\n}\n",
				s->id + 1);
		else
			fprintf(out, "    Write-Log (\"FAILED at step %u: \" + $_)\n    exit 1\n}\n", s->id);
		if (s->fallback)
			fputs("}\n", out);
	}
	fputs(p->reboot_required ? "$script:Reboot = $true\n" : "", out);
	fputs("if ($script:Reboot) { Write-Log 'done; a reboot is needed to finish' } else { Write-Log 'done' }\n"
	      "Write-Log 'next: excise verify --root on the disk image, or a rescan, to attest the result'\n", out);
	return ferror(out) ? err_set(err, -EIO, "writing the ps1 script") : 0;
}
