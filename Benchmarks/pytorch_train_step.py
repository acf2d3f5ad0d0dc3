#!/usr/bin/env python3
"""PyTorch CPU training-step time of ResNet-20 and VGG-16, built to match grawa-train's models.

The models mirror swift-grawa's (Sources/GrawaNN/Models): ResNet-20 for CIFAR with option-A
shortcuts (stride-2 subsampling and zero channel padding, no parameters), convolutions without
bias; VGG-16 with batch norm after every convolution (convolutions with bias) and the classifier
Dropout(0.5), Linear 512-512, ReLU, Dropout(0.5), Linear 512-512, ReLU, Linear 512-classes. A step
is the same as `grawa-train bench --model`: forward in training mode, mean cross-entropy,
backward, and an SGD step (lr 0.1, momentum 0.9, Nesterov, weight decay 1e-4), on random NCHW
float32 inputs (PyTorch's default layout and configuration).

Prints one JSON object: per model, the median and best milliseconds per step and images/s.

Options:
    --models resnet20,vgg16   models to time
    --batch 128               images per step
    --threads 2               torch.set_num_threads
    --steps 5                 timed steps (after 2 warm-up steps)
"""

import argparse
import json
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class OptionABlock(nn.Module):
    """relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x)), option-A shortcut."""

    def __init__(self, in_planes, planes, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(in_planes, planes, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride=1, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.pad = planes // 4 if (stride != 1 or in_planes != planes) else None

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        if self.pad is None:
            shortcut = x
        else:
            shortcut = F.pad(x[:, :, ::2, ::2], (0, 0, 0, 0, self.pad, self.pad))
        return F.relu(out + shortcut)


class CIFARResNet(nn.Module):
    def __init__(self, depth=20, classes=10):
        super().__init__()
        n = (depth - 2) // 6
        self.conv1 = nn.Conv2d(3, 16, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        layers = []
        in_planes = 16
        for planes, stride in ((16, 1), (32, 2), (64, 2)):
            for index in range(n):
                layers.append(OptionABlock(in_planes, planes, stride if index == 0 else 1))
                in_planes = planes
        self.layers = nn.Sequential(*layers)
        self.linear = nn.Linear(64, classes)

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)))
        x = self.layers(x)
        x = F.adaptive_avg_pool2d(x, 1).flatten(1)
        return self.linear(x)


class VGG16(nn.Module):
    configuration = [64, 64, None, 128, 128, None, 256, 256, 256, None,
                     512, 512, 512, None, 512, 512, 512, None]

    def __init__(self, classes=10):
        super().__init__()
        layers = []
        channels = 3
        for width in self.configuration:
            if width is None:
                layers.append(nn.MaxPool2d(2))
                continue
            layers += [nn.Conv2d(channels, width, 3, padding=1, bias=True),
                       nn.BatchNorm2d(width), nn.ReLU(inplace=True)]
            channels = width
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Sequential(
            nn.Dropout(0.5), nn.Linear(512, 512), nn.ReLU(inplace=True),
            nn.Dropout(0.5), nn.Linear(512, 512), nn.ReLU(inplace=True),
            nn.Linear(512, classes))

    def forward(self, x):
        return self.classifier(self.features(x).flatten(1))


MODELS = {"resnet20": CIFARResNet, "vgg16": VGG16}


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
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    results = [measure(name, args.batch, args.steps) for name in args.models.split(",") if name]
    print(json.dumps({
        "torch_version": torch.__version__,
        "threads": torch.get_num_threads(),
        "results": results,
    }))


if __name__ == "__main__":
    main()
