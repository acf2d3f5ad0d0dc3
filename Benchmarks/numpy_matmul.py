#!/usr/bin/env python3
"""numpy float32 matmul throughput, the yardstick for GrawaTensor's pure-Swift SGEMM.

Prints GFLOP/s (2*n^3 flops per product) of `numpy.matmul` on float32 n x n matrices for
n = 256, 512, 1024, 2048, on 1 and 2 threads: the median (and best) of several timed repetitions
after a warm-up. Small sizes repeat the product inside each repetition so that one repetition
lasts at least about 20 ms.

Run it as

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python3 Benchmarks/numpy_matmul.py

The machine's environment sets OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE, which force OpenBLAS onto
its slower Haswell (AVX2) kernel; unsetting both lets it pick its AVX-512 (SkylakeX) kernel, the
fair comparison for the AVX-512 Swift build. The script prints the OpenBLAS core it ran on when
it can find out, and warns when OPENBLAS_CORETYPE is set.

Thread count: set with threadpoolctl when it is installed; otherwise each thread count runs in
its own subprocess with OPENBLAS_NUM_THREADS (and OMP_NUM_THREADS, MKL_NUM_THREADS) set, since
OpenBLAS reads those only at load time.

Options:
    --json            print one JSON object instead of text lines
    --sizes 256,512   matrix sizes (default 256,512,1024,2048)
    --threads 1,2     thread counts (default 1,2)
    --repeats 9       timed repetitions per measurement (default 9)
"""

import argparse
import ctypes
import glob
import json
import os
import statistics
import subprocess
import sys
import time

import numpy as np


def openblas_corename():
    """The OpenBLAS core type numpy's BLAS runs on (e.g. 'SkylakeX'), or None if unknown."""
    try:
        from threadpoolctl import threadpool_info  # type: ignore

        for info in threadpool_info():
            if info.get("internal_api") == "openblas":
                return info.get("architecture")
    except ImportError:
        pass
    base = os.path.dirname(np.__file__)
    for lib in glob.glob(os.path.join(base + ".libs", "*openblas*.so*")) + glob.glob(
        os.path.join(base, ".libs", "*openblas*.so*")
    ):
        try:
            handle = ctypes.CDLL(lib)
        except OSError:
            continue
        for name in (
            "scipy_openblas_get_corename64_",
            "scipy_openblas_get_corename",
            "openblas_get_corename64_",
            "openblas_get_corename",
        ):
            function = getattr(handle, name, None)
            if function is not None:
                function.restype = ctypes.c_char_p
                return function().decode()
    return None


WARM_UP_SECONDS = 0.25


def measure(n, repeats):
    """Median and best GFLOP/s of float32 n x n matmul on the current BLAS thread setting."""
    rng = np.random.default_rng(n)
    a = rng.standard_normal((n, n), dtype=np.float32)
    b = rng.standard_normal((n, n), dtype=np.float32)
    c = np.empty((n, n), dtype=np.float32)
    flops = 2.0 * n**3
    calls = max(1, int(2e9 / flops))  # ~20 ms per repetition at 100 GFLOP/s
    # Untimed warm-up for at least WARM_UP_SECONDS (and two repetitions), as swift-grawa's
    # GEMMBenchmark does, so both figures are the steady state.
    warm_up_start = time.perf_counter()
    warm_ups = 0
    while warm_ups < 2 or time.perf_counter() - warm_up_start < WARM_UP_SECONDS:
        for _ in range(calls):
            np.matmul(a, b, out=c)
        warm_ups += 1
    rates = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(calls):
            np.matmul(a, b, out=c)
        elapsed = (time.perf_counter() - start) / calls
        rates.append(flops / elapsed / 1e9)
    return {
        "size": n,
        "median_gflops": statistics.median(rates),
        "best_gflops": max(rates),
        "repetitions": repeats,
        "calls_per_repetition": calls,
    }


def run_in_process(sizes, threads, repeats):
    """Measures every size with `threads` BLAS threads, using threadpoolctl if available."""
    try:
        from threadpoolctl import threadpool_limits  # type: ignore
    except ImportError:
        threadpool_limits = None
    results = []
    if threadpool_limits is not None:
        with threadpool_limits(limits=threads, user_api="blas"):
            for n in sizes:
                results.append(dict(measure(n, repeats), threads=threads))
    else:
        for n in sizes:
            results.append(dict(measure(n, repeats), threads=threads))
    return results


def run_in_subprocess(sizes, threads, repeats):
    """Measures in a child process whose OpenBLAS starts with `threads` threads."""
    env = dict(os.environ)
    for key in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        env[key] = str(threads)
    command = [
        sys.executable, os.path.abspath(__file__), "--worker",
        "--sizes", ",".join(map(str, sizes)), "--threads", str(threads),
        "--repeats", str(repeats),
    ]
    output = subprocess.run(command, env=env, check=True, capture_output=True, text=True).stdout
    return json.loads(output)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--sizes", default="256,512,1024,2048")
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s]
    thread_counts = [int(t) for t in args.threads.split(",") if t]

    if args.worker:
        print(json.dumps(run_in_process(sizes, thread_counts[0], args.repeats)))
        return

    try:
        import threadpoolctl  # type: ignore # noqa: F401

        have_threadpoolctl = True
    except ImportError:
        have_threadpoolctl = False

    results = []
    for threads in thread_counts:
        if have_threadpoolctl:
            results += run_in_process(sizes, threads, args.repeats)
        else:
            results += run_in_subprocess(sizes, threads, args.repeats)

    report = {
        "numpy_version": np.__version__,
        "openblas_core": openblas_corename(),
        "openblas_coretype_env": os.environ.get("OPENBLAS_CORETYPE"),
        "thread_control": "threadpoolctl" if have_threadpoolctl else "OPENBLAS_NUM_THREADS",
        "results": results,
    }
    if args.json:
        print(json.dumps(report))
        return
    if report["openblas_coretype_env"]:
        print(
            "warning: OPENBLAS_CORETYPE=%s forces an OpenBLAS kernel; run with "
            "`env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE`" % report["openblas_coretype_env"],
            file=sys.stderr,
        )
    print(
        "numpy %s, OpenBLAS core %s, threads via %s"
        % (np.__version__, report["openblas_core"] or "unknown", report["thread_control"])
    )
    for r in results:
        print(
            "numpy matmul %dx%dx%d float32 threads=%d: median %.1f GFLOP/s, best %.1f GFLOP/s"
            % (r["size"], r["size"], r["size"], r["threads"], r["median_gflops"], r["best_gflops"])
        )


if __name__ == "__main__":
    main()
