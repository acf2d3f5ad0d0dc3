import Foundation
import GrawaData
@testable import GrawaDistributed
import GrawaNN
import GrawaOptim
import GrawaExperiments
import XCTest
import _TestSupport

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// The checkpoint file format (docs/checkpoint-format.md): a bit-exact round trip, atomic
/// writes, and a clear error for every kind of damaged or foreign file.
final class CheckpointFileTests: XCTestCase {
  private var directory = URL(fileURLWithPath: "/nonexistent")

  override func setUpWithError() throws {
    directory = try makeTemporaryDirectory("CheckpointFileTests")
  }

  // MARK: - Round trip and layout

  func testRoundTrip_twoWorkers_isBitExactFieldByField() throws {
    let state = makeState()
    let url = directory.appendingPathComponent("run.ckpt")
    try CheckpointFile.write(state, to: url)
    let read = try CheckpointFile.read(from: url)
    assertBitwiseEqual(read, state)
    // The states hold NaNs, so `==` is false even for a perfect copy; with the NaNs replaced by
    // numbers on both sides the synthesised `==` must agree field for field.
    XCTAssertEqual(withoutNaNs(read), withoutNaNs(state))
  }

  func testVersion1File_stillReads_asAStateWithoutRows() throws {
    let state = makeState()
    let url = directory.appendingPathComponent("old.ckpt")
    try CheckpointFile.write(state, to: url, version: 1)
    let bytes = try [UInt8](Data(contentsOf: url))
    XCTAssertEqual(littleEndian(bytes, at: 8, size: 4), 1)
    XCTAssertFalse(String(decoding: bytes, as: UTF8.self).contains("metrics.rows"))
    let read = try CheckpointFile.read(from: url)
    XCTAssertEqual(read.rows, [])
    var expected = state
    expected.rows = []
    assertBitwiseEqual(read, expected)
  }

  func testRows_moreThanTheEvaluations_areRejected() throws {
    var state = makeState()
    state.evaluations = 1
    let url = directory.appendingPathComponent("rows.ckpt")
    try CheckpointFile.write(state, to: url)
    assertReadFails(url, message: "implausible metrics rows: more than the header's 1 evaluations")
  }

  func testRoundTrip_emptyStateWithoutWorkers() throws {
    let state = RunState(
      configuration: .null, boundary: 0, centerSyncs: 0, centerState: [],
      trainingSeconds: 0, wallSeconds: 0, evaluations: 0, workers: [])
    let url = directory.appendingPathComponent("empty.ckpt")
    try CheckpointFile.write(state, to: url)
    XCTAssertEqual(try CheckpointFile.read(from: url), state)
  }

  func testWrite_followsTheDocumentedLayout() throws {
    let state = makeState()
    let url = directory.appendingPathComponent("layout.ckpt")
    try CheckpointFile.write(state, to: url)
    let bytes = try [UInt8](Data(contentsOf: url))

    XCTAssertEqual(Array(bytes[0..<8]), Array("GRAWACKP".utf8))
    XCTAssertEqual(CheckpointFile.magic, Array("GRAWACKP".utf8))
    XCTAssertEqual(littleEndian(bytes, at: 8, size: 4), 2)
    let headerLength = Int(littleEndian(bytes, at: 12, size: 8))
    let header = try XCTUnwrap(String(bytes: bytes[20..<(20 + headerLength)], encoding: .utf8))
    XCTAssertTrue(header.hasPrefix("{"))
    XCTAssertTrue(header.contains("\"worker0.parameters\""))
    // windowLossSum is a NaN with a payload: stored as its bit pattern.
    XCTAssertTrue(header.contains("\"windowLossSumBits\" : \"7ff80000deadbeef\""), header)

    // The first section, worker 0's parameters, starts right after the header.
    let firstSection = 20 + headerLength
    for (index, value) in state.workers[0].parameters.enumerated() {
      let bits = littleEndian(bytes, at: firstSection + 4 * index, size: 4)
      XCTAssertEqual(bits, UInt64(value.bitPattern), "parameter \(index)")
    }
    // The last sections are the center state and the metrics rows (as metrics.jsonl's lines),
    // just before the CRC.
    let rows = state.rows.map { String(decoding: try! RunJSON.encoder(pretty: false).encode($0), as: UTF8.self) + "\n" }
    let rowBytes = Array(rows.joined().utf8)
    XCTAssertEqual(Array(bytes[(bytes.count - 4 - rowBytes.count)..<(bytes.count - 4)]), rowBytes)
    XCTAssertTrue(String(decoding: rowBytes, as: UTF8.self).contains("\"trainLoss\":\"nan\""))
    let center = state.centerState
    let centerEnd = bytes.count - 4 - rowBytes.count
    XCTAssertEqual(Array(bytes[(centerEnd - center.count)..<centerEnd]), center)
    // The trailer is the standard CRC-32 of everything before it.
    let stored = littleEndian(bytes, at: bytes.count - 4, size: 4)
    XCTAssertEqual(stored, UInt64(referenceCRC32(bytes.dropLast(4))))

    // Writing the same state again gives the same bytes.
    let again = directory.appendingPathComponent("again.ckpt")
    try CheckpointFile.write(state, to: again)
    XCTAssertEqual(try [UInt8](Data(contentsOf: again)), bytes)
  }

  func testReferenceCRC32_matchesTheStandardCheckValue() {
    // The check value of CRC-32 (ISO-HDLC, as zlib computes it) over "123456789".
    XCTAssertEqual(referenceCRC32(Array("123456789".utf8)), 0xCBF4_3926)
  }

  // MARK: - Atomic writes

  func testWrite_overwritesAnExistingCheckpointAndLeavesNoTemporaryFiles() throws {
    let url = directory.appendingPathComponent("run.ckpt")
    var first = makeState()
    first.boundary = 1
    try CheckpointFile.write(first, to: url)
    var second = makeState()
    second.boundary = 2
    second.workers[1].parameters = [7, 8, 9, 10, 11, 12, 13]
    try CheckpointFile.write(second, to: url)

    let read = try CheckpointFile.read(from: url)
    XCTAssertEqual(read.boundary, 2)
    XCTAssertEqual(read.workers[1].parameters, [7, 8, 9, 10, 11, 12, 13])
    XCTAssertEqual(try directoryListing(), ["run.ckpt"])
  }

  func testWrite_failingHalfwayLeavesTheExistingCheckpointIntact() throws {
    let url = directory.appendingPathComponent("run.ckpt")
    let original = makeState()
    try CheckpointFile.write(original, to: url)
    let before = try Data(contentsOf: url)

    // A state far bigger than the file-size limit set below, so write(2) fails part way
    // (EFBIG) after the temporary file has grown.
    var big = makeState()
    big.workers[0].parameters = [Float](repeating: 1.5, count: 1 << 20)
    let limit = rlim_t(before.count + 64 * 1024)
    let previousHandler = signal(SIGXFSZ, SIG_IGN)
    var saved = rlimit()
    XCTAssertEqual(getrlimit(resourceFileSize, &saved), 0)
    var lowered = saved
    lowered.rlim_cur = limit
    XCTAssertEqual(setrlimit(resourceFileSize, &lowered), 0)
    defer {
      _ = setrlimit(resourceFileSize, &saved)
      _ = signal(SIGXFSZ, previousHandler)
    }

    XCTAssertThrowsError(try CheckpointFile.write(big, to: url)) { error in
      let error = error as? CheckpointError
      XCTAssertEqual(error?.path, url.path)
      XCTAssertTrue(
        error?.message.contains("cannot write") ?? false, "\(String(describing: error))")
    }
    _ = setrlimit(resourceFileSize, &saved)

    XCTAssertEqual(try Data(contentsOf: url), before, "the old checkpoint is untouched")
    XCTAssertEqual(try directoryListing(), ["run.ckpt"], "the temporary file is removed")
    assertBitwiseEqual(try CheckpointFile.read(from: url), original)
  }

  func testWrite_aConfigurationThatWouldNotReadBackIsRejectedBeforeTouchingTheFile() throws {
    let url = directory.appendingPathComponent("run.ckpt")
    try CheckpointFile.write(makeState(), to: url)
    let before = try Data(contentsOf: url)
    var state = makeState()
    var configuration = try TrainingConfiguration(of: state, path: url.path)
    configuration.epochs = .nan
    state.configuration = try JSONValue(encoding: configuration)

    XCTAssertThrowsError(try CheckpointFile.write(state, to: url)) { error in
      XCTAssertEqual(
        error as? CheckpointError,
        CheckpointError(
          path: url.path,
          message: "cannot write the checkpoint: the configuration does not read back equal "
            + "(a NaN setting?)"))
    }
    XCTAssertEqual(try Data(contentsOf: url), before)
    XCTAssertEqual(try directoryListing(), ["run.ckpt"])
  }

  func testWrite_renameOntoADirectoryFailsAndRemovesTheTemporaryFile() throws {
    let url = directory.appendingPathComponent("occupied")
    try FileManager.default.createDirectory(
      at: url.appendingPathComponent("inside"), withIntermediateDirectories: true)
    XCTAssertThrowsError(try CheckpointFile.write(makeState(), to: url)) { error in
      let error = error as? CheckpointError
      XCTAssertEqual(error?.path, url.path)
      XCTAssertTrue(
        error?.message.contains("cannot rename") ?? false, "\(String(describing: error))")
    }
    XCTAssertEqual(try directoryListing(), ["occupied"])
  }

  func testWrite_intoAMissingDirectory_namesTheCheckpoint() throws {
    let url = directory.appendingPathComponent("missing/run.ckpt")
    XCTAssertThrowsError(try CheckpointFile.write(makeState(), to: url)) { error in
      let error = error as? CheckpointError
      XCTAssertEqual(error?.path, url.path)
      XCTAssertTrue(
        error?.message.hasPrefix("cannot create the temporary file ") ?? false,
        "\(String(describing: error))")
    }
  }

  // MARK: - Rejections, in the order read(from:) checks

  func testRead_missingFileOrDirectory() throws {
    let missing = directory.appendingPathComponent("missing.ckpt")
    assertReadFails(missing, message: "cannot read the checkpoint: no such file")
    assertReadFails(directory, message: "cannot read the checkpoint: it is a directory")
  }

  func testRead_tooShort() throws {
    let valid = try validFile()
    for length in [0, 10, 23] {
      assertRejects(
        Array(valid.prefix(length)),
        message: "too short to be a checkpoint: \(length) bytes, the smallest checkpoint has 24")
    }
  }

  func testRead_badMagic() throws {
    var bytes = try validFile()
    bytes[0] ^= 0xFF
    assertRejects(
      bytes, message: "not a swift-grawa checkpoint (it does not start with \"GRAWACKP\")")
  }

  func testRead_unsupportedVersion() throws {
    var bytes = try validFile()
    bytes.replaceSubrange(8..<12, with: [99, 0, 0, 0])
    assertRejects(
      withFixedChecksum(bytes),
      message: "unsupported checkpoint format version 99; this build reads versions 1 to 2")
  }

  func testRead_truncatedAtSeveralOffsets() throws {
    let bytes = try validFile()
    let headerLength = Int(littleEndian(bytes, at: 12, size: 8))
    let headerEnd = 20 + headerLength
    // Inside the header, and just short of its end: the header length alone says too much.
    for cut in [30, headerEnd - 1, headerEnd + 3] {
      assertRejects(
        Array(bytes.prefix(cut)),
        message: "truncated: the header length says the file has at least \(headerEnd + 4) bytes, "
          + "but it has \(cut)")
    }
    // Inside worker 0's parameters (the first section), inside a later section, without the
    // CRC, and inside the CRC: the section table says how long the file should be.
    let parameterCount = makeState().workers[0].parameters.count
    let rowBytes = try CheckpointFile.encodeRows(makeState().rows, path: "").count
    let rowsStart = bytes.count - 4 - rowBytes
    let cases: [(cut: Int, section: String, count: Int, type: String)] = [
      (headerEnd + 5, "worker0.parameters", parameterCount, "float32"),
      (rowsStart - 40, "worker1.dropoutRandomState", 4, "uint64"),
      (rowsStart - 1, "center.state", makeState().centerState.count, "uint8"),
      (rowsStart + 10, "metrics.rows", rowBytes, "uint8"),
      (bytes.count - 4, "metrics.rows", rowBytes, "uint8"),
      (bytes.count - 1, "metrics.rows", rowBytes, "uint8"),
    ]
    for (cut, section, count, type) in cases {
      assertRejects(
        Array(bytes.prefix(cut)),
        message: "truncated: section '\(section)' (\(count) x \(type)) runs past the end of the "
          + "file; expected \(bytes.count) bytes, the file has \(cut)")
    }
  }

  func testRead_flippedByte_isCorrupted() throws {
    let bytes = try validFile()
    let headerEnd = 20 + Int(littleEndian(bytes, at: 12, size: 8))
    let stored = UInt32(littleEndian(bytes, at: bytes.count - 4, size: 4))
    // A payload byte, a header byte (the JSON stays valid: a space becomes a tab), the CRC.
    let headerSpace = try XCTUnwrap(bytes[20..<headerEnd].firstIndex(of: UInt8(ascii: " ")))
    for (index, mask) in [(headerEnd + 10, 0x01), (headerSpace, 0x29), (bytes.count - 2, 0x80)] {
      var damaged = bytes
      damaged[index] ^= UInt8(mask)
      let computed = referenceCRC32(damaged.dropLast(4))
      let storedNow = UInt32(littleEndian(damaged, at: damaged.count - 4, size: 4))
      XCTAssertTrue(storedNow == stored || index >= bytes.count - 4)
      assertRejects(
        damaged,
        message: "corrupted: CRC-32 mismatch (stored \(hex(storedNow)), computed \(hex(computed)))")
    }
  }

  func testRead_malformedHeaderJSON() throws {
    let bytes = try validFile()
    // Each edit keeps the CRC right, so the header itself is what is reported.
    assertRejects(
      try editingHeader(bytes) { _ in "not json" }, messagePrefix: "malformed header JSON: ")
    assertRejects(
      try editingHeader(bytes) {
        $0.replacingOccurrences(of: "\"configuration\"", with: "\"config\"")
      },
      message: "malformed header JSON: missing key 'configuration'")
    assertRejects(
      try editingHeader(bytes) {
        $0.replacingOccurrences(of: "\"windowWrong\"", with: "\"wrong\"")
      },
      message: "malformed header JSON: workers.0: missing key 'windowWrong'")
    assertRejects(
      try editingHeader(bytes) {
        try replacing(
          #""wallSecondsBits" : "[0-9a-f]+""#, in: $0, with: #""wallSecondsBits" : "0x12""#)
      },
      messagePrefix: "malformed header JSON: ",
      containing:
        "wallSecondsBits: expected the 16 hex digits of a Double's bit pattern, got \"0x12\"")
    // A header length one short cuts off the closing brace.
    var short = bytes
    let headerLength = littleEndian(bytes, at: 12, size: 8)
    short.replaceSubrange(12..<20, with: littleEndianBytes(headerLength - 1, size: 8))
    assertRejects(withFixedChecksum(short), messagePrefix: "malformed header JSON: ")
    // Without the CRC fixed, the damage is reported as corruption first.
    var unfixed = try editingHeader(bytes) { _ in "not json" }
    unfixed.replaceSubrange((unfixed.count - 4)..., with: bytes.suffix(4))
    assertRejects(unfixed, messagePrefix: "corrupted: CRC-32 mismatch")
  }

  func testRead_hugeLengthsAreRejectedCleanly() throws {
    let bytes = try validFile()
    let parametersCount = #"("count" : )\d+(,\s*"name" : "worker0\.parameters")"#
    // Counts whose byte size overflows Int, overflows UInt64, or is merely far too large: each
    // is caught before any allocation, in a header with a correct CRC.
    let cases: [(count: String, expected: String)] = [
      ("18446744073709551615", "more than 18446744073709551615"),
      ("4611686018427387904", "more than 18446744073709551615"),
      ("9223372036854775807", "more than 18446744073709551615"),
    ]
    for (count, expected) in cases {
      let hostile = try editingHeader(bytes) {
        try replacing(parametersCount, in: $0, with: "$1\(count)$2")
      }
      assertRejects(
        hostile,
        message: "truncated: section 'worker0.parameters' (\(count) x float32) runs past the end "
          + "of the file; expected \(expected) bytes, the file has \(hostile.count)")
    }
    let large = try editingHeader(bytes) {
      try replacing(parametersCount, in: $0, with: "$11000000000000$2")
    }
    assertRejects(
      large, messagePrefix: "truncated: section 'worker0.parameters' (1000000000000 x float32)",
      containing: "the file has \(large.count)")
    // A header length near UInt64.max.
    var hugeHeader = bytes
    hugeHeader.replaceSubrange(12..<20, with: [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF])
    assertRejects(
      withFixedChecksum(hugeHeader),
      message: "truncated: the header length says the file has more than 18446744073709551615 "
        + "bytes, but it has \(bytes.count)")
  }

  /// Issue 16, bug 7: `"evaluations": -1` with the CRC recomputed used to read back, and the
  /// resume then trapped in `RunLog.init(keepingRows: -1)`. Every counter is now range-checked
  /// by the reader and the first bad one named by its JSON path.
  func testRead_implausibleHeaderCountersAreRejected() throws {
    let bytes = try validFile()
    let limit = "0...1099511627776"
    // (pattern, replacement, message); makeState() gives each edited value a unique spelling.
    let cases: [(String, String, String)] = [
      (#"("evaluations" : )4"#, "$1-1", "'evaluations' is -1, expected \(limit)"),
      (#"("boundary" : )100"#, "$1-3", "'boundary' is -3, expected \(limit)"),
      (
        #"("centerSyncs" : )12"#, "$11099511627777",
        "'centerSyncs' is 1099511627777, expected \(limit)"
      ),
      (#"("worker" : )1"#, "$1-1", "'workers.1.worker' is -1, expected \(limit)"),
      (#"("epoch" : )3"#, "$1-1", "'workers.0.epoch' is -1, expected \(limit)"),
      (#"("batchInEpoch" : )11"#, "$1-2", "'workers.0.batchInEpoch' is -2, expected \(limit)"),
      (#"("steps" : )399"#, "$1-3", "'workers.1.steps' is -3, expected \(limit)"),
      (
        #"("syncs" : )12"#, "$1-9223372036854775808",
        "'workers.0.syncs' is -9223372036854775808, expected \(limit)"
      ),
      (#"("windowCount" : )96"#, "$1-96", "'workers.0.windowCount' is -96, expected \(limit)"),
      (
        #"("optimizerStepCount" : )17"#, "$19223372036854775807",
        "'workers.0.optimizerStepCount' is 9223372036854775807, expected \(limit)"
      ),
      (
        #"("windowWrong" : )5"#, "$197",
        "'workers.0.windowWrong' is 97, more than the 96 samples of 'workers.0.windowCount'"
      ),
    ]
    for (pattern, replacement, message) in cases {
      assertRejects(
        try editingHeader(bytes) { try replacing(pattern, in: $0, with: replacement) },
        message: "implausible header: " + message)
    }
    // The bound itself is allowed.
    let largest = try editingHeader(bytes) {
      try replacing(#"("evaluations" : )4"#, in: $0, with: "$11099511627776")
    }
    let url = damagedFile(largest)
    XCTAssertEqual(try CheckpointFile.read(from: url).evaluations, 1 << 40)
  }

  func testRead_sectionTableInconsistentWithTheHeader() throws {
    let bytes = try validFile()
    let mismatch = "section table does not match the header: "
    // Renamed, same size.
    assertRejects(
      try editingHeader(bytes) {
        $0.replacingOccurrences(of: "worker1.parameters", with: "worker1.weights")
      },
      message: mismatch + "section 7 is 'worker1.weights' (float32), the header needs "
        + "'worker1.parameters' (float32) there")
    // Another element type (its size shrinks, but the table is checked first).
    assertRejects(
      try editingHeader(bytes) {
        try replacing(
          #"("name" : "worker0\.parameters",\s*"type" : )"float32""#, in: $0, with: #"$1"uint8""#)
      },
      message: mismatch + "section 0 is 'worker0.parameters' (uint8), the header needs "
        + "'worker0.parameters' (float32) there")
    // An unknown element type.
    assertRejects(
      try editingHeader(bytes) {
        try replacing(
          #"("name" : "center\.state",\s*"type" : )"uint8""#, in: $0, with: #"$1"float16""#)
      },
      message: mismatch + "section 'center.state' has unknown element type 'float16'")
    // The header says worker 1's first optimizer buffer exists, the table has no section for it.
    assertRejects(
      try editingHeader(bytes) {
        try replacing(#"("optimizerBufferExists" : \[\s*)false"#, in: $0, with: "$1true")
      },
      message: mismatch + "section 9 is 'worker1.strategyState' (uint8), the header needs "
        + "'worker1.optimizer.buffer0' (float32) there")
    // The last section missing from the table (its bytes then lie between sections and CRC).
    let rowsEntry =
      #",\s*\{\s*"count" : \d+,\s*"name" : "metrics\.rows",\s*"type" : "uint8"\s*\}"#
    assertRejects(
      try editingHeader(bytes) { try replacing(rowsEntry, in: $0, with: "") },
      message: mismatch + "it has 13 sections, the header also needs 'metrics.rows' (uint8)")
    // An empty extra section the header knows nothing of.
    assertRejects(
      try editingHeader(bytes) {
        try replacing(
          rowsEntry, in: $0, with: #"$0, {"count": 0, "name": "extra", "type": "uint8"}"#)
      },
      message: mismatch + "section 14 'extra' belongs to nothing the header describes")
    // A count one short: every section is where the header says, but bytes are left over.
    let rowBytes = try CheckpointFile.encodeRows(makeState().rows, path: "").count
    let shortened = try editingHeader(bytes) {
      try replacing(
        #"("count" : )\#(rowBytes)(,\s*"name" : "metrics\.rows")"#, in: $0, with: "$1\(rowBytes - 1)$2")
    }
    let end = shortened.count - 5
    assertRejects(
      shortened,
      message: "section table does not match the file: the sections end at byte \(end), but the "
        + "CRC-32 starts at byte \(end + 1)")
  }

  // MARK: - Using a checkpoint

  func testCheckCompatible_rejectsAnotherModelDatasetStrategyOrWorkerCount() throws {
    let state = makeState()
    let path = "/runs/a/checkpoint.grawa"
    let saved = try TrainingConfiguration(of: state, path: path)
    var same = saved
    same.epochs = 30
    same.optimizer.learningRate = 0.05
    XCTAssertNoThrow(try CheckpointFile.checkCompatible(state, with: same, path: path))

    var model = saved
    model.model = .resnet56
    var dataset = saved
    dataset.dataset = .cifar10
    var strategy = saved
    strategy.strategy = .easgd
    var workers = saved
    workers.workers = 4
    let cases: [(TrainingConfiguration, String)] = [
      (model, "checkpoint is for model resnet20, this run is resnet56"),
      (dataset, "checkpoint is for dataset fashion-mnist, this run is cifar10"),
      (strategy, "checkpoint is for strategy lgrawa, this run is easgd"),
      (workers, "checkpoint is for 2 workers, this run has 4"),
    ]
    for (configuration, message) in cases {
      XCTAssertThrowsError(
        try CheckpointFile.checkCompatible(state, with: configuration, path: path)
      ) {
        XCTAssertEqual($0 as? CheckpointError, CheckpointError(path: path, message: message))
        XCTAssertEqual("\($0)", "\(path): \(message)")
      }
    }
  }

  func testValidate_rejectsWrongCounts() throws {
    let state = makeState()
    let path = "/runs/a/checkpoint.grawa"
    XCTAssertNoThrow(
      try CheckpointFile.validate(state, workers: 2, parameterCount: 7, bufferCount: 2, path: path))

    var relabelled = state
    relabelled.workers[1].worker = 5
    var shortBuffers = state
    shortBuffers.workers[1].buffers = [1]
    let cases: [(RunState, Int, Int, Int, String)] = [
      (state, 2, 8, 2, "worker 0 has 7 parameter values, the model has 8"),
      (state, 2, 7, 3, "worker 0 has 2 buffer values, the model has 3"),
      (shortBuffers, 2, 7, 2, "worker 1 has 1 buffer values, the model has 2"),
      (state, 3, 7, 2, "checkpoint has 2 worker states, but the run has 3 workers"),
      (relabelled, 2, 7, 2, "worker state 1 belongs to worker 5"),
    ]
    for (candidate, workers, parameterCount, bufferCount, message) in cases {
      XCTAssertThrowsError(
        try CheckpointFile.validate(
          candidate, workers: workers, parameterCount: parameterCount, bufferCount: bufferCount, path: path)
      ) {
        XCTAssertEqual($0 as? CheckpointError, CheckpointError(path: path, message: message))
      }
    }
  }

  func testCheckpointError_describesPathAndMessage() {
    let error = CheckpointError(path: "/x/run.ckpt", message: "corrupted")
    XCTAssertEqual(error.description, "/x/run.ckpt: corrupted")
  }

  // MARK: - Fixtures

  /// Two workers with every kind of value a checkpoint must carry exactly: NaNs with payloads,
  /// -0.0, infinities, subnormals, nil and non-nil optimizer buffers, binary blobs.
  private func makeState() -> RunState {
    var configuration = TrainingConfiguration()
    configuration.strategy = .lgrawa
    configuration.strategySettings = StrategyKind.lgrawa.defaultSettings
    configuration.strategySettings.normMomentum = 0.1 + 0.2
    configuration.workers = 2
    configuration.syncMode = .asynchronous
    configuration.model = .resnet20
    configuration.dataset = .fashionMNIST
    configuration.dataDirectory = "/data/fashion-mnist"
    configuration.batchSize = 96
    configuration.optimizer.learningRate = 1.0 / 3.0
    configuration.schedule = .stepDecay(factor: 0.1, milestones: [500, 1234.5678], clock: .seconds)
    configuration.epochs = 1.0 / 3.0
    configuration.minutes = 1e-300
    configuration.checkpointMinutes = 2.5
    configuration.evaluateEvery = 0.7
    configuration.seed = UInt64.max - 6
    configuration.trainLimit = 1000

    let signallingNaN = Float(bitPattern: 0x7FA0_0001)
    let negativeNaN = Float(bitPattern: 0xFFC0_1234)
    let worker0 = WorkerSnapshot(
      worker: 0,
      parameters: [
        1.5, -0.0, .nan, signallingNaN, .infinity, -.greatestFiniteMagnitude,
        .leastNonzeroMagnitude,
      ],
      buffers: [0.25, negativeNaN],
      optimizer: OptimizerState(stepCount: 17, buffers: [[0.5, -0.0], nil, [negativeNaN]]),
      strategyState: [0, 255, 1, 2, 3, 0x62, 0x70],
      dropoutRandomState: [UInt64.max, 0, 0x0123_4567_89AB_CDEF, 42],
      probeRandomState: [1, 2, 3, 4],
      epoch: 3, batchInEpoch: 11, steps: 400, syncs: 12,
      windowLossSum: Double(bitPattern: 0x7FF8_0000_DEAD_BEEF), windowWrong: 5, windowCount: 96,
      localSeconds: -0.0, distributedSeconds: 12.345678901234567, waitSeconds: 3.25)
    let worker1 = WorkerSnapshot(
      worker: 1,
      parameters: [-1, 2, -3, 4, Float.ulpOfOne, -.infinity, Float(bitPattern: 0x8000_0001)],
      buffers: [0, 1],
      optimizer: OptimizerState(stepCount: 0, buffers: [nil, nil, nil]),
      strategyState: [],
      dropoutRandomState: [9, 8, 7, 6],
      probeRandomState: [UInt64(1) << 63, 5],
      epoch: 2, batchInEpoch: 0, steps: 399, syncs: 12,
      windowLossSum: .infinity, windowWrong: 0, windowCount: 0,
      localSeconds: .leastNonzeroMagnitude, distributedSeconds: 1e308, waitSeconds: -.infinity)
    return RunState(
      configuration: try! JSONValue(encoding: configuration), boundary: 100, centerSyncs: 12,
      centerState: [0x62, 0x70, 0x6C, 0x69, 0x73],
      trainingSeconds: 123.456, wallSeconds: -.nan, evaluations: 4, workers: [worker0, worker1],
      rows: [
        MetricsRow(
          seconds: 1.5, trainingSeconds: 1.25, epoch: 0.5, step: 50, syncs: 6, learningRate: 1.0 / 3.0,
          trainLoss: .nan, trainError: nil, testLoss: .infinity, testError: 0.875,
          strategyMetrics: [StrategyMetric("weights", .vector([0.25, 0.75]))]),
        MetricsRow(
          seconds: 3, trainingSeconds: 2.5, epoch: 1, step: 100, syncs: 12, learningRate: 1.0 / 3.0,
          trainLoss: 2.25, trainError: 0.5, testLoss: 2.125, testError: 0.625, weightedTestLoss: 2,
          weightedTestError: 0.5, localSeconds: 2, distributedSeconds: 0.25, waitSeconds: 0.125),
      ])
  }

  /// The bytes of a checkpoint of ``makeState()``, also written to `valid.ckpt`.
  private func validFile() throws -> [UInt8] {
    let url = directory.appendingPathComponent("valid.ckpt")
    try CheckpointFile.write(makeState(), to: url)
    return try [UInt8](Data(contentsOf: url))
  }

  // MARK: - Comparing states bit for bit

  private func assertBitwiseEqual(
    _ actual: RunState, _ expected: RunState, file: StaticString = #filePath, line: UInt = #line
  ) {
    XCTAssertEqual(actual.configuration, expected.configuration, file: file, line: line)
    XCTAssertEqual(actual.boundary, expected.boundary, file: file, line: line)
    XCTAssertEqual(actual.centerSyncs, expected.centerSyncs, file: file, line: line)
    XCTAssertEqual(actual.centerState, expected.centerState, file: file, line: line)
    XCTAssertEqual(
      actual.trainingSeconds.bitPattern, expected.trainingSeconds.bitPattern, file: file, line: line
    )
    XCTAssertEqual(
      actual.wallSeconds.bitPattern, expected.wallSeconds.bitPattern, file: file, line: line)
    XCTAssertEqual(actual.evaluations, expected.evaluations, file: file, line: line)
    let encoder = RunJSON.encoder(pretty: false)
    XCTAssertEqual(
      try actual.rows.map { try encoder.encode($0) }, try expected.rows.map { try encoder.encode($0) }, file: file,
      line: line)
    XCTAssertEqual(actual.workers.count, expected.workers.count, file: file, line: line)
    for (a, e) in zip(actual.workers, expected.workers) {
      let worker = "worker \(e.worker)"
      XCTAssertEqual(a.worker, e.worker, worker, file: file, line: line)
      XCTAssertEqual(bits(a.parameters), bits(e.parameters), worker, file: file, line: line)
      XCTAssertEqual(bits(a.buffers), bits(e.buffers), worker, file: file, line: line)
      XCTAssertEqual(a.optimizer.stepCount, e.optimizer.stepCount, worker, file: file, line: line)
      XCTAssertEqual(
        a.optimizer.buffers.map { $0.map(bits) }, e.optimizer.buffers.map { $0.map(bits) }, worker,
        file: file, line: line)
      XCTAssertEqual(a.strategyState, e.strategyState, worker, file: file, line: line)
      XCTAssertEqual(a.dropoutRandomState, e.dropoutRandomState, worker, file: file, line: line)
      XCTAssertEqual(a.probeRandomState, e.probeRandomState, worker, file: file, line: line)
      XCTAssertEqual(a.epoch, e.epoch, worker, file: file, line: line)
      XCTAssertEqual(a.batchInEpoch, e.batchInEpoch, worker, file: file, line: line)
      XCTAssertEqual(a.steps, e.steps, worker, file: file, line: line)
      XCTAssertEqual(a.syncs, e.syncs, worker, file: file, line: line)
      XCTAssertEqual(
        a.windowLossSum.bitPattern, e.windowLossSum.bitPattern, worker, file: file, line: line)
      XCTAssertEqual(a.windowWrong, e.windowWrong, worker, file: file, line: line)
      XCTAssertEqual(a.windowCount, e.windowCount, worker, file: file, line: line)
      XCTAssertEqual(
        a.localSeconds.bitPattern, e.localSeconds.bitPattern, worker, file: file, line: line)
      XCTAssertEqual(
        a.distributedSeconds.bitPattern, e.distributedSeconds.bitPattern, worker, file: file,
        line: line)
      XCTAssertEqual(a.waitSeconds.bitPattern, e.waitSeconds.bitPattern, worker, file: file, line: line)
    }
  }

  private func bits(_ values: [Float]) -> [UInt32] {
    values.map(\.bitPattern)
  }

  /// `state` with every NaN replaced by a marker number, so `==` can compare the rest.
  private func withoutNaNs(_ state: RunState) -> RunState {
    func clean(_ values: [Float]) -> [Float] { values.map { $0.isNaN ? 12345 : $0 } }
    func clean(_ value: Double) -> Double { value.isNaN ? 12345 : value }
    var copy = state
    copy.wallSeconds = clean(copy.wallSeconds)
    copy.trainingSeconds = clean(copy.trainingSeconds)
    for index in copy.rows.indices {
      copy.rows[index].trainLoss = copy.rows[index].trainLoss.map(clean)
    }
    for index in copy.workers.indices {
      copy.workers[index].parameters = clean(copy.workers[index].parameters)
      copy.workers[index].buffers = clean(copy.workers[index].buffers)
      copy.workers[index].optimizer.buffers = copy.workers[index].optimizer.buffers.map {
        $0.map { clean($0) }
      }
      copy.workers[index].windowLossSum = clean(copy.workers[index].windowLossSum)
    }
    return copy
  }

  // MARK: - Reading damaged files

  private func assertReadFails(
    _ url: URL, message: String, file: StaticString = #filePath, line: UInt = #line
  ) {
    XCTAssertThrowsError(try CheckpointFile.read(from: url), file: file, line: line) { error in
      XCTAssertEqual(
        error as? CheckpointError, CheckpointError(path: url.path, message: message),
        file: file, line: line)
      XCTAssertEqual("\(error)", "\(url.path): \(message)", file: file, line: line)
    }
  }

  /// Writes `bytes` to a file and checks that reading it fails with exactly `message`.
  private func assertRejects(
    _ bytes: [UInt8], message: String, file: StaticString = #filePath, line: UInt = #line
  ) {
    let url = damagedFile(bytes)
    assertReadFails(url, message: message, file: file, line: line)
  }

  /// Writes `bytes` to a file and checks that reading it fails with a message that starts with
  /// `prefix` and contains `fragment`.
  private func assertRejects(
    _ bytes: [UInt8], messagePrefix prefix: String, containing fragment: String = "",
    file: StaticString = #filePath, line: UInt = #line
  ) {
    let url = damagedFile(bytes)
    XCTAssertThrowsError(try CheckpointFile.read(from: url), file: file, line: line) { error in
      guard let error = error as? CheckpointError else {
        return XCTFail("not a CheckpointError: \(error)", file: file, line: line)
      }
      XCTAssertEqual(error.path, url.path, file: file, line: line)
      XCTAssertTrue(error.message.hasPrefix(prefix), error.message, file: file, line: line)
      if !fragment.isEmpty {
        XCTAssertTrue(error.message.contains(fragment), error.message, file: file, line: line)
      }
    }
  }

  private func damagedFile(_ bytes: [UInt8]) -> URL {
    let url = directory.appendingPathComponent("damaged-\(UUID().uuidString).ckpt")
    XCTAssertTrue(FileManager.default.createFile(atPath: url.path, contents: Data(bytes)))
    return url
  }

  /// `bytes` with the header text replaced by `edit(header)`, the header length updated and the
  /// CRC recomputed: a well-formed file around a changed header.
  private func editingHeader(
    _ bytes: [UInt8], _ edit: (String) throws -> String
  ) throws -> [UInt8] {
    let headerLength = Int(littleEndian(bytes, at: 12, size: 8))
    let header = try XCTUnwrap(String(bytes: bytes[20..<(20 + headerLength)], encoding: .utf8))
    let edited = Array(try edit(header).utf8)
    XCTAssertNotEqual(edited, Array(header.utf8), "the edit changed nothing")
    var result = Array(bytes[0..<12])
    result += littleEndianBytes(UInt64(edited.count), size: 8)
    result += edited
    result += bytes[(20 + headerLength)..<(bytes.count - 4)]
    return withFixedChecksum(result + [0, 0, 0, 0])
  }

  /// `bytes` with its last 4 bytes replaced by the CRC-32 of the rest.
  private func withFixedChecksum(_ bytes: [UInt8]) -> [UInt8] {
    var result = bytes
    let crc = referenceCRC32(bytes.dropLast(4))
    result.replaceSubrange((bytes.count - 4)..., with: littleEndianBytes(UInt64(crc), size: 4))
    return result
  }

  private func directoryListing() throws -> [String] {
    try FileManager.default.contentsOfDirectory(atPath: directory.path)
      .filter { !$0.hasPrefix("damaged-") }
      .sorted()
  }
}

// MARK: - Byte helpers

private func littleEndian(_ bytes: [UInt8], at offset: Int, size: Int) -> UInt64 {
  var value: UInt64 = 0
  for index in (0..<size).reversed() {
    value = value << 8 | UInt64(bytes[offset + index])
  }
  return value
}

private func littleEndianBytes(_ value: UInt64, size: Int) -> [UInt8] {
  (0..<size).map { UInt8(truncatingIfNeeded: value >> (8 * UInt64($0))) }
}

private func hex(_ value: UInt32) -> String {
  let digits = String(value, radix: 16)
  return "0x" + String(repeating: "0", count: 8 - digits.count) + digits
}

/// CRC-32 (ISO-HDLC: reflected polynomial 0xEDB88320, initial and final XOR 0xFFFFFFFF), bit by
/// bit: an independent reference for the zlib CRC the format uses.
private func referenceCRC32<Bytes: Sequence<UInt8>>(_ bytes: Bytes) -> UInt32 {
  var crc: UInt32 = 0xFFFF_FFFF
  for byte in bytes {
    crc ^= UInt32(byte)
    for _ in 0..<8 {
      crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1
    }
  }
  return ~crc
}

/// `text` with every match of the regular expression `pattern` replaced by `template` (`$0`,
/// `$1`, ... name the match and its groups); fails if nothing matches.
private func replacing(_ pattern: String, in text: String, with template: String) throws -> String {
  let expression = try NSRegularExpression(pattern: pattern)
  let range = NSRange(text.startIndex..., in: text)
  XCTAssertGreaterThan(
    expression.numberOfMatches(in: text, range: range), 0, "no match for \(pattern)")
  return expression.stringByReplacingMatches(in: text, range: range, withTemplate: template)
}

#if canImport(Glibc)
  private let resourceFileSize = Int32(RLIMIT_FSIZE.rawValue)
#else
  private let resourceFileSize = RLIMIT_FSIZE
#endif
