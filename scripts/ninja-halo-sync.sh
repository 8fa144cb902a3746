#!/bin/sh
# ninja-halo-sync wrapper for NinjaOne Linux and macOS agents.
#
# Add this script to the NinjaOne Automation library (language: ShellScript, run as: root) and
# schedule it weekly on one device. It finds the binary in the cache folder, or downloads it,
# checks its SHA-256 before every run (refusing on mismatch), runs it with the Script Variables
# as environment, streams its output and exits with its exit code (0 OK, 1 could not run,
# 2 a write failed, 3 organizations need attention).
#
# Script Variables (NinjaOne passes them as environment variables, sometimes lower-cased):
#   binaryUrl         where to download the binary for this platform (https://...)
#   binarySha256      its SHA-256 (from SHA256SUMS of the release); required
#   cacheDir          folder for the binary (default /opt/ninja-halo-sync)
#   haloUrl, haloClientId, haloTenant, ninjaRegion, ninjaClientId, haloField, ninjaField,
#   dryRun, ...       the sync's own settings: see docs/configuration.md. Secrets:
#                     haloClientSecret / ninjaClientSecret, or better haloClientSecretField /
#                     ninjaClientSecretField naming secure custom fields.
set -u

# The first non-empty, non-"null" value among the given variable names.
var() {
    for name in "$@"; do
        eval "value=\${$name:-}"
        if [ -n "$value" ] && [ "$value" != "null" ]; then
            printf '%s' "$value"
            return 0
        fi
    done
    return 1
}

url=$(var binaryUrl binaryurl BINARY_URL) || url=""
sha=$(var binarySha256 binarysha256 BINARY_SHA256) || sha=""
dir=$(var cacheDir cachedir CACHE_DIR) || dir="/opt/ninja-halo-sync"
bin="$dir/ninja-halo-sync"
# The URL as it may be printed: a signed download URL carries a token in its query string.
shown_url=${url%%\?*}

fail() {
    echo "ninja-halo-sync wrapper: $*" >&2
    exit 1
}

# The SHA-256 of a file as 64 lower-case hex digits; fails (never prints "") where no tool can
# compute it, so that a missing tool can never make an unchecked binary look checked.
sha256() {
    if command -v sha256sum >/dev/null 2>&1; then
        out=$(sha256sum "$1") || return 1
    elif command -v shasum >/dev/null 2>&1; then
        out=$(shasum -a 256 "$1") || return 1
    else
        return 1
    fi
    out=$(printf '%s' "${out%% *}" | tr 'A-F' 'a-f')
    case "$out" in *[!0-9a-f]* | "") return 1 ;; esac
    [ ${#out} -eq 64 ] || return 1
    printf '%s' "$out"
}

# binarySha256: the hash, or its whole line of SHA256SUMS ("hash  filename"): the first word.
sha=$(printf '%s\n' "$sha" | awk 'NF { print tolower($1); exit }')
case "$sha" in *[!0-9a-f]* | "") sha="" ;; esac
[ ${#sha} -eq 64 ] || fail "set the Script Variable binarySha256 to the binary's SHA-256 (64 hex digits, the first word of its line in the release's SHA256SUMS): the binary is never run unchecked"
command -v sha256sum >/dev/null 2>&1 || command -v shasum >/dev/null 2>&1 ||
    fail "neither sha256sum nor shasum is installed: the binary cannot be checked, so it is not run"

# The cache folder holds a program that runs as root: only its owner may write there. It is
# created private; an existing one must be a real folder owned by this user, writable by no one
# else (another account could otherwise swap the binary between the check and the run).
umask 077
if [ ! -e "$dir" ]; then
    mkdir -p "$dir" || fail "cannot create $dir"
    chmod 700 "$dir" || fail "cannot restrict $dir"
fi
if [ ! -d "$dir" ] || [ -L "$dir" ]; then
    fail "$dir is not a folder (or is a symbolic link); set cacheDir to a folder of its own"
fi
[ -O "$dir" ] || fail "$dir is not owned by $(id -un); refusing to run a program from a folder another account controls"
if [ -n "$(find "$dir" -maxdepth 0 \( -perm -0020 -o -perm -0002 \))" ]; then
    fail "$dir is writable by other accounts; run: chmod go-w '$dir'"
fi
# Every entry must be this account's and writable by no one else: another account's file (even
# with the right content) may be held open for writing and changed at any time. Such entries
# are removed; the binary is downloaded again.
for entry in "$dir"/* "$dir"/.[!.]* "$dir"/..?*; do
    [ -e "$entry" ] || [ -L "$entry" ] || continue
    if [ -L "$entry" ] || [ ! -O "$entry" ] || [ -n "$(find "$entry" -maxdepth 0 \( -perm -0020 -o -perm -0002 \))" ]; then
        echo "ninja-halo-sync wrapper: removing $entry (not this account's, or writable by others)" >&2
        rm -rf "$entry" || fail "cannot remove $entry"
    fi
done

if [ ! -f "$bin" ] || [ "$(sha256 "$bin")" != "$sha" ]; then
    [ -n "$url" ] || fail "no binary with SHA-256 $sha in $dir, and no binaryUrl to download it from"
    tmp=$(mktemp "$dir/.download.XXXXXXXX") || fail "cannot create a download file in $dir"
    if command -v curl >/dev/null 2>&1; then
        curl -fsSL --retry 3 -o "$tmp" "$url" 2>/dev/null || { rm -f "$tmp"; fail "download from $shown_url failed"; }
    elif command -v wget >/dev/null 2>&1; then
        wget -q -O "$tmp" "$url" 2>/dev/null || { rm -f "$tmp"; fail "download from $shown_url failed"; }
    else
        rm -f "$tmp"
        fail "neither curl nor wget is installed to download $shown_url"
    fi
    got=$(sha256 "$tmp") || got="(not computed)"
    if [ "$got" != "$sha" ]; then
        rm -f "$tmp"
        fail "checksum mismatch for $shown_url: expected $sha, got $got; refusing to run it"
    fi
    if ! { chmod 700 "$tmp" && mv -f "$tmp" "$bin"; }; then
        rm -f "$tmp"
        fail "cannot install $bin"
    fi
fi

# What runs is what was checked: a copy in a new folder only this account can reach (no other
# account can hold it open), hashed there, and run from there.
run_dir=$(mktemp -d "$dir/.run.XXXXXXXX") || fail "cannot create a run folder in $dir"
copy="$run_dir/ninja-halo-sync"
if ! cp "$bin" "$copy" || [ "$(sha256 "$copy")" != "$sha" ]; then
    rm -rf "$run_dir"
    fail "$bin does not match binarySha256 when copied to run; refusing to run it"
fi
chmod 700 "$copy"
"$copy" "$@"
code=$?
rm -rf "$run_dir"
exit $code
