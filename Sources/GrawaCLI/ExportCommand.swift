import Foundation
import GrawaDistributed
import GrawaExperiments

/// `grawa-train export`: a run's center (or a worker) as a file another framework loads.
enum ExportCommand: Command {
  static let name = "export"
  static let abstract = "Write a run's center model as safetensors, loadable by PyTorch."

  static var options: [any OptionDeclaration] { ExportOptions.all }

  static let usage = "grawa-train export RUN_DIR [--format safetensors] [-o FILE] [--worker K]"

  static let footer = """
    Forms the model as `evaluate` does and writes every parameter and batch-norm buffer under
    its dotted name (conv1.weight, layer1.0.bn1.running_mean, ...): the names and shapes of the
    matching PyTorch module's state_dict, so

      model.load_state_dict(safetensors.torch.load_file("center.safetensors"))

    loads it. The header's metadata names the model, input shape, classes and the evaluation
    transform (center crop, normalisation). Examples/scripts/load-in-pytorch.py builds the
    PyTorch model, loads the file and measures its test accuracy. The file is written
    atomically: a failed export leaves no file and an existing one untouched.
    """

  static func run(_ arguments: [String]) throws {
    let parsed = try parse(arguments)
    if let path = try parsed[ExportOptions.output], path.isEmpty {
      throw CLIError.usage("'--output' is empty: give a file (an unset shell variable?)")
    }
    let run = try ModelSourceOptions.openRun(parsed)
    let choice = try ModelSourceOptions.choice(parsed)
    let defaultName: String
    switch choice {
    case .center: defaultName = "center.safetensors"
    case .worker(let index): defaultName = "worker-\(index).safetensors"
    }
    let url = try parsed[ExportOptions.output].map { URL(fileURLWithPath: $0) }
      ?? run.directory.appendingPathComponent(defaultName)
    switch try parsed[ExportOptions.format] {
    case .safetensors:
      do {
        try run.exportSafeTensors(choice, to: url)
      } catch {
        throw CLIError.failure("\(error)")
      }
    }
    if !(try parsed[ExportOptions.quiet]) {
      let size = ((try? FileManager.default.attributesOfItem(atPath: url.path)[.size]) as? Int) ?? 0
      say(
        "wrote \(url.path): the \(choice) of \(run.directory.path) (\(run.configuration.model.rawValue), "
          + "\(run.trainer.parameterCount) parameters, step \(run.state.boundary)), \(size) bytes")
    }
  }
}
