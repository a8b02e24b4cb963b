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
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/text.h"
#include "remove/action.h"
#include "remove/plan_int.h"


/* A PowerShell single-quoted string: ' doubled; a line break, and every character a
 * terminal would act on (what text_escape escapes), as a concatenated [char], the
 * whole then in parentheses. */
void emit_psq(FILE *out, const char *s)
{
	size_t len = s ? strlen(s) : 0;
	/* a string with characters by number is an expression: in parentheses, it is one
	 * argument of a command too */
	bool joined = false;
	for (size_t i = 0, n; i < len && !joined; i += n) {
		uint32_t cp;
		bool valid;
		joined = text_char_unsafe(s + i, len - i, &n, &cp, &valid);
	}
	fputs(joined ? "('" : "'", out);
	for (size_t i = 0, n; i < len; i += n) {
		uint32_t cp;
		bool valid;
		if (s[i] == '\'') {
			fputs("''", out);
			n = 1;
		} else if (text_char_unsafe(s + i, len - i, &n, &cp, &valid)) {
			/* a control, C1 or bidirectional character (a byte not UTF-8: U+FFFD, as Windows
			 * reads it) by its number, so that the script shown on a terminal carries none */
			fprintf(out, valid && cp < 0x80 ? "' + [char]%u + '" : "' + [char]0x%04X + '",
				valid ? (unsigned)cp : 0xFFFDu);
		} else {
			n = 1;
			fputc(s[i], out);
		}
	}
	fputs(joined ? "')" : "'", out);
}

/* `s` followed by `tail`, as one single-quoted string. */
void emit_psq_with(FILE *out, const char *s, const char *tail)
{
	size_t n = strlen(s ? s : "") + strlen(tail) + 1;
	char *t = malloc(n);
	if (!t) {
		fputs("''", out);
		return;
	}
	snprintf(t, n, "%s%s", s ? s : "", tail);
	emit_psq(out, t);
	free(t);
}

/* A root-relative path ("/Program Files/Vendor") as a Windows path on the system drive. */
void emit_pspath(FILE *out, const char *s)
{
	fputs("(Join-Path $env:SystemDrive ", out);
	char buf[4096];
	size_t n = 0;
	for (; s && *s && n + 1 < sizeof(buf); s++)
		buf[n++] = *s == '/' ? '\\' : *s;
	buf[n] = 0;
	emit_psq(out, buf);
	fputc(')', out);
}

static void body(const struct excise_plan_step *s, FILE *out)
{
	const struct action_ops *ops = plan_action(s->action);
	if (ops->ps1)
		ops->ps1(s, out);
	else
		fputs("    Write-Log '  not a Windows step: see the sh script'\n", out);
}

int plan_emit_ps1(const struct excise_plan *p, FILE *out, struct excise_err *err)
{
	emit_about(out, p, "ps1", false);
	fputs("# Review every step before running it, as Administrator:\n"
	      "#   powershell -ExecutionPolicy Bypass -File THIS-FILE [-DryRun] [-User NAME -Password (Read-Host -AsSecureString)]\n"
	      "#     [-UserCredential (Get-Credential USER)]   (for the steps of a per-user install of USER)\n"
	      "# The first failure stops the script; removed folders are moved into the quarantine folder.\n"
	      "[CmdletBinding()]\n"
	      "param(\n"
	      "    [switch]$DryRun,\n"
	      "    [string]$User = $env:EXCISE_UNINSTALL_USER,\n"
	      "    [System.Security.SecureString]$Password,\n"
	      "    [System.Management.Automation.PSCredential]$UserCredential\n"
	      ")\n"
	      "Set-StrictMode -Version Latest\n"
	      "$ErrorActionPreference = 'Stop'\n", out);
	fputs("$Report = ", out);
	emit_psq(out, p->report_id ? p->report_id : "unknown");
	fputs("\n$LogDir = Join-Path $env:ProgramData 'excise'\n"
	      "$Log = Join-Path $LogDir (\"remove-\" + $Report + '.log')\n"
	      "$Quarantine = Join-Path $LogDir (\"quarantine-\" + $Report)\n"
	      "$script:Reboot = $false\n"
	      "if (-not $Password -and $env:EXCISE_UNINSTALL_PASSWORD) {\n"
	      "    $Password = ConvertTo-SecureString $env:EXCISE_UNINSTALL_PASSWORD -AsPlainText -Force\n"
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
	      "# password-utf16le-hex: the hex of the password's UTF-16LE bytes.\n"
	      "function ConvertTo-Utf16Hex([System.Security.SecureString]$s) {\n"
	      "    -join ([Text.Encoding]::Unicode.GetBytes((ConvertTo-Plain $s)) | ForEach-Object { $_.ToString('X2') })\n"
	      "}\n\n"
	      "# Run a program and wait; its exit code. A per-user install (-AsUser: the user's folder\n"
	      "# name under Users, as the image showed it) is known to Windows only in that user's\n"
	      "# context: run as that user when the script is not, with -UserCredential for them;\n"
	      "# without it the step fails and the script stops.\n"
	      "function Invoke-Program([string]$Program, [string[]]$Arguments, [string]$AsUser = '') {\n"
	      "    $as = ''\n"
	      "    if ($AsUser) { $as = ' as ' + $AsUser }\n"
	      "    if ($DryRun) {\n"
	      "        $shown = @($Arguments | ForEach-Object { $_ -replace '^([A-Za-z0-9_]*PASSW[A-Za-z0-9_]*)=.*$', '$1=********' })\n"
	      "        Write-Log ('  would run' + $as + ': ' + $Program + ' ' + ($shown -join ' ')); return 0\n"
	      "    }\n"
	      "    $a = @{ FilePath = $Program; Wait = $true; PassThru = $true }\n"
	      "    if ($Arguments) { $a.ArgumentList = $Arguments }\n"
	      "    if ($AsUser -and $AsUser -ne $env:USERNAME) {\n"
	      "        if (-not $UserCredential -or ($UserCredential.UserName -split '\\\\')[-1] -ne $AsUser) {\n"
	      "            throw ('a per-user install of ' + $AsUser + ': run this script as ' + $AsUser + ', or give -UserCredential (Get-Credential ' + $AsUser + ')')\n"
	      "        }\n"
	      "        $a.Credential = $UserCredential\n"
	      "        $a.LoadUserProfile = $true\n"
	      "    }\n"
	      "    return (Start-Process @a).ExitCode\n"
	      "}\n\n"
	      "function Invoke-Msi([string[]]$MsiArgs, [string]$AsUser = '') {\n"
	      "    return Invoke-Program 'msiexec.exe' $MsiArgs $AsUser\n"
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
		emit_psq(out, s->target);
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
