#!/usr/bin/env bash
# Regenerates the seed corpora under Fuzz/corpus/ (committed; see Fuzz/README.md): the plain
# files from the fuzz-seeds program, then gzip copies (gzip -n: no name or time stamp, so the
# bytes are reproducible). The gzip target's inputs start with two control bytes (its buffer and
# read sizes) before the file.
set -euo pipefail
cd "$(dirname "$0")/.."
scratch=${SCRATCH_PATH:-.build-fuzz}
# The flags of the test command, so this build is shared with `swift test` in the same scratch.
swift build -c release --scratch-path "$scratch" --product fuzz-seeds \
  -Xswiftc -enable-testing -Xswiftc -target-cpu -Xswiftc native
corpus=Fuzz/corpus
rm -rf "$corpus"/idx "$corpus"/cifar "$corpus"/checkpoint "$corpus"/gzip
"$scratch"/release/fuzz-seeds "$corpus"
for file in "$corpus"/idx/* "$corpus"/cifar/*; do
  gzip -9 -n -c "$file" >"$file.gz"
done
mkdir -p "$corpus"/gzip
# One member; two members back to back; one member and trailing bytes (ignored, as gzread does).
{ printf '\x05\x10'; cat "$corpus"/idx/labels-5.idx1.gz; } >"$corpus"/gzip/one-member
{ printf '\x00\x00'; cat "$corpus"/idx/labels-5.idx1.gz "$corpus"/idx/images-2x3x4.idx3.gz; } \
  >"$corpus"/gzip/two-members
{ printf '\x3f\xff'; cat "$corpus"/idx/images-2x3x4.idx3.gz; printf 'trailing'; } \
  >"$corpus"/gzip/trailing-bytes
{ printf '\x07\x03'; cat "$corpus"/cifar/cifar100-1-record.bin.gz; } >"$corpus"/gzip/cifar100
ls -l "$corpus"/*
