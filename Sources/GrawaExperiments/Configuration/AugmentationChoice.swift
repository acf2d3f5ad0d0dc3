import Foundation
import GrawaData
import GrawaDistributed
import GrawaNN
import GrawaOptim
import GrawaTensor

/// The data-augmentation recipe of a run, chosen explicitly (never inferred from the model name).
public enum AugmentationChoice: String, Sendable, Codable, CaseIterable {
  /// Pad 4 with zeros, random crop back to the image size, horizontal flip; evaluate on the whole
  /// image (the authors' recipe for VGG-16, PyramidNet, DenseNet, WideResNet).
  case padCropFlip = "pad-crop-flip"
  /// Random 28x28 crops without padding and horizontal flips; evaluate on the 28x28 center crop
  /// (the authors' ResNet-20 recipe on 32x32 CIFAR images).
  case crop28Flip = "crop28-flip"
  /// Normalisation only.
  case none

  /// The training and evaluation pipelines for images of `shape`, normalised with `normalization`.
  public func recipe(imageShape: ImageShape, normalization: Normalization) -> AugmentationRecipe {
    switch self {
    case .padCropFlip:
      .paperDefault(imageSize: imageShape.height, padding: 4, normalization: normalization)
    case .crop28Flip:
      .paperResNet20(cropSize: 28, normalization: normalization)
    case .none:
      .normalizationOnly(normalization)
    }
  }
}
