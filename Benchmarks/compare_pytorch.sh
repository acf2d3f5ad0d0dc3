#!/usr/bin/env bash
# Side-by-side figures of swift-grawa against numpy/OpenBLAS and PyTorch CPU on this machine, in
# one run: SGEMM 1024^3 on 1 and 2 threads, and ResNet-20 / VGG-16 training steps (batch 128,
# 3x32x32, 2 threads), and the peak resident memory of a ResNet-20 training process. Prints the
# CPU (lscpu), the load, medians and ratios.
#
#   Benchmarks/compare_pytorch.sh                 # everything, one round
#   ROUNDS=3 STEPS=7 Benchmarks/compare_pytorch.sh # alternate the tools 3 times, median of rounds
#   MODELS=resnet20 Benchmarks/compare_pytorch.sh   # any models of grawa-train models but tiny-cnn
#   GRAWA_KERNELS=avx2 Benchmarks/compare_pytorch.sh  # force a kernel variant (see README.md)
#   ISA=avx2 Benchmarks/compare_pytorch.sh  # every tool on AVX2 code only, see below
#
# Builds grawa-train in release with the README's flags (-Xswiftc -target-cpu -Xswiftc native)
# into $GRAWA_BENCH_SCRATCH (default .build-bench), and creates a virtual environment with
# `pip install $TORCH_SPEC numpy` in $GRAWA_BENCH_VENV (default .build-bench/venv) unless one with
# torch and numpy exists. TORCH_SPEC defaults to `torch` (PyPI's newest, a CUDA build of several
# GB that runs on the CPU as well); name a CPU wheel to save the download, e.g.
# TORCH_SPEC=/opt/wheels/torch-2.13.0+cpu-cp311-cp311-manylinux_2_28_x86_64.whl.
# numpy runs with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset, so OpenBLAS picks its kernel for
# this CPU. ISA=avx2 restricts all three tools to AVX2 code on an AVX-512 CPU, a stand-in (not a
# substitute) for an AVX2-only machine: swift-grawa's avx2 kernels (GRAWA_KERNELS=avx2),
# OpenBLAS's Haswell kernels (OPENBLAS_CORETYPE=Haswell), and PyTorch's AVX2 paths
# (ATEN_CPU_CAPABILITY=avx2, ONEDNN_MAX_CPU_ISA=AVX2, MKL_ENABLE_INSTRUCTIONS=AVX2). With it,
# grawa-train is compiled with `-target-cpu znver3` (TARGET_CPU overrides): the code the README's
# `native` build produces on an AMD Zen 3, with AVX2's 16 vector registers, into
# $GRAWA_BENCH_SCRATCH-znver3. Each round runs every tool once in turn, so slow phases of a shared
# machine hit all of them; the report gives the median over rounds of each tool's median.
set -euo pipefail
cd "$(dirname "$0")/.."

scratch=${GRAWA_BENCH_SCRATCH:-.build-bench}
venv=${GRAWA_BENCH_VENV:-$scratch/venv}
rounds=${ROUNDS:-1}
steps=${STEPS:-5}
repetitions=${REPETITIONS:-9}
models=${MODELS:-resnet20,vgg16}
case "${ISA:-native}" in
  native)
    numpy_env=(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE)
    torch_env=(env)
    target_cpu=${TARGET_CPU:-native}
    ;;
  avx2)
    export GRAWA_KERNELS=avx2
    numpy_env=(env -u OPENBLAS_L2_SIZE OPENBLAS_CORETYPE=Haswell)
    torch_env=(env ATEN_CPU_CAPABILITY=avx2 ONEDNN_MAX_CPU_ISA=AVX2 MKL_ENABLE_INSTRUCTIONS=AVX2)
    target_cpu=${TARGET_CPU:-znver3}
    ;;
  *)
    echo "error: ISA must be native or avx2, got '$ISA'" >&2
    exit 2
    ;;
esac

build_dir=$scratch
[ "$target_cpu" = native ] || build_dir=$scratch-$target_cpu
echo "building grawa-train (release, -target-cpu $target_cpu) in $build_dir ..." >&2
swift build -c release --scratch-path "$build_dir" -Xswiftc -target-cpu -Xswiftc "$target_cpu" \
  --product grawa-train >&2
binary="$build_dir/release/grawa-train"

if ! "$venv/bin/python" -c "import torch, numpy" 2>/dev/null; then
  echo "creating $venv with torch and numpy ..." >&2
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet "${TORCH_SPEC:-torch}" numpy >&2
fi
python="$venv/bin/python"

# Refuse a model the PyTorch side does not define before anything is timed.
"$python" Benchmarks/pytorch_train_step.py --models "$models" --check

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
lscpu > "$out/lscpu.txt"
echo "$target_cpu" > "$out/target-cpu.txt"
uptime > "$out/load-before.txt"
for round in $(seq 1 "$rounds"); do
  echo "round $round of $rounds ..." >&2
  "$binary" bench --sizes 1024 --threads 2 --repetitions "$repetitions" --skip-conv --json \
    > "$out/grawa-gemm-$round.json"
  "${numpy_env[@]}" "$python" Benchmarks/numpy_matmul.py --json \
    --sizes 1024 --threads 1,2 --repeats "$repetitions" > "$out/numpy-$round.json"
  for model in ${models//,/ }; do
    "$binary" bench --skip-gemm --skip-conv --model "$model" --threads 2 --steps "$steps" --json \
      > "$out/grawa-$model-$round.json"
  done
  "${torch_env[@]}" "$python" Benchmarks/pytorch_train_step.py --models "$models" --threads 2 \
    --steps "$steps" > "$out/torch-$round.json"
done
# Peak resident memory of one ResNet-20 training process on each side (its own process, so no
# other model's memory counts): bench's peak RSS, and PyTorch's ru_maxrss.
"$binary" bench --skip-gemm --skip-conv --model resnet20 --threads 2 --steps "$steps" --json \
  > "$out/rss-grawa.json"
"${torch_env[@]}" "$python" Benchmarks/pytorch_train_step.py --models resnet20 --threads 2 \
  --steps "$steps" > "$out/rss-torch.json"
uptime > "$out/load-after.txt"
"$python" Benchmarks/compare_report.py "$out"
