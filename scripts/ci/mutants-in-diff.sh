#!/usr/bin/env bash
# Mutation testing of a change: every mutant cargo-mutants makes on the changed lines of the
# write protocol and the pure decision code (write.rs, plan.rs, sites.rs, matching/) must be
# caught by the lib tests, so a weak test shows up in the change that made it. The change is
# the diff against MUTANTS_BASE (default: the commit before HEAD; uncommitted work included).
# Bounded: only changed lines are mutated, at most MUTANTS_MAX of them (default 80), and each
# test run has a timeout (a mutant that makes a loop endless is reported as a timeout, which
# counts as caught).
set -euo pipefail
cd "$(dirname "$0")/../.."
target="${CARGO_TARGET_DIR:-target}"
base="${MUTANTS_BASE:-HEAD~1}"
if ! git rev-parse -q --verify "$base^{commit}" > /dev/null; then
    echo "mutants: $base is not in this clone; nothing to compare with, skipped"
    exit 0
fi
mkdir -p "$target"
diff="$target/mutants-in-diff.patch"
git diff "$base" -- src/write.rs src/plan.rs src/sites.rs src/matching/ > "$diff"
if [ ! -s "$diff" ]; then
    echo "mutants: no change to write.rs, plan.rs, sites.rs or matching/ since $base"
    exit 0
fi
tools="$target/ci-tools"
if [ ! -x "$tools/bin/cargo-mutants" ]; then
    cargo install --quiet --locked cargo-mutants --version 27.1.0 --root "$tools"
fi
export PATH="$tools/bin:$PATH"
# At most MUTANTS_MAX mutants (about 10 s each on 2 cores): a larger change is sampled evenly
# across its lines (one shard), and says so; the full run is the command it prints.
max="${MUTANTS_MAX:-80}"
count=$(cargo mutants --in-diff "$diff" --list | wc -l)
shard=()
if [ "$count" -gt "$max" ]; then
    shards=$(((count + max - 1) / max))
    shard=(--shard "0/$shards" --sharding round-robin)
    echo "mutants: $count mutants in the change; testing one in $shards, spread over its lines (all: cargo mutants --in-diff $diff -- --lib)"
fi
status=0
cargo mutants --in-diff "$diff" "${shard[@]}" --timeout 120 --output "$target" -- --lib || status=$?
# 0: every mutant caught; 3: some only by a timeout (still caught). 2: some missed.
if [ "$status" -ne 0 ] && [ "$status" -ne 3 ]; then
    echo "mutants: a mutant of the change survived the tests (see $target/mutants.out/missed.txt)"
    cat "$target/mutants.out/missed.txt" 2> /dev/null || true
    exit "$status"
fi
