#!/usr/bin/env python3
"""PyTorch CPU training-step time of grawa-train's models (all but tiny-cnn), built to match them.

The models mirror swift-grawa's (Sources/GrawaNN/Models): ResNet-20 for CIFAR with option-A
shortcuts (stride-2 subsampling and zero channel padding, no parameters), convolutions without
bias; VGG-16 with batch norm after every convolution (convolutions with bias) and the classifier
Dropout(0.5), Linear 512-512, ReLU, Dropout(0.5), Linear 512-512, ReLU, Linear 512-classes;
ResNet-50 in torchvision's ImageNet layout, and the others as the reference code each Swift model
follows (see Examples/scripts/grawa_torch_models.py). A step
is the same as `grawa-train bench --model`: forward in training mode, mean cross-entropy,
backward, and an SGD step (lr 0.1, momentum 0.9, Nesterov, weight decay 1e-4), on random NCHW
float32 inputs (PyTorch's default layout and configuration).

Prints one JSON object: per model, the median and best milliseconds per step and images/s; and
the process's peak resident memory.

Options:
    --models resnet20,vgg16   models to time (resnet20, resnet56, resnet18, resnet50, vgg16,
                              pyramidnet110, densenet121, wideresnet28-10)
    --batch 128               images per step
    --threads 2               torch.set_num_threads
    --steps 5                 timed steps (after 2 warm-up steps)
    --check                   only check the model names (exit 2 naming an unknown one)
"""

import argparse
import json
import statistics
import time

import os
import sys

import resource

import torch
import torch.nn.functional as F

# Peak resident memory of this process once torch is imported, before any model (MiB).
RSS_AFTER_IMPORT_MB = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

# The modules matching swift-grawa's models, shared with Examples/scripts/load-in-pytorch.py.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Examples", "scripts"))
from grawa_torch_models import build  # noqa: E402


MODELS = {name: (lambda name=name: build(name)) for name in [
    "resnet20", "resnet56", "resnet18", "resnet50", "vgg16", "pyramidnet110", "densenet121",
    "wideresnet28-10"]}


def measure(name, batch, steps, warmup=2):
    torch.manual_seed(0)
    model = MODELS[name]()
    model.train()
    optimizer = torch.optim.SGD(
        model.parameters(), lr=0.1, momentum=0.9, nesterov=True, weight_decay=1e-4)
    images = torch.randn(batch, 3, 32, 32)
    labels = torch.randint(0, 10, (batch,))
    times = []
    for step in range(warmup + steps):
        start = time.perf_counter()
        loss = F.cross_entropy(model(images), labels)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        elapsed = time.perf_counter() - start
        if step >= warmup:
            times.append(elapsed * 1e3)
    median = statistics.median(times)
    return {
        "model": name,
        "batch": batch,
        "steps": steps,
        "median_ms": median,
        "best_ms": min(times),
        "images_per_second": batch / (median / 1e3),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="resnet20,vgg16")
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--check", action="store_true", help="only check the model names")
    args = parser.parse_args()
    unknown = [name for name in args.models.split(",") if name and name not in MODELS]
    if unknown:
        parser.error(f"--models: unknown model {', '.join(unknown)} (known: {', '.join(MODELS)})")
    if args.check:
        return
    torch.set_num_threads(args.threads)
    results = [measure(name, args.batch, args.steps) for name in args.models.split(",") if name]
    print(json.dumps({
        "torch_version": torch.__version__,
        # The vector code ATen's kernels run ("AVX512", "AVX2", ...; ATEN_CPU_CAPABILITY).
        "cpu_capability": torch.backends.cpu.get_cpu_capability(),
        "threads": torch.get_num_threads(),
        "results": results,
        # Peak resident memory of the whole process (every model it ran), and the part reached
        # by importing torch alone, in MiB (Linux reports ru_maxrss in KiB).
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "rss_after_import_mb": RSS_AFTER_IMPORT_MB,
    }))


if __name__ == "__main__":
    main()
