#!/usr/bin/env bash
# Instructions the whole chain executes per order, counted by callgrind: deterministic, so two
# commits compare on a shared, noisy machine where wall-clock benches differ by ±10 % between
# runs. Counts only VirtualChain::run_until_idle of the memory_per_order example (N fibre
# orders to completion in virtual time), not the set-up or the final drop.
#
#   scripts/chain-instructions.sh [ORDERS]          (default 20000; needs valgrind)
#
# To compare two commits, run it in a worktree of each (`git worktree add /tmp/before REV`).
# Instructions are not time: the wall-clock bench also pays for memory (page faults), which
# `cargo run --release -p simulator --example memory_per_order` reports per order.
set -euo pipefail
orders="${1:-20000}"
cd "$(dirname "$0")/.."
command -v valgrind >/dev/null || { echo "needs valgrind (apt-get install valgrind)" >&2; exit 2; }
cargo build --quiet --release -p simulator --example memory_per_order
out="$(mktemp)"
trap 'rm -f "$out"' EXIT
valgrind --tool=callgrind --callgrind-out-file="$out" \
    --toggle-collect='*VirtualChain*run_until_idle*' \
    "${CARGO_TARGET_DIR:-target}/release/examples/memory_per_order" "$orders" >/dev/null 2>&1
total="$(callgrind_annotate "$out" 2>/dev/null | awk '/PROGRAM TOTALS/ { gsub(",", "", $1); if (!done) print $1; done = 1 }')"
echo "run_until_idle: $total instructions for $orders orders, $((total / orders)) per order"
