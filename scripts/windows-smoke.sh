#!/usr/bin/env bash
# Builds the Windows binary here and smoke-tests it under wine.
#
#   scripts/windows-smoke.sh            build x86_64-pc-windows-gnu, run --version, --help and the
#                                       demo (the simulator natively, the .exe through wine)
#   scripts/windows-smoke.sh --tests    also run the workspace's tests under wine
#
# The released Windows binary is x86_64-pc-windows-msvc, built by the release workflow; the GNU
# target is the closest that can be built on Linux. rustup cannot add targets here, so the
# standard library is built from source (-Zbuild-std, RUSTC_BOOTSTRAP=1) from Debian's rust-src
# package of the *same* version as the installed rustc, fetched with apt-get download through a
# private sources list and apt state under the target dir (the machine's apt configuration is
# never changed). Wine 8 lacks bcryptprimitives.dll (ProcessPrng), which Rust's std needs for
# randomness: a tiny stand-in forwarding to BCryptGenRandom is built with mingw into the prefix.
#
# Exit: 0 all ran as on Linux; 1 a build or a run failed; 2 "SKIPPED: ..." when the toolchain
# pieces cannot be had (no rust-src of this rustc's version, no mingw, no wine). Never a silent pass.
set -euo pipefail
cd "$(dirname "$0")/.."

target=x86_64-pc-windows-gnu
target_dir="${CARGO_TARGET_DIR:-target}"
mkdir -p "$target_dir"
target_dir=$(cd "$target_dir" && pwd)
work="$target_dir/windows-smoke"
run_tests=false
[ "${1:-}" = "--tests" ] && run_tests=true

skip() { echo "SKIPPED: $*"; exit 2; }
fail() { echo "windows-smoke: FAILED: $*" >&2; exit 1; }
step() { echo "== $*"; }
mkdir -p "$work"

# --- 1. Toolchain pieces --------------------------------------------------------------------
rust_version=$(rustc --version | awk '{print $2}')
missing=()
command -v x86_64-w64-mingw32-gcc >/dev/null || missing+=(gcc-mingw-w64-x86-64)
command -v wine >/dev/null || missing+=(wine64 wine)
if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        step "installing ${missing[*]} (Debian packages)"
        apt-get install -y -q "${missing[@]}" >"$work/apt-install.log" 2>&1 ||
            { apt-get update -q >>"$work/apt-install.log" 2>&1 && apt-get install -y -q "${missing[@]}" >>"$work/apt-install.log" 2>&1; } ||
            skip "cannot install ${missing[*]} (see $work/apt-install.log)"
    else
        skip "needs ${missing[*]} (Debian packages; run as root to have them installed)"
    fi
fi

src="$work/rust-src"
library="$src/usr/lib/rustlib/src/rust/library"
if [ ! -f "$library/Cargo.lock" ] || [ "$(cat "$work/rust-src.version" 2>/dev/null)" != "$rust_version" ]; then
    step "fetching Debian's rust-src for rustc $rust_version (trixie-backports, private apt state)"
    apt="$work/apt"
    rm -rf "$apt" "$src"
    mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial" "$apt/preferences.d" "$apt/debs"
    echo "deb http://deb.debian.org/debian trixie-backports main" >"$apt/sources.list"
    : >"$apt/status"
    opts=(-o "Dir::Etc::SourceList=$apt/sources.list" -o "Dir::Etc::SourceParts=/nonexistent"
          -o "Dir::Etc::Preferences=/nonexistent" -o "Dir::Etc::PreferencesParts=$apt/preferences.d"
          -o "Dir::State=$apt" -o "Dir::State::Lists=$apt/lists" -o "Dir::State::status=$apt/status"
          -o "Dir::Cache=$apt/cache" -o "APT::Sandbox::User=root")
    apt-get "${opts[@]}" -q update >"$apt/update.log" 2>&1 || skip "cannot read trixie-backports (see $apt/update.log)"
    deb_version=$(apt-cache "${opts[@]}" madison rust-src | awk -F'|' '{gsub(/ /, "", $2); print $2}' |
        grep -E "^${rust_version//./\\.}\+" | head -n 1 || true)
    [ -n "$deb_version" ] || skip "Debian has no rust-src of version $rust_version+ (rustc is $rust_version)"
    (cd "$apt/debs" && apt-get "${opts[@]}" -q download "rust-src=$deb_version" >"$apt/download.log" 2>&1) ||
        skip "cannot download rust-src=$deb_version (see $apt/download.log)"
    dpkg-deb -x "$apt"/debs/rust-src_*.deb "$src" || fail "cannot unpack rust-src"
    [ -f "$library/Cargo.lock" ] || fail "rust-src=$deb_version has no library/Cargo.lock at $library"
    echo "$rust_version" >"$work/rust-src.version"
    echo "rust-src $deb_version" >"$work/rust-src.deb-version"
fi

# --- 2. The build -----------------------------------------------------------------------------
step "building ninja-halo-sync for $target (-Zbuild-std, $(cat "$work/rust-src.deb-version" 2>/dev/null))"
export RUSTC_BOOTSTRAP=1
export __CARGO_TESTS_ONLY_SRC_ROOT="$library"
export CARGO_TARGET_X86_64_PC_WINDOWS_GNU_LINKER=x86_64-w64-mingw32-gcc
export CARGO_TARGET_X86_64_PC_WINDOWS_GNU_RUNNER=wine
std_crates="std,panic_abort"   # the release profile aborts on panic
cargo build --release --locked --target "$target" "-Zbuild-std=$std_crates" --bin ninja-halo-sync 2>&1 |
    tee "$work/build.log" | grep -E "^(warning|error)" -A5 || true
[ "${PIPESTATUS[0]}" = 0 ] || fail "the build failed (see $work/build.log)"
if grep -q "^warning" "$work/build.log"; then fail "the build printed warnings (see $work/build.log)"; fi
exe="$target_dir/$target/release/ninja-halo-sync.exe"
[ -f "$exe" ] || fail "$exe was not built"
size=$(stat -c %s "$exe")

# --- 3. Wine, with a stand-in for bcryptprimitives.dll -----------------------------------------
export WINEPREFIX="$work/wineprefix"
export WINEDEBUG=-all
export WINEDLLOVERRIDES="mscoree=;mshtml="   # no Mono/Gecko installer prompts
if [ ! -f "$WINEPREFIX/system.reg" ]; then
    step "creating the wine prefix"
    wineboot -i >"$work/wineboot.log" 2>&1 || fail "wineboot failed (see $work/wineboot.log)"
fi
wine_version=$(wine --version)
dll="$WINEPREFIX/drive_c/windows/system32/bcryptprimitives.dll"
if [ ! -f "$dll" ]; then
    step "building the bcryptprimitives.dll stand-in"
    cat >"$work/bcryptprimitives.c" <<'EOF'
/* Stand-in for Windows' bcryptprimitives.dll, which Wine 8 lacks: Rust's std draws its
   randomness from ProcessPrng; this forwards to BCryptGenRandom (which Wine has). */
#include <windows.h>
#include <bcrypt.h>
__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len) {
    while (len > 0) {
        ULONG chunk = len > 0x10000000 ? 0x10000000 : (ULONG)len;
        if (BCryptGenRandom(NULL, data, chunk, BCRYPT_USE_SYSTEM_PREFERRED_RNG) != 0) return FALSE;
        data += chunk;
        len -= chunk;
    }
    return TRUE;
}
EOF
    x86_64-w64-mingw32-gcc -shared -O2 -o "$dll" "$work/bcryptprimitives.c" -lbcrypt ||
        fail "cannot build the bcryptprimitives.dll stand-in"
fi

# --- 4. The runs ------------------------------------------------------------------------------
step "ninja-halo-sync.exe --version and --help under $wine_version"
version=$(wine "$exe" --version 2>&1) || fail "--version exited $?: $version"
echo "$version"
case "$version" in *"ninja-halo-sync "*"$target"*) ;; *) fail "--version printed: $version" ;; esac
help=$(wine "$exe" --help 2>&1) || fail "--help exited $?"
case "$help" in *"--halo-url"*"--dry-run"*) ;; *) fail "--help does not list the options" ;; esac
usage=$(wine "$exe" --no-such-flag 2>&1) && fail "an unknown flag was accepted"
[ "$(wine "$exe" --no-such-flag >/dev/null 2>&1; echo $?)" = 1 ] || fail "an unknown flag did not exit 1: $usage"

step "the demo: natively, then the .exe through wine"
cargo build --quiet --release --locked -p ninja-halo-sim --bin ninja-halo-sim
sim="$target_dir/release/ninja-halo-sim"
runner="$work/ninja-halo-sync-under-wine"
printf '#!/bin/sh\nexec wine "%s" "$@"\n' "$exe" >"$runner"
chmod 755 "$runner"
# The lines that must agree: each run's summary and its exit code and number of writes.
outcome() { grep -E "^(summary:|--- exit code)" | sed 's/; JSON report: .*//'; }
native=$("$sim" demo 2>/dev/null | outcome) || fail "the native demo failed"
windows=$(NINJA_HALO_SYNC_BIN="$runner" "$sim" demo 2>"$work/demo-wine.stderr" | tee "$work/demo-wine.txt" | outcome) ||
    fail "the demo under wine failed"
echo "$windows"
[ "$(echo "$native" | grep -c '^summary:')" = 3 ] || fail "the native demo did not run three times: $native"
[ "$native" = "$windows" ] || { diff <(echo "$native") <(echo "$windows") >&2 || true; fail "the demo under wine ended differently from the native one"; }
echo "$windows" | sed -n 2p | grep -q "(0 write request" || fail "the dry run wrote"
echo "$windows" | sed -n 4p | grep -Eq "\(([1-9][0-9]*) write request" || fail "the real run wrote nothing"
echo "$windows" | sed -n 6p | grep -q "(0 write request" || fail "the third run wrote"
ran="--version, --help, the demo (dry run, real run, in sync)"

if $run_tests; then
    step "the workspace's tests under wine"
    cargo test --locked --target "$target" "-Zbuild-std=$std_crates" --workspace 2>&1 | tee "$work/tests.log" |
        grep -E "^test result|FAILED|panicked" || true
    [ "${PIPESTATUS[0]}" = 0 ] || fail "tests failed under wine (see $work/tests.log)"
    ran="$ran, the workspace's tests"
fi

echo "windows-smoke: OK: $target ninja-halo-sync.exe ($size bytes) ran $ran under $wine_version"
