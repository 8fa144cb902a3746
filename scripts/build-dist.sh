#!/usr/bin/env bash
# Builds the static Linux release into dist/ with SHA256SUMS: the Linux binary a release ships
# (.github/workflows/release.yml runs this on each Linux runner) and the one CI tests (.ci/run).
# Fails when the binary is not statically linked or is larger than the 3.0 MB budget.
# Usage: scripts/build-dist.sh [TARGET]   (default x86_64-unknown-linux-gnu; aarch64-unknown-linux-gnu
#                                           on an ARM64 runner)
set -euo pipefail
cd "$(dirname "$0")/.."

target="${1:-x86_64-unknown-linux-gnu}"
arch="${target%%-*}"
budget=3000000   # bytes: the binary must stay under 3.0 MB
# Static glibc, non-PIE: a static-pie binary carries a relocation table of about 115 KB.
# Identical code folding (LLD, the default linker here since Rust 1.90) merges the many identical
# monomorphized functions (sorts, iterators): about 21 KB. Rust never promises distinct
# functions distinct addresses, so folding them is sound.
# No .eh_frame_hdr (42 KB): the binary never unwinds (panic = "abort", no C++), and the only
# reader of the table, a backtrace printed with RUST_BACKTRACE, then just stops at the first frame.
flags="-C target-feature=+crt-static -C relocation-model=static -C link-arg=-Wl,--no-eh-frame-hdr"
# LLD is Rust's default linker on x86_64 Linux only; elsewhere the system linker may not fold.
if [ "$arch" = x86_64 ]; then flags="$flags -C link-arg=-Wl,--icf=all"; fi
export RUSTFLAGS="${RUSTFLAGS:-} $flags"

cargo build --release --locked --target "$target" --bin ninja-halo-sync
built="${CARGO_TARGET_DIR:-target}/$target/release/ninja-halo-sync"
[ -f "$built" ] || { echo "build-dist: $built was not built" >&2; exit 1; }
# Without .eh_frame (about 270 KB, most of it from the prebuilt std and static glibc, which no
# compiler flag reaches): with .eh_frame_hdr gone it is read by nothing. The binary never
# unwinds; a panic prints its message and aborts (exit 134) with or without it (checked with
# RUST_BACKTRACE=1 on a panicking program built this way).
command -v objcopy >/dev/null 2>&1 || { echo "build-dist: objcopy (binutils) is needed" >&2; exit 1; }
bin="${CARGO_TARGET_DIR:-target}/$target/release/ninja-halo-sync.dist"
objcopy --remove-section=.eh_frame "$built" "$bin"

# A dynamically linked ELF has a program interpreter (PT_INTERP); a static one has none.
if command -v file >/dev/null 2>&1; then
    static_check() { file "$bin" | grep -q "statically linked"; }
else
    static_check() { ! readelf -l "$bin" | grep -q INTERP; }
fi
if ! static_check; then
    echo "build-dist: $bin is not statically linked" >&2
    exit 1
fi
size=$(stat -c %s "$bin")
if [ "$size" -gt "$budget" ]; then
    echo "build-dist: $bin is $size bytes, over the budget of $budget bytes" >&2
    exit 1
fi

version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)
name="ninja-halo-sync-$version-$arch-linux"
mkdir -p dist
cp "$bin" "dist/$name"
(cd dist && sha256sum "$name" > "SHA256SUMS")
"./dist/$name" --version
echo "build-dist: dist/$name ($size bytes, static), dist/SHA256SUMS"
