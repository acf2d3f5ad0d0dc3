/// The options of `grawa-train evaluate`, each declared once.
enum EvaluateOptions {
  static let json = Flag("json", help: "Print one JSON object (figures, per-class accuracy, confusion matrix).")

  /// Every option, in the order help lists them.
  static let all: [any OptionDeclaration] = ModelSourceOptions.all + [json]
}
