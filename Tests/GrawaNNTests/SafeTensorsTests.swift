import Foundation
import GrawaNN
import GrawaTensor
import XCTest

final class SafeTensorsTests: XCTestCase {
  /// A file of `header` (JSON text) and `payload` bytes.
  private func file(_ header: String, _ payload: [UInt8]) -> Data {
    var data = Data()
    withUnsafeBytes(of: UInt64(header.utf8.count).littleEndian) { data.append(contentsOf: $0) }
    data.append(contentsOf: Array(header.utf8))
    data.append(contentsOf: payload)
    return data
  }

  func testEncoding_isTheDocumentedLayout() throws {
    var tensors = SafeTensors(metadata: ["format": "pt"])
    try tensors.add("b", shape: [2], values: [1, -2])
    try tensors.add("a", shape: [], values: [0.5])
    let data = try tensors.encoded()
    let headerLength = data.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
    XCTAssertEqual((8 + headerLength) % 8, 0, "the data starts 8-byte aligned")
    let header = String(decoding: data[8..<(8 + headerLength)], as: UTF8.self)
    XCTAssertEqual(
      header.trimmingCharacters(in: .whitespaces),
      #"{"__metadata__":{"format":"pt"},"a":{"data_offsets":[8,12],"dtype":"F32","shape":[]},"b":{"data_offsets":[0,8],"dtype":"F32","shape":[2]}}"#)
    // Stored in insertion order: b's two floats, then a's.
    XCTAssertEqual(
      [UInt8](data[(8 + headerLength)...]),
      [0x00, 0x00, 0x80, 0x3F, 0x00, 0x00, 0x00, 0xC0, 0x00, 0x00, 0x00, 0x3F])
  }

  func testDecoding_readsWhatPyTorchWrites() throws {
    // An F32 weight, an F64 and the I64 batch-norm counter PyTorch stores, in any key order.
    let header = #"{"n":{"dtype":"I64","shape":[],"data_offsets":[16,24]},"w":{"dtype":"F32","shape":[1,2],"data_offsets":[0,8]},"d":{"dtype":"F64","shape":[1],"data_offsets":[8,16]}}"#
    var payload: [UInt8] = []
    for value: Float in [3, 0.25] { withUnsafeBytes(of: value.bitPattern.littleEndian) { payload += $0 } }
    withUnsafeBytes(of: (-1.5 as Double).bitPattern.littleEndian) { payload += $0 }
    withUnsafeBytes(of: Int64(7).littleEndian) { payload += $0 }
    let tensors = try SafeTensors(decoding: file(header, payload))
    XCTAssertEqual(tensors.names, ["w", "d", "n"], "in storage order")
    XCTAssertEqual(tensors["w"], SafeTensors.Entry(shape: [1, 2], values: [3, 0.25]))
    XCTAssertEqual(tensors["d"], SafeTensors.Entry(shape: [1], values: [-1.5], dtype: "F64"))
    XCTAssertEqual(tensors["n"], SafeTensors.Entry(shape: [], values: [7], dtype: "I64"))
    XCTAssertEqual(tensors.metadata, [:])
  }

  func testDecoding_refusesInconsistentFiles() {
    let four = [UInt8](repeating: 0, count: 4)
    let cases: [(Data, String)] = [
      (Data([1, 2, 3]), "shorter than the 8-byte header length"),
      (file("{}", []).prefix(8) + Data([0x7B]), "exceeds"),
      (file("[1]", []), "not a JSON object"),
      (file(#"{"a":{"dtype":"BF16","shape":[2],"data_offsets":[0,4]}}"#, four), "dtype BF16 is not supported"),
      (file(#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}"#, four), "shape [2] of F32 needs 8"),
      (file(#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#, four + four), "cover 4 of the 8"),
      (file(#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#, four + four), "starts at byte 4, expected 0"),
      (file(#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#, four), "overlap"),
      (file(#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,8]}}"#, four), "out of range"),
      (file(#"{"a":{"dtype":"F32","shape":[1]}}"#, four), "needs dtype, shape and data_offsets"),
    ]
    for (data, expected) in cases {
      XCTAssertThrowsError(try SafeTensors(decoding: data), expected) { error in
        XCTAssertTrue("\(error)".contains(expected), "\(error) should say \(expected)")
      }
    }
  }

  func testModel_roundTripsThroughTheFile() throws {
    var first = RandomGenerator(seed: 1)
    let model = try CIFARResNet(depth: 8, inputChannels: 1, inputSize: 8, classes: 3, generator: &first)
    // Make the buffers non-trivial, as after training.
    for (index, entry) in model.namedBuffers.enumerated() {
      try entry.buffer.value.assign(entry.buffer.value.scalars.map { $0 + Float(index) * 0.5 })
    }
    let data = try model.safeTensors(metadata: ["model": "resnet8"]).encoded()
    var second = RandomGenerator(seed: 2)
    let copy = try CIFARResNet(depth: 8, inputChannels: 1, inputSize: 8, classes: 3, generator: &second)
    XCTAssertNotEqual(copy.namedParameters[0].parameter.value.scalars, model.namedParameters[0].parameter.value.scalars)
    let decoded = try SafeTensors(decoding: data)
    XCTAssertEqual(decoded.metadata, ["model": "resnet8"])
    XCTAssertEqual(decoded.names.first, "conv1.weight")
    XCTAssertTrue(decoded.names.contains("layer3.0.bn2.running_var"))
    try copy.load(decoded)
    for (a, b) in zip(model.namedParameters, copy.namedParameters) {
      XCTAssertEqual(a.parameter.value.scalars, b.parameter.value.scalars, a.name)
    }
    for (a, b) in zip(model.namedBuffers, copy.namedBuffers) {
      XCTAssertEqual(a.buffer.value.scalars, b.buffer.value.scalars, a.name)
    }
  }

  func testLoad_isAllOrNothingAndNamesTheProblems() throws {
    var generator = RandomGenerator(seed: 3)
    let model = Sequential([Linear(inputFeatures: 2, outputFeatures: 2, generator: &generator)])
    let before = model.namedParameters.map(\.parameter.value.scalars)
    var tensors = try model.safeTensors()
    try tensors.add("0.weight", shape: [2, 2], values: [9, 9, 9, 9])
    try tensors.add("bn.num_batches_tracked", shape: [], values: [100])
    var misshapen = tensors
    try misshapen.add("0.bias", shape: [1, 2], values: [7, 7])
    XCTAssertThrowsError(try model.load(misshapen)) { error in
      XCTAssertTrue("\(error)".contains("'0.bias' has shape [1, 2], the model's is [2]"), "\(error)")
    }
    var unexpected = tensors
    try unexpected.add("extra.weight", shape: [1], values: [1])
    XCTAssertThrowsError(try model.load(unexpected)) { error in
      XCTAssertTrue("\(error)".contains("unexpected 'extra.weight'"), "\(error)")
    }
    XCTAssertEqual(model.namedParameters.map(\.parameter.value.scalars), before, "nothing loaded from a bad set")
    var missing = SafeTensors()
    try missing.add("0.weight", shape: [2, 2], values: [1, 2, 3, 4])
    XCTAssertThrowsError(try model.load(missing)) { error in
      XCTAssertTrue("\(error)".contains("missing '0.bias'"), "\(error)")
    }
    try model.load(tensors)
    XCTAssertEqual(model.namedParameters[0].parameter.value.scalars, [9, 9, 9, 9])
  }
}
