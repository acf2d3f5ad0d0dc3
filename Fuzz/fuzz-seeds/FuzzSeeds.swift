// Writes the seed corpora of the fuzz targets: small valid files of each format, hand-made here
// (IDX, CIFAR) or written by CheckpointFile.write (checkpoints). Fuzz/make-seeds.sh runs it and
// adds the gzip-compressed copies; the output is committed under Fuzz/corpus/.
import Foundation
import GrawaDistributed
import GrawaOptim

/// The seed writer: `fuzz-seeds DIRECTORY` fills `DIRECTORY/{idx,cifar,checkpoint}`.
@main
enum FuzzSeeds {
  static func main() throws {
    guard CommandLine.arguments.count == 2 else {
      print("usage: fuzz-seeds DIRECTORY")
      exit(2)
    }
    let root = URL(fileURLWithPath: CommandLine.arguments[1])
    try writeIDX(to: root.appendingPathComponent("idx"))
    try writeCIFAR(to: root.appendingPathComponent("cifar"))
    try writeCheckpoints(to: root.appendingPathComponent("checkpoint"))
  }

  // MARK: - IDX

  /// Two 3x4 images and five labels (big-endian header: magic, then one size per dimension).
  static func writeIDX(to directory: URL) throws {
    let images = header(magic: 0x0000_0803, dimensions: [2, 3, 4]) + (0..<24).map { UInt8($0 * 10) }
    let labels = header(magic: 0x0000_0801, dimensions: [5]) + [0, 9, 3, 3, 7]
    try save(images, directory, "images-2x3x4.idx3")
    try save(labels, directory, "labels-5.idx1")
  }

  static func header(magic: UInt32, dimensions: [UInt32]) -> [UInt8] {
    ([magic] + dimensions).flatMap { value in
      (0..<4).reversed().map { UInt8(truncatingIfNeeded: value >> (8 * UInt32($0))) }
    }
  }

  // MARK: - CIFAR

  /// Two CIFAR-10 records (label byte + 3072 pixels) and one CIFAR-100 record (coarse and fine
  /// label bytes + 3072 pixels).
  static func writeCIFAR(to directory: URL) throws {
    func pixels(_ seed: Int) -> [UInt8] {
      (0..<3072).map { UInt8(truncatingIfNeeded: $0 * 7 + seed) }
    }
    try save([3] + pixels(0) + [9] + pixels(1), directory, "cifar10-2-records.bin")
    try save([19, 99] + pixels(2), directory, "cifar100-1-record.bin")
  }

  // MARK: - Checkpoints

  /// A one-worker and a two-worker checkpoint, each once with the harness's "fix the CRC" mode
  /// byte (0) and once with "bytes as they are" (1) in front.
  static func writeCheckpoints(to directory: URL) throws {
    let worker0 = WorkerSnapshot(
      worker: 0, parameters: [1.5, -0.0, .nan, .infinity], buffers: [0.25],
      optimizer: OptimizerState(stepCount: 3, buffers: [[0.5, 1, 2, 3], nil]),
      strategyState: [1, 2], dropoutRandomState: [7, 8], probeRandomState: [9],
      epoch: 1, batchInEpoch: 2, steps: 3, syncs: 1, windowLossSum: 0.75, windowWrong: 1,
      windowCount: 4, localSeconds: 0.5, distributedSeconds: 0.25, waitSeconds: 0)
    var worker1 = worker0
    worker1.worker = 1
    worker1.optimizer = OptimizerState(stepCount: 0, buffers: [nil, nil])
    let configuration = JSONValue.object([
      "strategy": .string("easgd"), "workers": .integer(2), "learningRate": .number(0.1),
      "milestones": .array([.integer(10), .unsigned(UInt64.max), .null, .bool(true)]),
    ])
    let states = [
      ("1-worker", [worker0], JSONValue.null),
      ("2-workers", [worker0, worker1], configuration),
    ]
    for (name, workers, configuration) in states {
      let state = RunState(
        configuration: configuration, boundary: 3, centerSyncs: 1, centerState: [4, 5, 6],
        trainingSeconds: 1.5, wallSeconds: 2.5, evaluations: 1, workers: workers)
      let url = directory.appendingPathComponent("\(name).grawa")
      try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
      try CheckpointFile.write(state, to: url)
      let bytes = [UInt8](try Data(contentsOf: url))
      try FileManager.default.removeItem(at: url)
      try save([0] + bytes, directory, "\(name)-fix-crc")
      try save([1] + bytes, directory, "\(name)-as-is")
    }
  }

  static func save(_ bytes: [UInt8], _ directory: URL, _ name: String) throws {
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    try Data(bytes).write(to: directory.appendingPathComponent(name))
  }
}
