#!/usr/bin/env bash
# Runs every benchmark scenario RUNS times (default 3) under criterion, then
# the allocation-counting pass, and writes ../BENCHMARKS.md from the results.
#
#   benches/run.sh                 # the full pass (~20 minutes on 2 cores), one scenario at a time
#   RUNS=1 benches/run.sh s1_      # a quick look at one scenario (criterion filter)
#   TRACING_ONLY=1 benches/run.sh tracing
#                                  # only the tracing rows, spliced into the existing report
#
# The tracing scenarios run twice per timing run: in the normal build
# (tenure's `tracing` feature off) and in a second build with
# `--features tracing` (no subscriber), which runs nothing else.
#
# Not part of CI: the peers are compiled only here, in this separate workspace.
set -euo pipefail
cd "$(dirname "$0")"
RUNS=${RUNS:-3}
OUT=target/bench-runs
# Criterion writes under the cargo target directory.
TARGET=${CARGO_TARGET_DIR:-target}
cargo build --profile bench --bench scenarios --bin report
cargo build --profile bench --features tracing --bench scenarios --bin report
rm -rf "$OUT"
mkdir -p "$OUT"
commit=$(git rev-parse --short HEAD)
if [ -n "$(git status --porcelain -- ../container .)" ]; then
    commit="$commit (with uncommitted changes)"
fi
echo "$commit" > "$OUT/COMMIT"
groups=$(cargo run -q --profile bench --bin report -- --groups)
for i in $(seq 1 "$RUNS"); do
    echo "== timing run $i of $RUNS"
    rm -rf "$TARGET/criterion"
    if [ $# -eq 0 ]; then
        # One scenario at a time, so that its implementations (direct,
        # tenure, the peers) are timed within seconds of each other: the
        # machine's speed drifts over a run, and a ratio of two figures
        # taken minutes apart measures the drift as well.
        for group in $groups; do
            cargo bench --bench scenarios -- --warm-up-time 1 --measurement-time 2 "^$group/"
        done
    else
        cargo bench --bench scenarios -- --warm-up-time 1 --measurement-time 2 "$@"
    fi
    cargo bench --features tracing --bench scenarios -- --warm-up-time 1 --measurement-time 2 "$@"
    cp -r "$TARGET/criterion" "$OUT/run$i"
done
echo "== allocation pass and report"
cargo run --profile bench --features tracing --bin report -- --allocs-only "$OUT/allocs-tracing.tsv"
cargo run --profile bench --bin report -- "$OUT" ../BENCHMARKS.md ${TRACING_ONLY:+--only-tracing}
# `cargo bench --features tracing` also builds the package's binaries, so the
# last timing run left a tracing build of `hot` (which runs only the tracing
# scenarios) in target/release: rebuild the normal one, which
# `valgrind --tool=callgrind target/release/hot <group> <impl> N` expects.
cargo build --profile bench --bin hot
