#!/usr/bin/env bash
# The comparison in docs/results: DP+SGD, EASGD, LSGD, MGRAWA and LGRAWA on Fashion-MNIST with
# ResNet-20 and 4 workers, the same wall-clock training budget for each, two seeds, and the
# flatness analysis of every final center; one table (markdown + CSV) and one chart.
#
#   Examples/scripts/compare-fashion-mnist.sh [MINUTES] [OUTPUT_ROOT] [SEEDS]
#
# The learning rate drops x0.1 at 5/9 of the budget (the paper: 500 s of 900 s). Every other
# hyperparameter is grawa-train's default for the strategy (docs/algorithms.md, "Hyperparameters the paper used"). The analysis
# uses 500 training samples and 20 Lanczos iterations to stay within minutes on 2 cores.
# Interrupted? Run the same command again: finished runs are reused, stopped ones resumed.
set -euo pipefail
minutes=${1:-8}
root=${2:-runs/compare}
seeds=${3:-0,1}
binary=${GRAWA_TRAIN:-.build/release/grawa-train}
drop=$(python3 -c "print(round($minutes * 60 * 5 / 9))")
"$binary" compare --workers 4 --model resnet20 --dataset fashion-mnist \
  --minutes "$minutes" --schedule "step-seconds:0.1@$drop" --seeds "$seeds" \
  --samples 500 --iterations 20 --trace-probes 5 --output "$root"
