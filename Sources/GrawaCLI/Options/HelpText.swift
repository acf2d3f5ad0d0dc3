/// Formats a command's help from its declarations: one line per option with its placeholder, its
/// help, its choices and its default, all taken from the same declaration the parser reads.
func helpText(
  usage: String, abstract: String, options: [any OptionDeclaration], footer: String = ""
) -> String {
  var lines = [abstract, "", "USAGE: \(usage)", "", "OPTIONS:"]
  let labels = options.map(optionLabel)
  let width = (labels.map(\.count).max() ?? 0) + 2
  for (option, label) in zip(options, labels) {
    lines.append(
      "  " + label.padding(toLength: width, withPad: " ", startingAt: 0) + optionDescription(option)
    )
  }
  lines.append(
    "  " + "--help".padding(toLength: width, withPad: " ", startingAt: 0) + "Show this help.")
  if !footer.isEmpty { lines += ["", footer] }
  return lines.joined(separator: "\n")
}

/// `--name <PLACEHOLDER>`, with the short alias first when there is one (`-o, --output <FILE>`).
func optionLabel(_ option: any OptionDeclaration) -> String {
  var label = option.shortName.map { "-\($0), " } ?? ""
  label += option.flag
  if let placeholder = option.placeholder { label += " <\(placeholder)>" }
  return label
}

/// The help text with "(strategies: a, b; values: a, b; default: x)" as they apply, before its
/// final full stop.
func optionDescription(_ option: any OptionDeclaration) -> String {
  var notes: [String] = []
  if let strategies = option.strategies {
    notes.append("strategies: " + strategies.map(\.rawValue).joined(separator: ", "))
  }
  if let choices = option.choices { notes.append("values: " + choices.joined(separator: ", ")) }
  if let defaultText = option.defaultText { notes.append("default: " + defaultText) }
  guard !notes.isEmpty else { return option.help }
  let sentence = option.help.hasSuffix(".") ? String(option.help.dropLast()) : option.help
  return sentence + " (" + notes.joined(separator: "; ") + ")."
}
