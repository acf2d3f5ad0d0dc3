import GrawaTensor

extension Layer {
  /// The layer's state as named tensors, like PyTorch's `state_dict()`: every parameter, then
  /// every buffer (batch norm's `running_mean`, `running_var`), under its dotted name.
  ///
  /// For the built-in models the names and shapes are those of the matching PyTorch definition,
  /// so `model.load_state_dict(safetensors.torch.load_file(path))` loads the file (PyTorch fills
  /// in batch norm's `num_batches_tracked`, which has no counterpart here).
  /// - Parameter metadata: strings for the header's `__metadata__`.
  public func safeTensors(metadata: [String: String] = [:]) throws -> SafeTensors {
    var tensors = SafeTensors(metadata: metadata)
    for (name, parameter) in namedParameters {
      try tensors.add(name, shape: parameter.shape, values: parameter.value.scalars)
    }
    for (name, buffer) in namedBuffers {
      try tensors.add(name, shape: buffer.value.shape, values: buffer.value.scalars)
    }
    return tensors
  }

  /// Loads every parameter and buffer from `tensors` by name, like PyTorch's strict
  /// `load_state_dict`: nothing changes unless every name is present with the right shape and
  /// `tensors` holds nothing else (apart from names `ignoring` accepts).
  /// - Parameter ignoring: names that may be present without a counterpart; by default PyTorch's
  ///   batch-norm counters (`*.num_batches_tracked`).
  /// - Throws: ``SafeTensorsError`` listing the missing, misshapen or unexpected tensors.
  public func load(
    _ tensors: SafeTensors, ignoring: (String) -> Bool = { $0.hasSuffix(".num_batches_tracked") }
  ) throws {
    let targets: [(name: String, shape: [Int], assign: ([Float]) throws -> Void)] =
      namedParameters.map { entry in (entry.name, entry.parameter.shape, { try entry.parameter.value.assign($0) }) }
      + namedBuffers.map { entry in (entry.name, entry.buffer.value.shape, { try entry.buffer.value.assign($0) }) }
    var problems: [String] = []
    let missing = targets.filter { tensors[$0.name] == nil }.map(\.name)
    if !missing.isEmpty { problems.append("missing \(Self.list(missing))") }
    for target in targets {
      if let entry = tensors[target.name], entry.shape != target.shape {
        problems.append("'\(target.name)' has shape \(entry.shape), the model's is \(target.shape)")
      }
    }
    let known = Set(targets.map(\.name))
    let unexpected = tensors.names.filter { !known.contains($0) && !ignoring($0) }
    if !unexpected.isEmpty { problems.append("unexpected \(Self.list(unexpected))") }
    guard problems.isEmpty else {
      throw SafeTensorsError("the tensors do not fit the model: " + problems.joined(separator: "; "))
    }
    for target in targets {
      try target.assign(tensors[target.name]!.values)
    }
  }

  /// The first few of `names`, quoted, with a count of the rest.
  private static func list(_ names: [String]) -> String {
    let shown = names.prefix(5).map { "'\($0)'" }.joined(separator: ", ")
    return names.count > 5 ? "\(shown) and \(names.count - 5) more" : shown
  }
}
