import Foundation
import GrawaData
import GrawaDistributed
import GrawaNN
import GrawaOptim
import GrawaTensor

/// The datasets the command line can name (`--dataset fashion-mnist`), with everything the
/// training setup needs to know about each: where its files live by default, its class count and
/// image shape, its normalisation, and how to load it.
public enum DatasetKind: String, CaseIterable, Sendable, Codable {
  /// Fashion-MNIST (Xiao et al. 2017): 60,000 / 10,000 grey 28x28 images of 10 clothing
  /// classes, IDX files as Debian's `dataset-fashion-mnist` package installs them.
  case fashionMNIST = "fashion-mnist"
  /// MNIST (LeCun et al.): 60,000 / 10,000 grey 28x28 digits, IDX files.
  case mnist
  /// CIFAR-10: 50,000 / 10,000 colour 32x32 images of 10 classes, binary version.
  case cifar10
  /// CIFAR-100: 50,000 / 10,000 colour 32x32 images of 100 classes (20 superclasses kept),
  /// binary version.
  case cifar100
  /// Generated images with learnable structure (``SyntheticDataset`` defaults: 3x32x32,
  /// 10 classes, 5,000 / 1,000 images, seed 0); needs no files.
  case synthetic

  /// Where ``load(directory:)`` looks when no directory is given; `nil` for `synthetic`.
  ///
  /// - fashion-mnist: `/usr/share/datasets/fashion-mnist` (the Debian package's location).
  /// - mnist: `/usr/share/datasets/mnist`.
  /// - cifar10: `data/cifar-10-batches-bin`, relative to the working directory (where
  ///   `cifar-10-binary.tar.gz` extracts when unpacked in `./data`; `data` itself works too, as
  ///   the reader also looks in the tarball's subdirectory).
  /// - cifar100: `data/cifar-100-binary` (likewise for `cifar-100-binary.tar.gz`).
  public var defaultDirectory: String? {
    switch self {
    case .fashionMNIST: return "/usr/share/datasets/fashion-mnist"
    case .mnist: return "/usr/share/datasets/mnist"
    case .cifar10: return "data/" + CIFARReader.cifar10Subdirectory
    case .cifar100: return "data/" + CIFARReader.cifar100Subdirectory
    case .synthetic: return nil
    }
  }

  /// The number of classes (fine classes for CIFAR-100).
  public var classCount: Int {
    switch self {
    case .fashionMNIST, .mnist, .cifar10, .synthetic: return 10
    case .cifar100: return 100
    }
  }

  /// The shape of the stored images (before any crop).
  public var imageShape: ImageShape {
    switch self {
    case .fashionMNIST, .mnist: return ImageShape(channels: 1, height: 28, width: 28)
    case .cifar10, .cifar100: return CIFARReader.imageShape
    case .synthetic: return SyntheticDataset().imageShape
    }
  }

  /// Fixed normalisation constants when the recipe prescribes them (CIFAR,
  /// docs/algorithms.md, "Hyperparameters the paper used"); `nil` when they are computed from the training set.
  public var fixedNormalization: Normalization? {
    switch self {
    case .cifar10: return .cifar10
    case .cifar100: return .cifar100
    case .fashionMNIST, .mnist, .synthetic: return nil
    }
  }

  /// The normalisation to use with `trainingSet`: the fixed constants for CIFAR, otherwise the
  /// training set's own per-channel mean and standard deviation (``Dataset/channelStatistics()``;
  /// about 0.2860 / 0.3530 for Fashion-MNIST, 0.1307 / 0.3081 for MNIST).
  public func normalization(trainingSet: Dataset) -> Normalization {
    fixedNormalization ?? trainingSet.channelStatistics()
  }

  /// The names of the classes in label order, for reports; `count` numbered names (`"0"`, `"1"`,
  /// ...) where the dataset has no built-in names (CIFAR-100, synthetic) or another count.
  public func classNames(count: Int) -> [String] {
    let names: [String]
    switch self {
    case .fashionMNIST:
      names = [
        "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
      ]
    case .cifar10:
      names = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
    case .mnist, .cifar100, .synthetic:
      names = []
    }
    return names.count == count ? names : (0..<count).map(String.init)
  }

  /// One line for `--help`.
  public var summary: String {
    switch self {
    case .fashionMNIST: return "Fashion-MNIST, 10 classes of 1x28x28 (IDX files, .gz or plain)"
    case .mnist: return "MNIST, 10 classes of 1x28x28 (IDX files, .gz or plain)"
    case .cifar10: return "CIFAR-10, 10 classes of 3x32x32 (binary version)"
    case .cifar100: return "CIFAR-100, 100 classes of 3x32x32 (binary version, fine labels)"
    case .synthetic: return "generated 3x32x32 images of 10 classes (no files)"
    }
  }

  /// Loads the train and test splits from `directory` (``defaultDirectory`` when `nil`; ignored
  /// for `synthetic`).
  /// - Throws: ``DataError`` naming the missing or invalid file, or when the images do not have
  ///   this dataset's shape.
  public func load(directory: String? = nil) throws -> (train: Dataset, test: Dataset) {
    let splits: (train: Dataset, test: Dataset)
    let location = directory ?? defaultDirectory ?? ""
    switch self {
    case .fashionMNIST:
      splits = try IDXReader.loadTrainAndTest(
        directory: location, name: rawValue, classCount: classCount)
    case .mnist:
      splits = try IDXReader.loadTrainAndTest(
        directory: location, name: rawValue, classCount: classCount)
    case .cifar10:
      splits = try CIFARReader.loadCIFAR10(directory: location)
    case .cifar100:
      splits = try CIFARReader.loadCIFAR100(directory: location)
    case .synthetic:
      splits = try SyntheticDataset().makeSplits()
    }
    for split in [splits.train, splits.test] where split.imageShape != imageShape {
      throw DataError(
        path: location,
        "\(split.name) has \(split.imageShape) images, \(rawValue) expects \(imageShape)")
    }
    return splits
  }
}
