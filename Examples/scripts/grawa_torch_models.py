"""PyTorch modules matching swift-grawa's models (Sources/GrawaNN/Models): the same layers, and the
same parameter and buffer names and shapes, so a file from `grawa-train export` loads with a strict
`load_state_dict`. Used by load-in-pytorch.py and Benchmarks/pytorch_train_step.py.

- tiny-cnn: conv(8) - bn - relu - maxpool 2 - conv(16) - bn - relu - global average - linear
  (convolutions without bias), named as swift-grawa's Sequential names them (conv1, bn1, ..., fc).
- resnet20 / resnet56: He et al.'s CIFAR ResNet with option-A shortcuts (stride-2 subsampling
  and zero channel padding, no parameters), convolutions without bias; names conv1, bn1,
  layer1.0.conv1, ..., linear (akamaster's pytorch_resnet_cifar10, as the GRAWA authors use).
- vgg16: batch norm after every convolution (convolutions with bias), a 2x2 max pool that
  leaves maps smaller than 2 alone (swift-grawa's HalvingMaxPool, so 28x28 inputs work), and the
  classifier Dropout(0.5), Linear 512-512, ReLU, Dropout(0.5), Linear 512-512, ReLU, Linear.
- resnet50: torchvision's ImageNet ResNet-50 (v1.5: the stride on each bottleneck's 3x3
  convolution), convolutions without bias, torchvision's names (conv1, bn1, layer1.0.conv1, ...,
  layer1.0.downsample.0, ..., fc); on 32x32 inputs its last stage runs on 1x1 maps.
- densenet121: DenseNet-BC of weiaicunzai's pytorch-cifar100 (which the GRAWA authors copy):
  3x3 stem (2k channels), dense blocks [6, 12, 24, 16] of BN-ReLU-1x1(4k)-BN-ReLU-3x3(k)
  bottlenecks concatenated to their input (k = 32), BN-1x1-avgpool 2 transitions halving the
  channels, BN-ReLU, global average, linear; the reference's names (conv1,
  features.dense_block_layer_0.bottle_neck_layer_0.bottle_neck.0, ..., features.dense_block3,
  features.bn, linear).
- resnet18: kuangliu's pytorch-cifar ResNet-18 (3x3 stem, no max pool, basic blocks with 1x1 +
  batch norm projection shortcuts; conv1, bn1, layer1.0.conv1, ..., layer2.0.shortcut.0, linear).
- wideresnet28-10: xternalz's WideResNet-pytorch (pre-activation wide blocks, the 1x1
  convShortcut applied to the pre-activated input; conv1, block1.layer.0.bn1, ..., bn1, fc).
- pyramidnet110: jhkim89's PyramidNet-PyTorch with basic blocks and alpha 270 (widths rounded
  half to even from a running real width, 2x2 average-pooled zero-padded shortcuts; conv1, bn1,
  layer1.0.bn1, ..., bn_final, fc).
"""

import torch
import torch.nn as nn
import torch.nn.functional as F


def residual_stage(block, in_planes, planes, count, stride, expansion=1):
    """`count` blocks of `planes` (the first with `stride`) and the stage's output width."""
    blocks = []
    for index in range(count):
        blocks.append(block(in_planes, planes, stride if index == 0 else 1))
        in_planes = planes * expansion
    return blocks, in_planes


class TinyCNN(nn.Sequential):
    def __init__(self, channels=3, classes=10):
        super().__init__()
        self.add_module("conv1", nn.Conv2d(channels, 8, 3, padding=1, bias=False))
        self.add_module("bn1", nn.BatchNorm2d(8))
        self.add_module("relu1", nn.ReLU())
        self.add_module("pool", nn.MaxPool2d(2))
        self.add_module("conv2", nn.Conv2d(8, 16, 3, padding=1, bias=False))
        self.add_module("bn2", nn.BatchNorm2d(16))
        self.add_module("relu2", nn.ReLU())
        self.add_module("gap", nn.AdaptiveAvgPool2d(1))
        self.add_module("flatten", nn.Flatten())
        self.add_module("fc", nn.Linear(16, classes))


class OptionABlock(nn.Module):
    """relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x)); a widening block's shortcut subsamples
    by 2 and pads planes/4 zero channels on each side."""

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
        shortcut = x if self.pad is None else F.pad(x[:, :, ::2, ::2], (0, 0, 0, 0, self.pad, self.pad))
        return F.relu(out + shortcut)


class CIFARResNet(nn.Module):
    def __init__(self, depth=20, channels=3, classes=10):
        super().__init__()
        blocks = (depth - 2) // 6
        self.conv1 = nn.Conv2d(channels, 16, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        in_planes = 16
        for stage, (planes, stride) in enumerate([(16, 1), (32, 2), (64, 2)], start=1):
            layers, in_planes = residual_stage(OptionABlock, in_planes, planes, blocks, stride)
            setattr(self, f"layer{stage}", nn.Sequential(*layers))
        self.linear = nn.Linear(64, classes)

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.layer3(self.layer2(self.layer1(out)))
        return self.linear(F.adaptive_avg_pool2d(out, 1).flatten(1))


class HalvingMaxPool(nn.Module):
    def forward(self, x):
        return x if min(x.shape[2], x.shape[3]) < 2 else F.max_pool2d(x, 2)


class VGG16(nn.Module):
    configuration = [64, 64, None, 128, 128, None, 256, 256, 256, None,
                     512, 512, 512, None, 512, 512, 512, None]

    def __init__(self, channels=3, classes=10):
        super().__init__()
        layers = []
        for width in self.configuration:
            if width is None:
                layers.append(HalvingMaxPool())
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
        return self.classifier(F.adaptive_avg_pool2d(self.features(x), 1).flatten(1))


class Bottleneck(nn.Module):
    """torchvision's bottleneck: 1x1 -> 3x3 (stride here) -> 1x1 (4x the width), batch norm after
    each, ReLU, and a 1x1 + batch norm projection shortcut when the shape changes."""

    def __init__(self, in_planes, planes, stride):
        super().__init__()
        out_planes = planes * 4
        self.conv1 = nn.Conv2d(in_planes, planes, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride=stride, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = nn.Conv2d(planes, out_planes, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(out_planes)
        self.downsample = None
        if stride != 1 or in_planes != out_planes:
            self.downsample = nn.Sequential(
                nn.Conv2d(in_planes, out_planes, 1, stride=stride, bias=False),
                nn.BatchNorm2d(out_planes))

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = F.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return F.relu(out + (x if self.downsample is None else self.downsample(x)))


class ResNet50(nn.Module):
    def __init__(self, channels=3, classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(channels, 64, 7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.maxpool = nn.MaxPool2d(3, stride=2, padding=1)
        in_planes = 64
        for index, (planes, count, stride) in enumerate(
                [(64, 3, 1), (128, 4, 2), (256, 6, 2), (512, 3, 2)]):
            blocks, in_planes = residual_stage(Bottleneck, in_planes, planes, count, stride, expansion=4)
            setattr(self, f"layer{index + 1}", nn.Sequential(*blocks))
        self.fc = nn.Linear(2048, classes)

    def forward(self, x):
        x = self.maxpool(F.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(F.adaptive_avg_pool2d(x, 1).flatten(1))


class DenseBottleneck(nn.Module):
    def __init__(self, in_channels, growth_rate):
        super().__init__()
        inner = 4 * growth_rate
        self.bottle_neck = nn.Sequential(
            nn.BatchNorm2d(in_channels), nn.ReLU(inplace=True),
            nn.Conv2d(in_channels, inner, 1, bias=False),
            nn.BatchNorm2d(inner), nn.ReLU(inplace=True),
            nn.Conv2d(inner, growth_rate, 3, padding=1, bias=False))

    def forward(self, x):
        return torch.cat([x, self.bottle_neck(x)], 1)


class DenseTransition(nn.Module):
    def __init__(self, in_channels, out_channels):
        super().__init__()
        self.down_sample = nn.Sequential(
            nn.BatchNorm2d(in_channels), nn.Conv2d(in_channels, out_channels, 1, bias=False),
            nn.AvgPool2d(2, stride=2))

    def forward(self, x):
        return self.down_sample(x)


class DenseNet(nn.Module):
    def __init__(self, blocks=(6, 12, 24, 16), growth_rate=32, channels=3, classes=10):
        super().__init__()
        width = 2 * growth_rate
        self.conv1 = nn.Conv2d(channels, width, 3, padding=1, bias=False)
        self.features = nn.Sequential()
        for index, count in enumerate(blocks):
            block = nn.Sequential()
            for layer in range(count):
                block.add_module(f"bottle_neck_layer_{layer}", DenseBottleneck(width, growth_rate))
                width += growth_rate
            last = index == len(blocks) - 1
            # The reference names every block dense_block_layer_<i> but the last, dense_block<i>.
            self.features.add_module(f"dense_block{index}" if last else f"dense_block_layer_{index}", block)
            if not last:
                self.features.add_module(f"transition_layer_{index}", DenseTransition(width, width // 2))
                width //= 2
        self.features.add_module("bn", nn.BatchNorm2d(width))
        self.features.add_module("relu", nn.ReLU(inplace=True))
        self.linear = nn.Linear(width, classes)

    def forward(self, x):
        return self.linear(F.adaptive_avg_pool2d(self.features(self.conv1(x)), 1).flatten(1))


class ProjectionBasicBlock(nn.Module):
    def __init__(self, in_planes, planes, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(in_planes, planes, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.shortcut = nn.Sequential()
        if stride != 1 or in_planes != planes:
            self.shortcut = nn.Sequential(
                nn.Conv2d(in_planes, planes, 1, stride=stride, bias=False), nn.BatchNorm2d(planes))

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        return F.relu(self.bn2(self.conv2(out)) + self.shortcut(x))


class ResNet18(nn.Module):
    def __init__(self, channels=3, classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(channels, 64, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        in_planes = 64
        for index, (planes, stride) in enumerate([(64, 1), (128, 2), (256, 2), (512, 2)]):
            blocks, in_planes = residual_stage(ProjectionBasicBlock, in_planes, planes, 2, stride)
            setattr(self, f"layer{index + 1}", nn.Sequential(*blocks))
        self.linear = nn.Linear(512, classes)

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.layer4(self.layer3(self.layer2(self.layer1(out))))
        return self.linear(F.adaptive_avg_pool2d(out, 1).flatten(1))


class WideBasicBlock(nn.Module):
    def __init__(self, in_planes, out_planes, stride):
        super().__init__()
        self.bn1 = nn.BatchNorm2d(in_planes)
        self.conv1 = nn.Conv2d(in_planes, out_planes, 3, stride=stride, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_planes)
        self.conv2 = nn.Conv2d(out_planes, out_planes, 3, padding=1, bias=False)
        self.convShortcut = None
        if in_planes != out_planes:
            self.convShortcut = nn.Conv2d(in_planes, out_planes, 1, stride=stride, bias=False)

    def forward(self, x):
        activated = F.relu(self.bn1(x))
        out = self.conv2(F.relu(self.bn2(self.conv1(activated))))
        return (x if self.convShortcut is None else self.convShortcut(activated)) + out


class WideGroup(nn.Module):
    def __init__(self, blocks):
        super().__init__()
        self.layer = nn.Sequential(*blocks)

    def forward(self, x):
        return self.layer(x)


class WideResNet(nn.Module):
    def __init__(self, depth=28, widen=10, channels=3, classes=10):
        super().__init__()
        count = (depth - 4) // 6
        self.conv1 = nn.Conv2d(channels, 16, 3, padding=1, bias=False)
        in_planes = 16
        for index, (planes, stride) in enumerate([(16 * widen, 1), (32 * widen, 2), (64 * widen, 2)]):
            blocks, in_planes = residual_stage(WideBasicBlock, in_planes, planes, count, stride)
            setattr(self, f"block{index + 1}", WideGroup(blocks))
        self.bn1 = nn.BatchNorm2d(in_planes)
        self.fc = nn.Linear(in_planes, classes)

    def forward(self, x):
        out = self.block3(self.block2(self.block1(self.conv1(x))))
        return self.fc(F.adaptive_avg_pool2d(F.relu(self.bn1(out)), 1).flatten(1))


class PyramidBasicBlock(nn.Module):
    def __init__(self, in_planes, planes, stride):
        super().__init__()
        self.bn1 = nn.BatchNorm2d(in_planes)
        self.conv1 = nn.Conv2d(in_planes, planes, 3, stride=stride, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, padding=1, bias=False)
        self.bn3 = nn.BatchNorm2d(planes)
        self.stride = stride

    def forward(self, x):
        out = self.bn3(self.conv2(F.relu(self.bn2(self.conv1(self.bn1(x))))))
        shortcut = x if self.stride == 1 else F.avg_pool2d(x, 2, stride=2, ceil_mode=True)
        missing = out.shape[1] - shortcut.shape[1]
        if missing > 0:
            shortcut = F.pad(shortcut, (0, 0, 0, 0, 0, missing))
        return out + shortcut


class PyramidNet(nn.Module):
    def __init__(self, depth=110, alpha=270, channels=3, classes=10):
        super().__init__()
        count = (depth - 2) // 6
        increment = alpha / (3 * count)
        self.conv1 = nn.Conv2d(channels, 16, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        width, in_planes = 16.0, 16
        for index, stride in enumerate([1, 2, 2]):
            blocks = []
            for block in range(count):
                width += increment
                planes = int(round(width))  # Python's round: half to even, as the reference
                blocks.append(PyramidBasicBlock(in_planes, planes, stride if block == 0 else 1))
                in_planes = planes
            setattr(self, f"layer{index + 1}", nn.Sequential(*blocks))
        self.bn_final = nn.BatchNorm2d(in_planes)
        self.fc = nn.Linear(in_planes, classes)

    def forward(self, x):
        out = self.layer3(self.layer2(self.layer1(self.bn1(self.conv1(x)))))
        return self.fc(F.adaptive_avg_pool2d(F.relu(self.bn_final(out)), 1).flatten(1))


def build(name, channels=3, classes=10):
    """The module of grawa-train's model `name`, or None when it is not defined here."""
    if name == "tiny-cnn":
        return TinyCNN(channels, classes)
    if name in ("resnet20", "resnet56"):
        return CIFARResNet(int(name[len("resnet"):]), channels, classes)
    if name == "vgg16":
        return VGG16(channels, classes)
    if name == "resnet50":
        return ResNet50(channels, classes)
    if name == "densenet121":
        return DenseNet(channels=channels, classes=classes)
    if name == "resnet18":
        return ResNet18(channels, classes)
    if name == "wideresnet28-10":
        return WideResNet(channels=channels, classes=classes)
    if name == "pyramidnet110":
        return PyramidNet(channels=channels, classes=classes)
    return None
