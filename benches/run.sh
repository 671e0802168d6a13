#!/usr/bin/env bash
# Runs every benchmark scenario RUNS times (default 3) under criterion, then
# the allocation-counting pass, and writes ../BENCHMARKS.md from the results.
#
#   benches/run.sh                 # the full pass (~10-15 minutes on 2 cores)
#   RUNS=1 benches/run.sh s1_      # a quick look at one scenario (criterion filter)
#
# Not part of CI: the peers are compiled only here, in this separate workspace.
set -euo pipefail
cd "$(dirname "$0")"
RUNS=${RUNS:-3}
OUT=target/bench-runs
cargo build --profile bench --bench scenarios --bin report
rm -rf "$OUT"
mkdir -p "$OUT"
commit=$(git rev-parse --short HEAD)
if [ -n "$(git status --porcelain -- ../container .)" ]; then
    commit="$commit (with uncommitted changes)"
fi
echo "$commit" > "$OUT/COMMIT"
for i in $(seq 1 "$RUNS"); do
    echo "== timing run $i of $RUNS"
    rm -rf target/criterion
    cargo bench --bench scenarios -- --warm-up-time 1 --measurement-time 2 "$@"
    cp -r target/criterion "$OUT/run$i"
done
echo "== allocation pass and report"
cargo run --profile bench --bin report -- "$OUT" ../BENCHMARKS.md
