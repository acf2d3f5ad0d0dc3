/// The options of `grawa-train plot`, each declared once.
enum PlotOptions {
  static let output = Option<String>(
    "output", "FILE", default: "chart.svg", help: "The SVG file to write.", short: "o")
  static let title = Option<String?>(
    "title", "TEXT", help: "A title above the charts.", shownAs: "dataset, model and workers from config.json")

  /// Every option, in the order help lists them.
  static let all: [any OptionDeclaration] = [output, title]
}
