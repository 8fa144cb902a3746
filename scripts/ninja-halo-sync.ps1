<#
.SYNOPSIS
    ninja-halo-sync wrapper for NinjaOne Windows agents (Windows PowerShell 5.1 or later).

.DESCRIPTION
    Add this script to the NinjaOne Automation library (language: PowerShell, run as: System)
    and schedule it weekly on one device. It finds the binary in the cache folder, or downloads
    it, checks its SHA-256 before every run (refusing on mismatch), runs it with the Script
    Variables as environment, streams its output and exits with its exit code
    (0 OK, 1 could not run, 2 a write failed, 3 organizations need attention).

    Script Variables (NinjaOne passes them as environment variables):
      binaryUrl       where to download ninja-halo-sync for Windows (https://...)
      binarySha256    its SHA-256 (from SHA256SUMS of the release); required
      cacheDir        folder for the binary (default %ProgramData%\ninja-halo-sync)
      haloUrl, haloClientId, haloTenant, ninjaRegion, ninjaClientId, haloField, ninjaField,
      dryRun, ...     the sync's own settings: see the README ("Configuration"). Secrets:
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
# Administrators; an existing folder with wider rights is repaired (and refused if it cannot be).
$trusted = @('S-1-5-18', 'S-1-5-32-544')  # SYSTEM, BUILTIN\Administrators
$writeRights = [Security.AccessControl.FileSystemRights]'Write, Modify, FullControl, CreateFiles, AppendData, WriteData, Delete, ChangePermissions, TakeOwnership'

function Get-WideWriters([string] $Path) {
    $acl = Get-Acl -LiteralPath $Path
    $wide = @()
    foreach ($rule in $acl.Access) {
        if ($rule.AccessControlType -ne 'Allow') { continue }
        if (($rule.FileSystemRights -band $writeRights) -eq 0) { continue }
        $sid = $rule.IdentityReference.Translate([Security.Principal.SecurityIdentifier]).Value
        if ($trusted -notcontains $sid) { $wide += $rule.IdentityReference.Value }
    }
    $owner = (New-Object Security.Principal.NTAccount($acl.Owner)).Translate([Security.Principal.SecurityIdentifier]).Value
    if ($trusted -notcontains $owner) { $wide += "owner $($acl.Owner)" }
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

if (-not $sha) { Stop-Wrapper 'set the Script Variable binarySha256 (from the release''s SHA256SUMS): the binary is never run unchecked' }
$sha = $sha.Trim().ToLowerInvariant()

try {
    if (-not (Test-Path -LiteralPath $dir)) {
        New-Item -ItemType Directory -Force -Path $dir | Out-Null
        Set-PrivateAcl $dir
    }
    $wide = Get-WideWriters $dir
    if ($wide.Count -gt 0) {
        Write-Output "ninja-halo-sync wrapper: $dir was writable by $($wide -join ', '); restricting it to SYSTEM and Administrators"
        Set-PrivateAcl $dir
        $wide = Get-WideWriters $dir
        if ($wide.Count -gt 0) { Stop-Wrapper "$dir stays writable by $($wide -join ', '); set cacheDir to a folder only SYSTEM and Administrators can write" }
    }
} catch {
    Stop-Wrapper "cannot secure the cache folder ${dir}: $($_.Exception.Message)"
}

if (-not (Test-Path -LiteralPath $bin) -or (Get-Sha256 $bin) -ne $sha) {
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
    $got = Get-Sha256 $tmp
    if ($got -ne $sha) {
        Remove-Item -LiteralPath $tmp -Force
        Stop-Wrapper "checksum mismatch for ${shownUrl}: expected $sha, got $got; refusing to run it"
    }
    Move-Item -LiteralPath $tmp -Destination $bin -Force
    # What runs is what was checked: the file in place, hashed again.
    if ((Get-Sha256 $bin) -ne $sha) { Stop-Wrapper "$bin changed after it was installed; refusing to run it" }
}

# Native stderr must not become terminating errors (Windows PowerShell 5.1 turns redirected
# stderr lines into ErrorRecords): run with 'Continue' and pass every line on as text.
$ErrorActionPreference = 'Continue'
& $bin @args 2>&1 | ForEach-Object { "$_" }
exit $LASTEXITCODE
