# excise removal plan (excise plan --emit ps1)
# report: REPORT-ID
# host: 
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

# step 1: uninstall-string HKLM\SOFTWARE\WOW6432Node\Microsoft\Windows\CurrentVersion\Uninstall\{B5B3A2D0-77D7-4B5C-A1AE-6D1B6B1F0D22}_is1
# evidence: win-software package Kaspersky Free @HKLM\SOFTWARE\WOW6432Node\Microsoft\Windows\CurrentVersion\Uninstall\{B5B3A2D0-77D7-4B5C-A1AE-6D1B6B1F0D22}_is1 [kfree.package.kaspersky-free-re, strong]; win-software package AO Kaspersky Lab @HKLM\SOFTWARE\WOW6432Node\Microsoft\Windows\CurrentVersion\Uninstall\{B5B3A2D0-77D7-4B5C-A1AE-6D1B6B1F0D22}_is1 [kaspersky.package.publisher.ao-kaspersky-lab, strong]; win-software package AO Kaspersky Lab @HKLM\SOFTWARE\WOW6432Node\Microsoft\Windows\CurrentVersion\Uninstall\{B5B3A2D0-77D7-4B5C-A1AE-6D1B6B1F0D22}_is1 [kaspersky.package.publisher.kaspersky-re, strong]
function Step1 {
    if (-not (Test-Path -LiteralPath 'Registry::HKEY_LOCAL_MACHINE\SOFTWARE\WOW6432Node\Microsoft\Windows\CurrentVersion\Uninstall\{B5B3A2D0-77D7-4B5C-A1AE-6D1B6B1F0D22}_is1')) { Write-Log '  not installed'; return }
    $program = 'C:\Program Files (x86)\Kaspersky Lab\Kaspersky Free 19.0.0\avp.exe'
    $arguments = @('-uninstall')
    $code = Invoke-Program $program $arguments
    if ($code -eq 3010 -or $code -eq 1641) { $script:Reboot = $true; return }
    if ($code -ne 0) { throw "the UninstallString exited with code $code" }
}

# step 2: vendor-remover kavremover
# evidence: win-software package Kaspersky Free @HKLM\SOFTWARE\WOW6432Node\Microsoft\Windows\CurrentVersion\Uninstall\{B5B3A2D0-77D7-4B5C-A1AE-6D1B6B1F0D22}_is1 [kfree.package.kaspersky-free-re, strong]; win-software package AO Kaspersky Lab @HKLM\SOFTWARE\WOW6432Node\Microsoft\Windows\CurrentVersion\Uninstall\{B5B3A2D0-77D7-4B5C-A1AE-6D1B6B1F0D22}_is1 [kaspersky.package.publisher.ao-kaspersky-lab, strong]; win-software package AO Kaspersky Lab @HKLM\SOFTWARE\WOW6432Node\Microsoft\Windows\CurrentVersion\Uninstall\{B5B3A2D0-77D7-4B5C-A1AE-6D1B6B1F0D22}_is1 [kaspersky.package.publisher.kaspersky-re, strong]
function Step2 {
    $tool = Join-Path $PSScriptRoot 'kavremvr.exe'
    if (-not (Test-Path -LiteralPath $tool)) { throw ('the removal tool ' + 'kavremover (' + 'kavremvr.exe)' + ' is not next to this script') }
    Invoke-Step { Start-Process -FilePath $tool -Wait }
}

$prev = 'ok'
Write-Log ('step 1/2: uninstall-string ' + 'HKLM\SOFTWARE\WOW6432Node\Microsoft\Windows\CurrentVersion\Uninstall\{B5B3A2D0-77D7-4B5C-A1AE-6D1B6B1F0D22}_is1')
try { Step1; Write-Log '  ok'; $prev = 'ok' }
catch {
    Write-Log ("  FAILED: " + $_ + '; the fallback step 2 follows')
    $prev = 'failed'
}
Write-Log ('step 2/2: vendor-remover ' + 'kavremover')
if ($prev -ne 'failed') { Write-Log '  not needed' } else {
try { Step2; Write-Log '  ok'; $prev = 'ok' }
catch {
    Write-Log ("FAILED at step 2: " + $_)
    exit 1
}
}
$script:Reboot = $true
if ($script:Reboot) { Write-Log 'done; a reboot is needed to finish' } else { Write-Log 'done' }
Write-Log 'next: excise verify --root on the disk image, or a rescan, to attest the result'
