/// The file formats `grawa-train export` writes.
enum ExportFormat: String, CaseIterable, Sendable, ChoiceOptionValue {
  /// Hugging Face's `safetensors`: named tensors PyTorch loads with `load_state_dict`.
  case safetensors
}

/// The options of `grawa-train export`, each declared once.
enum ExportOptions {
  static let format = Option<ExportFormat>(
    "format", "NAME", default: .safetensors, help: "File format.")
  static let output = Option<String?>(
    "output", "FILE", help: "The file to write.", shownAs: "RUN_DIR/center.safetensors (or worker-K...)",
    short: "o")
  static let quiet = Flag("quiet", help: "Print nothing on success.")

  /// Every option, in the order help lists them.
  static let all: [any OptionDeclaration] = [format, output] + ModelSourceOptions.all + [quiet]
}
