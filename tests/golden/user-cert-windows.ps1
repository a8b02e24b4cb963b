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

# step 1: delete-registry-key HKU\bob\Software\Microsoft\SystemCertificates\ROOT\Certificates\THUMBPRINT
# evidence: win-users cert Kaspersky Anti-Virus Personal Root Certificate @HKU\bob\Software\Microsoft\SystemCertificates\ROOT\Certificates\THUMBPRINT [kaspersky.cert.kaspersky-anti-virus-personal-root-certificate, strong]; win-users cert AO Kaspersky Lab @HKU\bob\Software\Microsoft\SystemCertificates\ROOT\Certificates\THUMBPRINT [kaspersky.cert.publisher.ao-kaspersky-lab, strong]; win-users cert CN=Kaspersky Anti-Virus Personal Root Certificate,O=AO Kaspersky Lab,C=RU @HKU\bob\Software\Microsoft\SystemCertificates\ROOT\Certificates\THUMBPRINT [kaspersky.cert.subject.cn-kaspersky-anti-virus-personal-root-certificate-re, strong]; win-users cert CN=Kaspersky Anti-Virus Personal Root Certificate,O=AO Kaspersky Lab,C=RU @HKU\bob\Software\Microsoft\SystemCertificates\ROOT\Certificates\THUMBPRINT [kaspersky.cert.issuer.cn-kaspersky-anti-virus-personal-root-certificate-re, strong]
function Step1 {
    $user = 'bob'
    $sub = 'Software\Microsoft\SystemCertificates\ROOT\Certificates\THUMBPRINT'
    $profiles = 'Registry::HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Windows NT\CurrentVersion\ProfileList'
    $sids = @(Get-ChildItem -LiteralPath $profiles | Where-Object { $p = [string]$_.GetValue('ProfileImagePath'); $p -and (Split-Path -Leaf $p) -eq $user } | ForEach-Object { $_.PSChildName })
    if ($sids.Count -ne 1) { throw ('the user ' + $user + ' has ' + $sids.Count + ' profiles in the ProfileList, not one') }
    $sid = $sids[0]
    $loaded = Test-Path -LiteralPath ('Registry::HKEY_USERS\' + $sid)
    $mount = 'HKU\' + $sid
    if (-not $loaded) {
        # not signed in: the user's hive is loaded for this step, and unloaded after
        $mount = 'HKU\excise-' + $sid
        $hive = Join-Path ([string](Get-ItemProperty -LiteralPath (Join-Path $profiles $sid)).ProfileImagePath) 'NTUSER.DAT'
        Invoke-Step { & reg.exe load $mount $hive | Out-Null; if ($LASTEXITCODE -ne 0) { throw ('reg load ' + $hive + ' failed') } }
    }
    try {
        $key = $mount + '\' + $sub
        $path = 'Registry::HKEY_USERS\' + $key.Substring(4)
        if (($loaded -or -not $DryRun) -and -not (Test-Path -LiteralPath $path)) { Write-Log '  already gone'; return }
        $file = Join-Path $Quarantine ("reg-" + [guid]::NewGuid() + '.reg')
        Invoke-Step { & reg.exe export $key $file /y | Out-Null; if ($LASTEXITCODE -ne 0) { throw 'reg export failed' } }
        Invoke-Step { Remove-Item -LiteralPath $path -Recurse -Force }
    } finally {
        if (-not $loaded) {
            [gc]::Collect()
            Invoke-Step { & reg.exe unload $mount | Out-Null; if ($LASTEXITCODE -ne 0) { throw ('reg unload ' + $mount + ' failed') } }
        }
    }
}

$prev = 'ok'
Write-Log ('step 1/1: delete-registry-key ' + 'HKU\bob\Software\Microsoft\SystemCertificates\ROOT\Certificates\THUMBPRINT')
try { Step1; Write-Log '  ok'; $prev = 'ok' }
catch {
    Write-Log ("FAILED at step 1: " + $_)
    exit 1
}
if ($script:Reboot) { Write-Log 'done; a reboot is needed to finish' } else { Write-Log 'done' }
Write-Log 'next: excise verify --root on the disk image, or a rescan, to attest the result'
