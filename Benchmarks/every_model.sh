#!/usr/bin/env bash
# Training-step figures of every model `grawa-train models` lists: images/s on 1 and N threads,
# the GFLOP of one step's convolution and matrix products, GFLOP/s, and that as a fraction of
# the FMA peak bench measures on this machine. Prints the CPU and a markdown table.
#
#   Benchmarks/every_model.sh                    # batch 128, 3x32x32, all cores, 3 timed steps
#   STEPS=5 THREADS=2 INPUT=1x28x28 Benchmarks/every_model.sh
#
# Builds grawa-train in release with the README's flags into $GRAWA_BENCH_SCRATCH (default
# .build-bench). The large models take a while: WideResNet-28-10 runs about 4 TFLOP a step.
set -euo pipefail
cd "$(dirname "$0")/.."

scratch=${GRAWA_BENCH_SCRATCH:-.build-bench}
steps=${STEPS:-3}
threads=${THREADS:-$(nproc)}
input=${INPUT:-3x32x32}
batch=${BATCH:-128}

echo "building grawa-train (release, -target-cpu native) in $scratch ..." >&2
swift build -c release --scratch-path "$scratch" -Xswiftc -target-cpu -Xswiftc native \
  --product grawa-train >&2
binary="$scratch/release/grawa-train"

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
models=$("$binary" models --json | python3 -c 'import json, sys; print(" ".join(m["model"] for m in json.load(sys.stdin)))')
for model in $models; do
  echo "timing $model ..." >&2
  "$binary" bench --skip-gemm --skip-conv --model "$model" --threads "$threads" --steps "$steps" \
    --batch-size "$batch" --input "$input" --json > "$out/$model.json"
done

python3 - "$out" "$threads" $models <<'PYTHON'
import json, os, sys
directory, threads, models = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
cpu = open("/proc/cpuinfo").read()
name = next((l.split(":", 1)[1].strip() for l in cpu.splitlines() if l.startswith("model name")), "unknown")
first = json.load(open(os.path.join(directory, models[0] + ".json")))
peaks = {p["threads"]: p["gflops"] for p in first["fmaPeak"]}
kernels = first["kernels"]
print("CPU: %s; kernels: %s; FMA peak: %s" % (name, kernels["variant"], ", ".join(
    "%.1f GFLOP/s on %d thread(s)" % (g, t) for t, g in sorted(peaks.items()))))
print()
print("| model | batch, input | images/s, 1 thread | images/s, %d threads | GFLOP per step | GFLOP/s, %d threads | of FMA peak | peak RSS (MiB) |" % (threads, threads))
print("|---|---|---|---|---|---|---|---|")
for model in models:
    report = json.load(open(os.path.join(directory, model + ".json")))
    rows = {r["threads"]: r for r in report["model"]}
    one, many = rows.get(1), rows.get(threads)
    step_gflop = 2 * many["multiplyAddsPerStep"] / 1e9
    gflops = step_gflop / (many["medianMilliseconds"] / 1e3)
    shape = "x".join(map(str, many["inputShape"]))
    print("| %s | %d, %s | %.1f | %.1f | %.1f | %.1f | %.0f%% | %.0f |" % (
        model, many["batch"], shape, one["imagesPerSecond"] if one else float("nan"),
        many["imagesPerSecond"], step_gflop, gflops, 100 * gflops / peaks[threads],
        report["peakResidentMegabytes"]))
PYTHON
