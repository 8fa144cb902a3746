<#
.SYNOPSIS
    ninja-halo-sync wrapper for NinjaOne Windows agents (Windows PowerShell 5.1 or later).

.DESCRIPTION
    Add this script to the NinjaOne Automation library (language: PowerShell, run as: System)
    and schedule it weekly on one device. It finds the binary in the cache folder, or downloads
    it, checks its SHA-256 before every run (refusing on mismatch), runs a checked copy with the
    Script Variables as environment, streams its output and exits with its exit code
    (0 OK, 1 could not run, 2 a write failed, 3 organizations need attention).

    Script Variables (NinjaOne passes them as environment variables):
      binaryUrl       where to download ninja-halo-sync for Windows (https://...)
      binarySha256    its SHA-256: the 64 hex digits, or its whole line of SHA256SUMS; required
      cacheDir        folder for the binary (default %ProgramData%\ninja-halo-sync)
      haloUrl, haloClientId, haloTenant, ninjaRegion, ninjaClientId, haloField, ninjaField,
      dryRun, ...     the sync's own settings: see docs/configuration.md. Secrets:
                      haloClientSecret / ninjaClientSecret, or better haloClientSecretField /
                      ninjaClientSecretField naming secure custom fields.
#>
$ErrorActionPreference = 'Stop'

function Get-ScriptVariable([string[]] $Names) {
    foreach ($name in $Names) {
        $value = [Environment]::GetEnvironmentVariable($name)
        if ($value -and $value -ne 'null') { return $value }
    }
    return $null
}

function Get-Sha256([string] $Path) {
    return (Get-FileHash -Algorithm SHA256 -LiteralPath $Path).Hash.ToLowerInvariant()
}

function Stop-Wrapper([string] $Message) {
    Write-Output "ninja-halo-sync wrapper: $Message"
    exit 1
}

# The folder holds a program that runs as SYSTEM. A folder made under %ProgramData% inherits
# write access for all users, who could then plant a DLL beside the exe or swap it between the
# hash check and the run. So: SYSTEM and Administrators only, inheritance cut, owner
# Administrators; an existing folder with wider rights is repaired (and refused if it cannot be),
# and every entry in it that is not the binary, or that others may write, is removed.
$trusted = @('S-1-5-18', 'S-1-5-32-544')  # SYSTEM, BUILTIN\Administrators
# Only the rights that change a file or folder (a read-only rule must not count), and the
# generic write and all bits as an ACE may carry them.
$writeMask = [int64][Security.AccessControl.FileSystemRights]'WriteData, AppendData, WriteExtendedAttributes, WriteAttributes, DeleteSubdirectoriesAndFiles, Delete, ChangePermissions, TakeOwnership'
$writeMask = $writeMask -bor 0x40000000 -bor 0x10000000  # GENERIC_WRITE, GENERIC_ALL

function Test-ReparsePoint([string] $Path) {
    $item = Get-Item -LiteralPath $Path -Force
    return [bool]($item.Attributes -band [IO.FileAttributes]::ReparsePoint)
}

# Who besides SYSTEM and Administrators may write to (or owns) this file or folder, by SID
# (translating to account names fails for some SIDs).
function Get-WideWriters([string] $Path) {
    $acl = Get-Acl -LiteralPath $Path
    $wide = @()
    foreach ($rule in $acl.GetAccessRules($true, $true, [Security.Principal.SecurityIdentifier])) {
        if ($rule.AccessControlType -ne 'Allow') { continue }
        if (([int64]$rule.FileSystemRights -band $writeMask) -eq 0) { continue }
        if ($trusted -notcontains $rule.IdentityReference.Value) { $wide += $rule.IdentityReference.Value }
    }
    $owner = $acl.GetOwner([Security.Principal.SecurityIdentifier]).Value
    if ($trusted -notcontains $owner) { $wide += "owner $owner" }
    return $wide
}

function Set-PrivateAcl([string] $Path) {
    $acl = New-Object Security.AccessControl.DirectorySecurity
    $acl.SetAccessRuleProtection($true, $false)  # no inherited rules, none kept
    $inherit = [Security.AccessControl.InheritanceFlags]'ContainerInherit, ObjectInherit'
    foreach ($sid in $trusted) {
        $id = New-Object Security.Principal.SecurityIdentifier($sid)
        $rule = New-Object Security.AccessControl.FileSystemAccessRule($id, 'FullControl', $inherit, 'None', 'Allow')
        $acl.AddAccessRule($rule)
    }
    $acl.SetOwner((New-Object Security.Principal.SecurityIdentifier('S-1-5-32-544')))
    Set-Acl -LiteralPath $Path -AclObject $acl
}

$url = Get-ScriptVariable @('binaryUrl', 'BINARY_URL')
# The URL as it may be printed: a signed download URL carries a token in its query string.
$shownUrl = if ($url) { ($url -split '\?', 2)[0] } else { '' }
$sha = Get-ScriptVariable @('binarySha256', 'BINARY_SHA256')
$dir = Get-ScriptVariable @('cacheDir', 'CACHE_DIR')
if (-not $dir) { $dir = Join-Path $env:ProgramData 'ninja-halo-sync' }
$bin = Join-Path $dir 'ninja-halo-sync.exe'

# The hash, or its whole SHA256SUMS line ("hash  filename"): the first word, 64 hex digits.
$sha = if ($sha) { (($sha.Trim() -split '\s+', 2)[0]).ToLowerInvariant() } else { '' }
if ($sha -notmatch '^[0-9a-f]{64}$') { Stop-Wrapper 'set the Script Variable binarySha256 to the binary''s SHA-256 (64 hex digits, the first word of its line in the release''s SHA256SUMS): the binary is never run unchecked' }

try {
    if (-not (Test-Path -LiteralPath $dir)) {
        New-Item -ItemType Directory -Force -Path $dir | Out-Null
        Set-PrivateAcl $dir
    }
    if (Test-ReparsePoint $dir) { Stop-Wrapper "$dir is a junction or link; set cacheDir to a real folder of its own" }
    $wide = Get-WideWriters $dir
    if ($wide.Count -gt 0) {
        Write-Output "ninja-halo-sync wrapper: $dir was writable by $($wide -join ', '); restricting it to SYSTEM and Administrators"
        Set-PrivateAcl $dir
        $wide = Get-WideWriters $dir
        if ($wide.Count -gt 0) { Stop-Wrapper "$dir stays writable by $($wide -join ', '); set cacheDir to a folder only SYSTEM and Administrators can write" }
    }
    # Files already there are not trusted because the folder now is: anything but the binary
    # (a planted DLL the exe would load), and a binary others may write, is removed.
    foreach ($entry in Get-ChildItem -LiteralPath $dir -Force) {
        $keep = ($entry.Name -eq 'ninja-halo-sync.exe') -and -not (Test-ReparsePoint $entry.FullName) -and ((Get-WideWriters $entry.FullName).Count -eq 0)
        if (-not $keep) {
            Write-Output "ninja-halo-sync wrapper: removing $($entry.FullName)"
            Remove-Item -LiteralPath $entry.FullName -Recurse -Force
        }
    }
} catch {
    Stop-Wrapper "cannot secure the cache folder ${dir}: $($_.Exception.Message)"
}

$cached = $false
try { $cached = (Test-Path -LiteralPath $bin) -and ((Get-Sha256 $bin) -eq $sha) } catch { $cached = $false }
if (-not $cached) {
    if (-not $url) { Stop-Wrapper "no binary with SHA-256 $sha in $dir, and no binaryUrl to download it from" }
    # An unpredictable name inside the private folder: nothing can be planted there in advance.
    $tmp = Join-Path $dir ('download-' + [Guid]::NewGuid().ToString('N') + '.tmp')
    try {
        # Windows PowerShell 5.1 defaults to TLS 1.0/1.1 on older systems.
        [Net.ServicePointManager]::SecurityProtocol = [Net.ServicePointManager]::SecurityProtocol -bor [Net.SecurityProtocolType]::Tls12
        $ProgressPreference = 'SilentlyContinue'  # the progress bar makes Invoke-WebRequest slow
        Invoke-WebRequest -Uri $url -OutFile $tmp -UseBasicParsing
    } catch {
        Remove-Item -LiteralPath $tmp -Force -ErrorAction SilentlyContinue
        Stop-Wrapper "download from $shownUrl failed: $($_.Exception.Message -replace [regex]::Escape($url), $shownUrl)"
    }
    try {
        $got = Get-Sha256 $tmp
        if ($got -ne $sha) { throw "checksum mismatch for ${shownUrl}: expected $sha, got $got; refusing to run it" }
        Move-Item -LiteralPath $tmp -Destination $bin -Force
    } catch {
        Remove-Item -LiteralPath $tmp -Force -ErrorAction SilentlyContinue
        Stop-Wrapper "$($_.Exception.Message)"
    }
}

# What runs is what was checked: a copy in a new folder of its own (nothing beside it to load),
# hashed there, and run from there.
$runDir = Join-Path $dir ('run-' + [Guid]::NewGuid().ToString('N'))
$copy = Join-Path $runDir 'ninja-halo-sync.exe'
try {
    New-Item -ItemType Directory -Path $runDir | Out-Null
    Copy-Item -LiteralPath $bin -Destination $copy
    if ((Get-Sha256 $copy) -ne $sha) { throw "$bin does not match binarySha256 when copied to run; refusing to run it" }
} catch {
    Remove-Item -LiteralPath $runDir -Recurse -Force -ErrorAction SilentlyContinue
    Stop-Wrapper "$($_.Exception.Message)"
}

# The binary writes UTF-8: decode it as such, not with the OEM code page. Native stderr must not
# become terminating errors (Windows PowerShell 5.1 turns redirected stderr lines into
# ErrorRecords): run with 'Continue' and pass every line on as text. An exe that cannot start
# (AppLocker, Defender, a deleted file) leaves no exit code: that is a failure, never success.
[Console]::OutputEncoding = New-Object System.Text.UTF8Encoding($false)
$ErrorActionPreference = 'Continue'
$global:LASTEXITCODE = $null
try {
    & $copy @args 2>&1 | ForEach-Object { "$_" }
} catch {
    Write-Output "ninja-halo-sync wrapper: cannot start ${copy}: $($_.Exception.Message)"
}
$code = $LASTEXITCODE
Remove-Item -LiteralPath $runDir -Recurse -Force -ErrorAction SilentlyContinue
if ($null -eq $code) { Stop-Wrapper "$copy did not run (blocked by policy or antivirus, or removed); nothing was synced" }
exit $code
