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
#   dryRun, ...       the sync's own settings: see the README ("Configuration"). Secrets:
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

sha256() {
    if command -v sha256sum >/dev/null 2>&1; then
        sha256sum "$1" | cut -d' ' -f1
    else
        shasum -a 256 "$1" | cut -d' ' -f1
    fi
}

fail() {
    echo "ninja-halo-sync wrapper: $*" >&2
    exit 1
}

[ -n "$sha" ] || fail "set the Script Variable binarySha256 (from the release's SHA256SUMS): the binary is never run unchecked"
sha=$(printf '%s' "$sha" | tr -d ' \t\r\n' | tr 'A-F' 'a-f')

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
    got=$(sha256 "$tmp")
    if [ "$got" != "$sha" ]; then
        rm -f "$tmp"
        fail "checksum mismatch for $shown_url: expected $sha, got $got; refusing to run it"
    fi
    if ! { chmod 755 "$tmp" && mv -f "$tmp" "$bin"; }; then
        rm -f "$tmp"
        fail "cannot install $bin"
    fi
    # What runs is what was checked: the file in place, hashed again.
    [ "$(sha256 "$bin")" = "$sha" ] || fail "$bin changed after it was installed; refusing to run it"
fi

"$bin" "$@"
exit $?
