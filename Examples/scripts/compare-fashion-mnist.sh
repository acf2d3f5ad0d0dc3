#!/usr/bin/env bash
# Runs DP+SGD, EASGD, LSGD, MGRAWA and LGRAWA one after another on Fashion-MNIST with ResNet-20 and
# 4 workers, each for the same wall-clock training budget, and prints one summary line per run.
#
#   Examples/scripts/compare-fashion-mnist.sh [MINUTES] [OUTPUT_ROOT] [SEED]
#
# The learning rate drops x0.1 at 5/9 of the budget (the paper: 500 s of 900 s). Every other
# hyperparameter is grawa-train's default for the strategy (REFERENCE.md section 6).
set -euo pipefail
minutes=${1:-8}
root=${2:-runs/compare}
seed=${3:-0}
binary=${GRAWA_TRAIN:-.build/release/grawa-train}
drop=$(python3 -c "print(round($minutes * 60 * 5 / 9))")
mkdir -p "$root"
for strategy in dp-sgd easgd lsgd mgrawa lgrawa; do
  "$binary" train --strategy "$strategy" --workers 4 --model resnet20 --dataset fashion-mnist \
    --minutes "$minutes" --schedule "step-seconds:0.1@$drop" --seed "$seed" \
    --output "$root/$strategy-seed$seed" > "$root/$strategy-seed$seed.log" 2>&1
  tail -1 "$root/$strategy-seed$seed.log"
done
