#if MPI
  /// A flat parameter vector as large as one of the paper's models.
  enum VectorSize: String, CaseIterable {
    /// ResNet-20 (option-A shortcuts), CIFAR-10: 269,722 parameters.
    case resnet20
    /// WRN-28-10, CIFAR-10: 36,479,194 parameters.
    case wrn28x10 = "wrn-28-10"

    /// The number of floats.
    var count: Int {
      switch self {
      case .resnet20:
        return 269_722
      case .wrn28x10:
        return 36_479_194
      }
    }

    /// Timed repeats when the command line does not say: enough for a stable median at the
    /// small size, few at the large one (each WRN-28-10 round moves hundreds of MB per rank).
    var defaultRepeats: Int {
      switch self {
      case .resnet20:
        return 21
      case .wrn28x10:
        return 5
      }
    }
  }
#endif
