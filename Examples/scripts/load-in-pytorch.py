#!/usr/bin/env python3
"""Load a model exported by `grawa-train export` into PyTorch and measure its test accuracy.

    grawa-train export runs/lgrawa-fashion -o resnet20.safetensors
    python3 Examples/scripts/load-in-pytorch.py resnet20.safetensors \
        --expect "$(grawa-train evaluate runs/lgrawa-fashion --json)"

Needs `pip install torch safetensors numpy`. The file's metadata (written by the exporter) names
the model, the input shape, the classes, the dataset and the evaluation transform; this script
builds the matching PyTorch module (grawa_torch_models.py: every model of `grawa-train models`),
loads the tensors with a strict `load_state_dict`, reads the dataset's test set (IDX files of
Fashion-MNIST/MNIST, gzip or plain; CIFAR-10 binary `test_batch.bin`), applies the same transform
(bytes / 255, center crop, per-channel normalisation) and evaluates in inference mode (`--limit
N`: the first N test images only, as a run's `--test-limit N`). With `--expect` (the JSON
`grawa-train evaluate --json` prints, or a number in percent) it exits 1 unless PyTorch's
accuracy is within `--tolerance` points (default 0.1) of it.
"""

import argparse
import gzip
import json
import os
import struct
import sys

import numpy as np
import torch
import torch.nn.functional as F
from safetensors import safe_open
from safetensors.torch import load_file

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from grawa_torch_models import build  # noqa: E402  (the modules matching swift-grawa's models)


# --- Data ---


def read_idx(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    zero, dtype, rank = struct.unpack(">HBB", data[:4])
    if zero != 0 or dtype != 0x08:
        sys.exit(f"error: {path}: not an unsigned-byte IDX file")
    shape = struct.unpack(">" + "I" * rank, data[4 : 4 + 4 * rank])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * rank).reshape(shape)


def find(directory, stem):
    for name in (stem + ".gz", stem):
        path = os.path.join(directory, name)
        if os.path.exists(path):
            return path
    sys.exit(f"error: {directory}: no {stem}(.gz)")


def test_set(dataset, directory):
    """uint8 images [N, C, H, W] and int64 labels [N]."""
    if dataset in ("fashion-mnist", "mnist"):
        images = read_idx(find(directory, "t10k-images-idx3-ubyte"))
        labels = read_idx(find(directory, "t10k-labels-idx1-ubyte"))
        return images[:, None, :, :], labels.astype(np.int64)
    if dataset == "cifar10":
        raw = np.fromfile(os.path.join(directory, "test_batch.bin"), dtype=np.uint8).reshape(-1, 3073)
        return raw[:, 1:].reshape(-1, 3, 32, 32), raw[:, 0].astype(np.int64)
    sys.exit(f"error: dataset '{dataset}' is not read by this script (fashion-mnist, mnist, cifar10 are)")


DEFAULT_DIRECTORIES = {
    "fashion-mnist": "/usr/share/datasets/fashion-mnist",
    "mnist": "/usr/share/datasets/mnist",
    "cifar10": "data/cifar-10-batches-bin",
}


def transform(images, steps):
    x = torch.from_numpy(images.astype(np.float32) / 255.0)
    for step in steps:
        if "center_crop" in step:
            size = step["center_crop"]
            top = (x.shape[2] - size) // 2
            left = (x.shape[3] - size) // 2
            x = x[:, :, top : top + size, left : left + size]
        elif "normalize" in step:
            mean = torch.tensor(step["normalize"]["mean"], dtype=torch.float32).view(1, -1, 1, 1)
            std = torch.tensor(step["normalize"]["std"], dtype=torch.float32).view(1, -1, 1, 1)
            x = (x - mean) / std
        else:
            sys.exit(f"error: unknown transform step {step}")
    return x.contiguous()


def expected_accuracy(text):
    """A percentage from `grawa-train evaluate --json` output or a plain number."""
    try:
        return 100.0 * json.loads(text)["accuracy"]
    except (ValueError, KeyError, TypeError):
        return float(text)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("file", help="a .safetensors file written by grawa-train export")
    parser.add_argument("--data-dir", help="the dataset directory (default: the dataset's standard place)")
    parser.add_argument("--expect", help="grawa-train evaluate --json output, or an accuracy in percent")
    parser.add_argument("--tolerance", type=float, default=0.1, help="allowed difference in points")
    parser.add_argument("--limit", type=int, help="only the first N test images (a run's --test-limit)")
    args = parser.parse_args()
    if args.limit is not None and args.limit <= 0:
        parser.error(f"--limit must be positive, got {args.limit}")

    with safe_open(args.file, framework="pt") as f:
        meta = f.metadata() or {}
    for key in ("grawa.model", "grawa.input_shape", "grawa.classes", "grawa.dataset", "grawa.evaluation_transform"):
        if key not in meta:
            sys.exit(f"error: {args.file}: metadata has no '{key}' (not written by grawa-train export?)")
    channels, height, width = json.loads(meta["grawa.input_shape"])
    classes = json.loads(meta["grawa.classes"])
    model = build(meta["grawa.model"], channels, len(classes))
    if model is None:
        sys.exit(f"error: model '{meta['grawa.model']}' is not defined in grawa_torch_models.py")
    model.load_state_dict(load_file(args.file))  # strict: every name and shape must match
    model.eval()

    dataset = meta["grawa.dataset"]
    images, labels = test_set(dataset, args.data_dir or DEFAULT_DIRECTORIES.get(dataset, "."))
    if args.limit is not None:
        images, labels = images[: args.limit], labels[: args.limit]
    x = transform(images, json.loads(meta["grawa.evaluation_transform"]))
    if tuple(x.shape[1:]) != (channels, height, width):
        sys.exit(f"error: transformed images are {tuple(x.shape[1:])}, the model expects {(channels, height, width)}")
    y = torch.from_numpy(labels)
    correct, loss = 0, 0.0
    with torch.no_grad():
        for start in range(0, len(y), 256):
            logits = model(x[start : start + 256])
            loss += F.cross_entropy(logits, y[start : start + 256], reduction="sum").item()
            correct += (logits.argmax(1) == y[start : start + 256]).sum().item()
    accuracy = 100.0 * correct / len(y)
    print(
        f"PyTorch {torch.__version__}: {meta['grawa.model']} ({meta.get('grawa.source', 'model')} of a "
        f"{meta.get('grawa.strategy', '?')} run, step {meta.get('grawa.step', '?')}) on the {dataset} test set, "
        f"{len(y)} images: loss {loss / len(y):.4f}, accuracy {accuracy:.2f}%"
    )
    if args.expect is not None:
        expected = expected_accuracy(args.expect)
        difference = abs(accuracy - expected)
        verdict = "within" if difference <= args.tolerance else "NOT within"
        print(f"swift-grawa: accuracy {expected:.2f}%; difference {difference:.3f} points, {verdict} {args.tolerance}")
        if difference > args.tolerance:
            sys.exit(1)


if __name__ == "__main__":
    main()
