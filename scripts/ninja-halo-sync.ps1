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

$url = Get-ScriptVariable @('binaryUrl', 'BINARY_URL')
$sha = Get-ScriptVariable @('binarySha256', 'BINARY_SHA256')
$dir = Get-ScriptVariable @('cacheDir', 'CACHE_DIR')
if (-not $dir) { $dir = Join-Path $env:ProgramData 'ninja-halo-sync' }
$bin = Join-Path $dir 'ninja-halo-sync.exe'

if (-not $sha) { Stop-Wrapper 'set the Script Variable binarySha256 (from the release''s SHA256SUMS): the binary is never run unchecked' }
$sha = $sha.Trim().ToLowerInvariant()

if (-not (Test-Path -LiteralPath $bin) -or (Get-Sha256 $bin) -ne $sha) {
    if (-not $url) { Stop-Wrapper "no binary with SHA-256 $sha in $dir, and no binaryUrl to download it from" }
    try {
        New-Item -ItemType Directory -Force -Path $dir | Out-Null
        # Windows PowerShell 5.1 defaults to TLS 1.0/1.1 on older systems.
        [Net.ServicePointManager]::SecurityProtocol = [Net.ServicePointManager]::SecurityProtocol -bor [Net.SecurityProtocolType]::Tls12
        $tmp = "$bin.download"
        $ProgressPreference = 'SilentlyContinue'  # the progress bar makes Invoke-WebRequest slow
        Invoke-WebRequest -Uri $url -OutFile $tmp -UseBasicParsing
    } catch {
        Stop-Wrapper "download from $url failed: $($_.Exception.Message)"
    }
    $got = Get-Sha256 $tmp
    if ($got -ne $sha) {
        Remove-Item -LiteralPath $tmp -Force
        Stop-Wrapper "checksum mismatch for ${url}: expected $sha, got $got; refusing to run it"
    }
    Move-Item -LiteralPath $tmp -Destination $bin -Force
}

# Native stderr must not become terminating errors (Windows PowerShell 5.1 turns redirected
# stderr lines into ErrorRecords): run with 'Continue' and pass every line on as text.
$ErrorActionPreference = 'Continue'
& $bin @args 2>&1 | ForEach-Object { "$_" }
exit $LASTEXITCODE
