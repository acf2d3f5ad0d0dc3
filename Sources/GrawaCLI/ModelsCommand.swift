import Foundation
import GrawaExperiments
import GrawaNN
import GrawaTensor

/// `grawa-train models`: every model of ``ModelKind`` with its parameter and parameter-tensor
/// counts for a given input shape and class count, as a table or, with `--json`, a JSON array.
///
/// Each model is built (parameters allocated and initialised, no forward pass) and released
/// before the next, so the peak memory is that of the largest model.
enum ModelsCommand: Command {
  static let name = "models"
  static let abstract = "List the models with their parameter and parameter-tensor counts."

  static var options: [any OptionDeclaration] { ModelsOptions.all }

  static let usage = "grawa-train models [--input-channels N] [--input-size N] [--classes N] [--json]"

  static let footer = """
    A "tensor" is one parameter tensor (a convolution weight, a batch-norm gamma, ...): the
    unit LGRAWA weights separately. A model that cannot take the given input (for example
    PyramidNet with a size that is not a multiple of 4) is listed with the reason.
    """

  /// One row of the listing, as `--json` prints it.
  struct Entry: Codable, Equatable {
    /// The `--model` name.
    var model: String
    /// The number of trainable scalars, absent when the model cannot be built.
    var parameters: Int?
    /// The number of parameter tensors, absent when the model cannot be built.
    var parameterTensors: Int?
    /// One line describing the architecture.
    var summary: String
    /// Why the model cannot be built for these arguments, if it cannot.
    var error: String?
  }

  static func run(_ arguments: [String]) throws {
    let parsed = try parse(arguments)
    guard parsed.positional.isEmpty else {
      throw CLIError.usage("unexpected argument '\(parsed.positional[0])'")
    }
    let inputChannels = try parsed[ModelsOptions.inputChannels]
    let inputSize = try parsed[ModelsOptions.inputSize]
    let classes = try parsed[ModelsOptions.classes]
    let entries = ModelKind.allCases.map {
      entry(for: $0, inputChannels: inputChannels, inputSize: inputSize, classes: classes)
    }
    if try parsed[ModelsOptions.json] {
      let encoder = JSONEncoder()
      encoder.outputFormatting = [.sortedKeys]
      let data = try encoder.encode(entries)
      say(String(decoding: data, as: UTF8.self))
    } else {
      say("models for \(inputChannels)x\(inputSize)x\(inputSize) inputs, \(classes) classes:")
      say(table(entries))
    }
  }

  /// Builds `kind` and counts its parameters, or records why it cannot be built.
  static func entry(for kind: ModelKind, inputChannels: Int, inputSize: Int, classes: Int) -> Entry
  {
    // The counts do not depend on the values, so any seed will do.
    var generator = RandomGenerator(seed: 0)
    do {
      let model = try kind.make(
        inputChannels: inputChannels, inputSize: inputSize, classes: classes, generator: &generator)
      return Entry(
        model: kind.rawValue, parameters: model.parameterCount,
        parameterTensors: model.namedParameters.count,
        summary: kind.summary, error: nil)
    } catch {
      return Entry(
        model: kind.rawValue, parameters: nil, parameterTensors: nil, summary: kind.summary,
        error: "\(error)")
    }
  }

  /// The entries as aligned text columns.
  static func table(_ entries: [Entry]) -> String {
    let nameWidth = max(5, entries.map(\.model.count).max() ?? 0)
    let header = "model".padding(toLength: nameWidth, withPad: " ", startingAt: 0)
    var lines = ["  \(header)  \(pad("parameters", 12))  \(pad("tensors", 8))   description"]
    for entry in entries {
      let name = entry.model.padding(toLength: nameWidth, withPad: " ", startingAt: 0)
      if let parameters = entry.parameters, let tensors = entry.parameterTensors {
        lines.append(
          "  \(name)  \(pad(grouped(parameters), 12))  \(pad(tensors, 8))   \(entry.summary)")
      } else {
        lines.append(
          "  \(name)  \(pad("-", 12))  \(pad("-", 8))   unavailable: \(entry.error ?? "unknown error")"
        )
      }
    }
    return lines.joined(separator: "\n")
  }

  /// `value` with comma thousands separators (`269,722`), independent of the locale.
  static func grouped(_ value: Int) -> String {
    let digits = String(value.magnitude)
    var result = ""
    for (index, digit) in digits.enumerated() {
      if index > 0, (digits.count - index) % 3 == 0 { result.append(",") }
      result.append(digit)
    }
    return value < 0 ? "-" + result : result
  }
}
