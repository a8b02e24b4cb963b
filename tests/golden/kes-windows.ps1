# excise removal plan (excise plan --emit ps1)
# report: REPORT-ID
# host: WS-ACCT-042
# catalog: excise-stock 2026.12.08
# made: TIME
# Review every step before running it, as Administrator:
#   powershell -ExecutionPolicy Bypass -File THIS-FILE [-DryRun] [-User NAME -Password (Read-Host -AsSecureString)]
#     [-UserCredential (Get-Credential USER)]   (for the steps of a per-user install of USER)
# The first failure stops the script; removed folders are moved into the quarantine folder.
[CmdletBinding()]
param(
    [switch]$DryRun,
    [string]$User = $env:EXCISE_UNINSTALL_USER,
    [System.Security.SecureString]$Password,
    [System.Management.Automation.PSCredential]$UserCredential
)
Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'
$Report = 'REPORT-ID'
$LogDir = Join-Path $env:ProgramData 'excise'
$Log = Join-Path $LogDir ("remove-" + $Report + '.log')
$Quarantine = Join-Path $LogDir ("quarantine-" + $Report)
$script:Reboot = $false
if (-not $Password -and $env:EXCISE_UNINSTALL_PASSWORD) {
    $Password = ConvertTo-SecureString $env:EXCISE_UNINSTALL_PASSWORD -AsPlainText -Force
}
if (-not $DryRun) { New-Item -ItemType Directory -Force -Path $LogDir, $Quarantine | Out-Null }

function Write-Log([string]$Message) {
    $line = (Get-Date).ToUniversalTime().ToString('yyyy-MM-ddTHH:mm:ssZ') + ' ' + $Message
    Write-Host $line
    if (-not $DryRun) { Add-Content -LiteralPath $Log -Value $line }
}

function Invoke-Step([scriptblock]$Action) {
    if ($DryRun) { Write-Log ('  would run: ' + $Action.ToString().Trim()); return }
    & $Action
}

function ConvertTo-Plain([System.Security.SecureString]$s) {
    [Runtime.InteropServices.Marshal]::PtrToStringAuto([Runtime.InteropServices.Marshal]::SecureStringToBSTR($s))
}

# password-utf16le-hex: the hex of the password's UTF-16LE bytes.
function ConvertTo-Utf16Hex([System.Security.SecureString]$s) {
    -join ([Text.Encoding]::Unicode.GetBytes((ConvertTo-Plain $s)) | ForEach-Object { $_.ToString('X2') })
}

# Run a program and wait; its exit code. A per-user install (-AsUser: the user's folder
# name under Users, as the image showed it) is known to Windows only in that user's
# context: run as that user when the script is not, with -UserCredential for them;
# without it the step fails and the script stops.
function Invoke-Program([string]$Program, [string[]]$Arguments, [string]$AsUser = '') {
    $as = ''
    if ($AsUser) { $as = ' as ' + $AsUser }
    if ($DryRun) {
        $shown = @($Arguments | ForEach-Object { $_ -replace '^([A-Za-z0-9_]*PASSW[A-Za-z0-9_]*)=.*$', '$1=********' })
        Write-Log ('  would run' + $as + ': ' + $Program + ' ' + ($shown -join ' ')); return 0
    }
    $a = @{ FilePath = $Program; Wait = $true; PassThru = $true }
    if ($Arguments) { $a.ArgumentList = $Arguments }
    if ($AsUser -and $AsUser -ne $env:USERNAME) {
        if (-not $UserCredential -or ($UserCredential.UserName -split '\\')[-1] -ne $AsUser) {
            throw ('a per-user install of ' + $AsUser + ': run this script as ' + $AsUser + ', or give -UserCredential (Get-Credential ' + $AsUser + ')')
        }
        $a.Credential = $UserCredential
        $a.LoadUserProfile = $true
    }
    return (Start-Process @a).ExitCode
}

function Invoke-Msi([string[]]$MsiArgs, [string]$AsUser = '') {
    return Invoke-Program 'msiexec.exe' $MsiArgs $AsUser
}

function Move-ToQuarantine([string]$Path) {
    if (-not (Test-Path -LiteralPath $Path)) { Write-Log "  already gone: $Path"; return }
    $item = Get-Item -LiteralPath $Path -Force
    if ($item.Attributes -band [IO.FileAttributes]::ReparsePoint) { throw "$Path is now a link: rescan and plan again" }
    $dest = Join-Path $Quarantine ($Path.Substring(3))
    Invoke-Step { New-Item -ItemType Directory -Force -Path (Split-Path -Parent $dest) | Out-Null }
    Invoke-Step { Move-Item -LiteralPath $Path -Destination $dest }
}

# step 1: stop-service AVP
# evidence: win-services service AVP @HKLM\SYSTEM\CurrentControlSet\Services\AVP [kes-windows.service.avp, strong]
function Step1 {
    $svc = Get-Service -Name 'AVP' -ErrorAction SilentlyContinue
    if (-not $svc) { Write-Log '  not installed'; return }
    Invoke-Step { Stop-Service -InputObject $svc -Force }
    Invoke-Step { Set-Service -Name $svc.Name -StartupType Disabled }
}

# step 2: stop-service klif
# evidence: win-services kmod klif.sys @/Windows/System32/drivers/klif.sys [kaspersky.kmod.klif.sys, definitive]
function Step2 {
    $svc = Get-Service -Name 'klif' -ErrorAction SilentlyContinue
    if (-not $svc) { Write-Log '  not installed'; return }
    Invoke-Step { Stop-Service -InputObject $svc -Force }
    Invoke-Step { Set-Service -Name $svc.Name -StartupType Disabled }
}

# step 3: stop-service klnagent
# evidence: win-services service klnagent @HKLM\SYSTEM\CurrentControlSet\Services\klnagent [klnagent.service.klnagent, strong]
function Step3 {
    $svc = Get-Service -Name 'klnagent' -ErrorAction SilentlyContinue
    if (-not $svc) { Write-Log '  not installed'; return }
    Invoke-Step { Stop-Service -InputObject $svc -Force }
    Invoke-Step { Set-Service -Name $svc.Name -StartupType Disabled }
}

# step 4: msi-uninstall {9A017278-F7F4-4DF9-A482-0B97B70DD7ED}
# evidence: win-software package Kaspersky Endpoint Security for Windows @HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall\{9A017278-F7F4-4DF9-A482-0B97B70DD7ED} [kes-windows.package.kaspersky-endpoint-security-.-for-f-r-dlya-windows-re, strong]; win-software package Kaspersky Endpoint Security for Windows @HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall\{9A017278-F7F4-4DF9-A482-0B97B70DD7ED} [kes-windows.package.kaspersky-endpoint-security-.-for-windows-re, strong]; win-software package Kaspersky Endpoint Security for Windows @HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall\{9A017278-F7F4-4DF9-A482-0B97B70DD7ED} [kes-windows.package.kaspersky-endpoint-security-for-windows, strong]; win-software package AO Kaspersky Lab @HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall\{9A017278-F7F4-4DF9-A482-0B97B70DD7ED} [kaspersky.package.publisher.ao-kaspersky-lab, strong]; win-software package AO Kaspersky Lab @HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall\{9A017278-F7F4-4DF9-A482-0B97B70DD7ED} [kaspersky.package.publisher.kaspersky-re, strong]; win-software registry {9A017278-F7F4-4DF9-A482-0B97B70DD7ED} @HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall\{9A017278-F7F4-4DF9-A482-0B97B70DD7ED} [kes-windows.registry.9a017278-f7f4-4df9-a482-0b97b70dd7ed, strong]
function Step4 {
    $msiArgs = @('/x', '{9A017278-F7F4-4DF9-A482-0B97B70DD7ED}', '/qn', '/norestart')
    if ($Password) { $msiArgs += 'KLLOGIN=' + $User; $msiArgs += 'KLPASSWD=' + (ConvertTo-Plain $Password) }
    $code = Invoke-Msi $msiArgs
    if ($code -eq 1605) { Write-Log '  not installed'; return }
    if ($code -eq 3010) { $script:Reboot = $true; return }
    if ($code -ne 0) { throw "msiexec exit code $code" }
}

# step 5: msi-uninstall {2924BEDA-E0D7-4DAF-A224-50D2E0B12F5B}
# evidence: win-software package Kaspersky Security Center Network Agent @HKLM\SOFTWARE\WOW6432Node\Microsoft\Windows\CurrentVersion\Uninstall\{2924BEDA-E0D7-4DAF-A224-50D2E0B12F5B} [klnagent.package.kaspersky-security-center-.-network-agent-re, strong]; win-software package Kaspersky Security Center Network Agent @HKLM\SOFTWARE\WOW6432Node\Microsoft\Windows\CurrentVersion\Uninstall\{2924BEDA-E0D7-4DAF-A224-50D2E0B12F5B} [klnagent.package.kaspersky-security-center-.-network-agent-re-2, strong]; win-software package Kaspersky Security Center Network Agent @HKLM\SOFTWARE\WOW6432Node\Microsoft\Windows\CurrentVersion\Uninstall\{2924BEDA-E0D7-4DAF-A224-50D2E0B12F5B} [klnagent.package.kaspersky-security-center-network-agent, strong]; win-software package ???? ?????????????????????? ?????????????????????? @HKLM\SOFTWARE\WOW6432Node\Microsoft\Windows\CurrentVersion\Uninstall\{2924BEDA-E0D7-4DAF-A224-50D2E0B12F5B} [kaspersky.package.publisher.ao-laboratoriya-kasperskogo, strong]; win-software package ???? ?????????????????????? ?????????????????????? @HKLM\SOFTWARE\WOW6432Node\Microsoft\Windows\CurrentVersion\Uninstall\{2924BEDA-E0D7-4DAF-A224-50D2E0B12F5B} [kaspersky.package.publisher.ao-laboratoriya-kasperskogo-2, strong]; win-software package ???? ?????????????????????? ?????????????????????? @HKLM\SOFTWARE\WOW6432Node\Microsoft\Windows\CurrentVersion\Uninstall\{2924BEDA-E0D7-4DAF-A224-50D2E0B12F5B} [kaspersky.package.publisher.kaspersk-re, strong]; win-software registry {2924BEDA-E0D7-4DAF-A224-50D2E0B12F5B} @HKLM\SOFTWARE\WOW6432Node\Microsoft\Windows\CurrentVersion\Uninstall\{2924BEDA-E0D7-4DAF-A224-50D2E0B12F5B} [klnagent.registry.2924beda-e0d7-4daf-a224-50d2e0b12f5b, strong]
function Step5 {
    $msiArgs = @('/x', '{2924BEDA-E0D7-4DAF-A224-50D2E0B12F5B}', '/qn', '/norestart')
    if ($Password) { $msiArgs += 'KLUNINSTPASSWD=' + (ConvertTo-Utf16Hex $Password) }
    $code = Invoke-Msi $msiArgs
    if ($code -eq 1605) { Write-Log '  not installed'; return }
    if ($code -eq 3010) { $script:Reboot = $true; return }
    if ($code -ne 0) { throw "msiexec exit code $code" }
}

# step 6: vendor-remover kavremover
# evidence: win-software package Kaspersky Endpoint Security for Windows @HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall\{9A017278-F7F4-4DF9-A482-0B97B70DD7ED} [kes-windows.package.kaspersky-endpoint-security-.-for-f-r-dlya-windows-re, strong]; win-software package Kaspersky Endpoint Security for Windows @HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall\{9A017278-F7F4-4DF9-A482-0B97B70DD7ED} [kes-windows.package.kaspersky-endpoint-security-.-for-windows-re, strong]; win-software package Kaspersky Endpoint Security for Windows @HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall\{9A017278-F7F4-4DF9-A482-0B97B70DD7ED} [kes-windows.package.kaspersky-endpoint-security-for-windows, strong]; win-software package AO Kaspersky Lab @HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall\{9A017278-F7F4-4DF9-A482-0B97B70DD7ED} [kaspersky.package.publisher.ao-kaspersky-lab, strong]; win-software package AO Kaspersky Lab @HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall\{9A017278-F7F4-4DF9-A482-0B97B70DD7ED} [kaspersky.package.publisher.kaspersky-re, strong]; win-software registry {9A017278-F7F4-4DF9-A482-0B97B70DD7ED} @HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall\{9A017278-F7F4-4DF9-A482-0B97B70DD7ED} [kes-windows.registry.9a017278-f7f4-4df9-a482-0b97b70dd7ed, strong]
function Step6 {
    $tool = Join-Path $PSScriptRoot 'kavremvr.exe'
    if (-not (Test-Path -LiteralPath $tool)) { throw ('the removal tool ' + 'kavremover (' + 'kavremvr.exe)' + ' is not next to this script') }
    Invoke-Step { Start-Process -FilePath $tool -Wait }
}

# step 7: remove-path /Program Files (x86)/Kaspersky Lab/KES.12.9.0
# evidence: win-software registry HKLM\SOFTWARE\KasperskyLab\protected\KES12.9\environment @HKLM\SOFTWARE\KasperskyLab\protected\KES12.9\environment [kaspersky.registry.path.hklm-software-kasperskylab-protected-avp-kes-pure-environmen-re, strong]; win-software registry HKLM\SOFTWARE\KasperskyLab\protected\KES12.9\environment @HKLM\SOFTWARE\KasperskyLab\protected\KES12.9\environment [kes-windows.registry.path.hklm-software-kasperskylab-protected-kes-environment-re, strong]
function Step7 {
    Move-ToQuarantine (Join-Path $env:SystemDrive '\Program Files (x86)\Kaspersky Lab\KES.12.9.0')
}

# step 8: remove-path /Program Files (x86)/Kaspersky Lab/NetworkAgent
# evidence: win-files file /Program Files (x86)/Kaspersky Lab/NetworkAgent @/Program Files (x86)/Kaspersky Lab/NetworkAgent [klnagent.file.path.any-kaspersky-lab-networkagent, definitive]; win-files file /Program Files (x86)/Kaspersky Lab/NetworkAgent @/Program Files (x86)/Kaspersky Lab/NetworkAgent [klnagent.file.path.any-program-files-x86-kaspersky-lab-networkagent, definitive]
function Step8 {
    Move-ToQuarantine (Join-Path $env:SystemDrive '\Program Files (x86)\Kaspersky Lab\NetworkAgent')
}

# step 9: remove-path /Windows/System32/drivers/klif.sys
# evidence: win-files file klif.sys @/Windows/System32/drivers/klif.sys [kaspersky.file.klif.sys, strong]
function Step9 {
    Move-ToQuarantine (Join-Path $env:SystemDrive '\Windows\System32\drivers\klif.sys')
}

# step 10: delete-registry-key HKLM\SOFTWARE\KasperskyLab
# evidence: win-software registry HKLM\SOFTWARE\KasperskyLab @HKLM\SOFTWARE\KasperskyLab [kaspersky.registry.path.hklm-software-kasperskylab, strong]
function Step10 {
    $key = 'HKLM\SOFTWARE\KasperskyLab'
    if (-not (Test-Path -LiteralPath ('Registry::' + $key))) { Write-Log '  already gone'; return }
    $file = Join-Path $Quarantine ("reg-" + [guid]::NewGuid() + '.reg')
    Invoke-Step { & reg.exe export $key $file /y | Out-Null; if ($LASTEXITCODE -ne 0) { throw 'reg export failed' } }
    Invoke-Step { Remove-Item -LiteralPath ('Registry::' + $key) -Recurse -Force }
}

# step 11: delete-registry-key HKLM\SOFTWARE\WOW6432Node\KasperskyLab
# evidence: win-software registry HKLM\SOFTWARE\WOW6432Node\KasperskyLab @HKLM\SOFTWARE\WOW6432Node\KasperskyLab [kaspersky.registry.path.hklm-software-wow6432node-kasperskylab, strong]
function Step11 {
    $key = 'HKLM\SOFTWARE\WOW6432Node\KasperskyLab'
    if (-not (Test-Path -LiteralPath ('Registry::' + $key))) { Write-Log '  already gone'; return }
    $file = Join-Path $Quarantine ("reg-" + [guid]::NewGuid() + '.reg')
    Invoke-Step { & reg.exe export $key $file /y | Out-Null; if ($LASTEXITCODE -ne 0) { throw 'reg export failed' } }
    Invoke-Step { Remove-Item -LiteralPath ('Registry::' + $key) -Recurse -Force }
}

$prev = 'ok'
Write-Log ('step 1/11: stop-service ' + 'AVP')
try { Step1; Write-Log '  ok'; $prev = 'ok' }
catch {
    Write-Log ("FAILED at step 1: " + $_)
    exit 1
}
Write-Log ('step 2/11: stop-service ' + 'klif')
try { Step2; Write-Log '  ok'; $prev = 'ok' }
catch {
    Write-Log ("FAILED at step 2: " + $_)
    exit 1
}
Write-Log ('step 3/11: stop-service ' + 'klnagent')
try { Step3; Write-Log '  ok'; $prev = 'ok' }
catch {
    Write-Log ("FAILED at step 3: " + $_)
    exit 1
}
Write-Log ('step 4/11: msi-uninstall ' + '{9A017278-F7F4-4DF9-A482-0B97B70DD7ED}')
try { Step4; Write-Log '  ok'; $prev = 'ok' }
catch {
    Write-Log ("FAILED at step 4: " + $_)
    exit 1
}
Write-Log ('step 5/11: msi-uninstall ' + '{2924BEDA-E0D7-4DAF-A224-50D2E0B12F5B}')
try { Step5; Write-Log '  ok'; $prev = 'ok' }
catch {
    Write-Log ("  FAILED: " + $_ + '; the fallback step 6 follows')
    $prev = 'failed'
}
Write-Log ('step 6/11: vendor-remover ' + 'kavremover')
if ($prev -ne 'failed') { Write-Log '  not needed' } else {
try { Step6; Write-Log '  ok'; $prev = 'ok' }
catch {
    Write-Log ("FAILED at step 6: " + $_)
    exit 1
}
}
Write-Log ('step 7/11: remove-path ' + '/Program Files (x86)/Kaspersky Lab/KES.12.9.0')
try { Step7; Write-Log '  ok'; $prev = 'ok' }
catch {
    Write-Log ("FAILED at step 7: " + $_)
    exit 1
}
Write-Log ('step 8/11: remove-path ' + '/Program Files (x86)/Kaspersky Lab/NetworkAgent')
try { Step8; Write-Log '  ok'; $prev = 'ok' }
catch {
    Write-Log ("FAILED at step 8: " + $_)
    exit 1
}
Write-Log ('step 9/11: remove-path ' + '/Windows/System32/drivers/klif.sys')
try { Step9; Write-Log '  ok'; $prev = 'ok' }
catch {
    Write-Log ("FAILED at step 9: " + $_)
    exit 1
}
Write-Log ('step 10/11: delete-registry-key ' + 'HKLM\SOFTWARE\KasperskyLab')
try { Step10; Write-Log '  ok'; $prev = 'ok' }
catch {
    Write-Log ("FAILED at step 10: " + $_)
    exit 1
}
Write-Log ('step 11/11: delete-registry-key ' + 'HKLM\SOFTWARE\WOW6432Node\KasperskyLab')
try { Step11; Write-Log '  ok'; $prev = 'ok' }
catch {
    Write-Log ("FAILED at step 11: " + $_)
    exit 1
}
$script:Reboot = $true
if ($script:Reboot) { Write-Log 'done; a reboot is needed to finish' } else { Write-Log 'done' }
Write-Log 'next: excise verify --root on the disk image, or a rescan, to attest the result'
