#!/usr/bin/env python3
"""Prints the side-by-side table of Benchmarks/compare_pytorch.sh from the JSON files it wrote.

Usage: compare_report.py DIRECTORY (holding lscpu.txt, load-*.txt, grawa-gemm-R.json,
numpy-R.json, grawa-MODEL-R.json and torch-R.json for rounds R = 1, 2, ...).
"""

import glob
import json
import os
import statistics
import sys


def load(directory, pattern):
    """Every JSON file matching `pattern`, in round order."""
    paths = sorted(glob.glob(os.path.join(directory, pattern)),
                   key=lambda p: int(p.rsplit("-", 1)[1].split(".")[0]))
    return [json.load(open(path)) for path in paths]


def lscpu_field(text, name):
    for line in text.splitlines():
        if line.startswith(name + ":"):
            return line.split(":", 1)[1].strip()
    return "unknown"


def main():
    directory = sys.argv[1]
    lscpu = open(os.path.join(directory, "lscpu.txt")).read()
    flags = lscpu_field(lscpu, "Flags").split()
    vector_flags = [f for f in flags if f in ("avx", "avx2", "fma", "avx512f", "asimd")]
    print("CPU: %s, %s CPUs, vector flags: %s" % (
        lscpu_field(lscpu, "Model name"), lscpu_field(lscpu, "CPU(s)"), " ".join(vector_flags)))
    for name in ("before", "after"):
        print("load %s: %s" % (name, open(os.path.join(directory, "load-%s.txt" % name)).read().strip()))

    gemm_runs = load(directory, "grawa-gemm-*.json")
    numpy_runs = load(directory, "numpy-*.json")
    torch_runs = load(directory, "torch-*.json")
    rounds = len(gemm_runs)
    first = gemm_runs[0]
    kernels = first["kernels"]
    target_file = os.path.join(directory, "target-cpu.txt")
    target = open(target_file).read().strip() if os.path.exists(target_file) else "native"
    print("swift-grawa (-target-cpu %s) kernels: %s (%s), %s; FMA peak %s" % (
        target, kernels["variant"], kernels["source"],
        "SIMD%d gemm %s conv %s" % (kernels["tiles"]["vectorWidth"],
                                    "x".join(map(str, kernels["tiles"]["gemm"])),
                                    "x".join(map(str, kernels["tiles"]["convolution"]))),
        ", ".join("%.1f GFLOP/s on %d thread(s)" % (statistics.median(
            [p["gflops"] for r in gemm_runs for p in r["fmaPeak"] if p["threads"] == t]), t)
            for t in sorted({p["threads"] for p in first["fmaPeak"]}))))
    print("numpy %s (OpenBLAS core %s); torch %s (CPU capability %s); %d round(s), medians of rounds" % (
        numpy_runs[0]["numpy_version"], numpy_runs[0]["openblas_core"],
        torch_runs[0]["torch_version"], torch_runs[0].get("cpu_capability", "unknown"), rounds))
    print()
    rows = []
    for threads in (1, 2):
        ours = statistics.median(
            [g["medianGFLOPS"] for r in gemm_runs for g in r["gemm"] if g["threads"] == threads])
        share = statistics.median(
            [g["fractionOfPeak"] for r in gemm_runs for g in r["gemm"] if g["threads"] == threads])
        peer = statistics.median(
            [x["median_gflops"] for r in numpy_runs for x in r["results"] if x["threads"] == threads])
        rows.append(("SGEMM 1024^3, %d thread%s (GFLOP/s)" % (threads, "" if threads == 1 else "s"),
                     "%.1f (%.0f%% of peak)" % (ours, 100 * share), "numpy %.1f" % peer, ours / peer))
    models = [m["model"] for m in torch_runs[0]["results"]]
    for model in models:
        runs = load(directory, "grawa-%s-*.json" % model)
        ours = statistics.median(
            [m["imagesPerSecond"] for r in runs for m in r["model"] if m["threads"] == 2])
        peer = statistics.median(
            [m["images_per_second"] for r in torch_runs for m in r["results"] if m["model"] == model])
        rows.append(("%s train step, batch 128, 2 threads (img/s)" % model,
                     "%.1f" % ours, "PyTorch %.1f" % peer, ours / peer))
    rss_grawa = os.path.join(directory, "rss-grawa.json")
    if os.path.exists(rss_grawa):
        ours = json.load(open(rss_grawa))["peakResidentMegabytes"]
        torch_rss = json.load(open(os.path.join(directory, "rss-torch.json")))
        peer = torch_rss["peak_rss_mb"]
        rows.append(("resnet20 training process, peak RSS (MiB)", "%.0f" % ours,
                     "PyTorch %.0f" % peer, ours / peer))
        print("(PyTorch's process reaches %.0f MiB by importing torch alone.)" % (
            torch_rss["rss_after_import_mb"]))
        print()
    width = max(len(r[0]) for r in rows)
    print("%s | %-22s | %-15s | %s" % ("figure".ljust(width), "swift-grawa", "peer", "ratio"))
    print("%s-|-%s-|-%s-|-%s" % ("-" * width, "-" * 22, "-" * 15, "-" * 6))
    for label, ours, peer, ratio in rows:
        print("%s | %-22s | %-15s | %.2fx" % (label.ljust(width), ours, peer, ratio))


if __name__ == "__main__":
    main()
