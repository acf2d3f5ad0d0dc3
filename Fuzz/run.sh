#!/usr/bin/env bash
# Builds one libFuzzer target and runs it: Fuzz/run.sh TARGET SECONDS [extra libFuzzer flags]
#   TARGET: idx, gzip, cifar or checkpoint (the executable fuzz-TARGET, seeds Fuzz/corpus/TARGET).
# The build adds -sanitize=fuzzer,address (libFuzzer's coverage and driver, AddressSanitizer) and
# -DGRAWA_FUZZ (the LLVMFuzzerTestOneInput entry in place of the replay program) in a scratch
# directory of its own (SCRATCH_PATH, default .build-libfuzzer), so ordinary builds never see
# those flags. New inputs go to $SCRATCH_PATH/corpus/TARGET (not committed), crashes to
# $SCRATCH_PATH/artifacts/TARGET/, the log to $SCRATCH_PATH/logs/TARGET.log. Runs under
# `nice -n 10`. See Fuzz/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ $# -lt 2 ]; then
  echo "usage: Fuzz/run.sh idx|gzip|cifar|checkpoint SECONDS [libFuzzer flags...]" >&2
  exit 2
fi
target=$1
seconds=$2
shift 2
case "$target" in
  idx | gzip) max_len=4096 ;;
  # Two CIFAR-100 records plus room: the reader only accepts whole 3073/3074-byte records.
  cifar) max_len=8192 ;;
  checkpoint) max_len=8192 ;;
  *)
    echo "unknown target '$target' (idx, gzip, cifar, checkpoint)" >&2
    exit 2
    ;;
esac
scratch=${SCRATCH_PATH:-.build-libfuzzer}
nice -n 10 swift build -c release --scratch-path "$scratch" --product "fuzz-$target" \
  -Xswiftc -sanitize=fuzzer,address -Xswiftc -DGRAWA_FUZZ -Xswiftc -use-ld=lld
binary="$scratch/release/fuzz-$target"
mkdir -p "$scratch/corpus/$target" "$scratch/artifacts/$target" "$scratch/logs"
# Path-based readers get their input through a file in TMPDIR: keep it in memory.
work=$(mktemp -d "${FUZZ_TMPDIR:-/dev/shm}/grawa-fuzz-$target.XXXXXX")
trap 'rm -rf "$work"' EXIT
TMPDIR=$work nice -n 10 "$binary" \
  -max_total_time="$seconds" -max_len="$max_len" -timeout=10 -rss_limit_mb=2048 \
  -print_final_stats=1 -artifact_prefix="$scratch/artifacts/$target/" "$@" \
  "$scratch/corpus/$target" "Fuzz/corpus/$target" 2>&1 | tee "$scratch/logs/$target.log"
