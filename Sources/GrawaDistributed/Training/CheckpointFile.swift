import CZlib
import Foundation
import GrawaOptim

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// The checkpoint file format: a ``RunState`` as one versioned, self-checking binary file.
///
/// Version 2 layout; every integer is little-endian (docs/checkpoint-format.md has the details,
/// the version policy and how to inspect a file):
///
/// | offset     | size | field                                                              |
/// |------------|------|--------------------------------------------------------------------|
/// | 0          | 8    | magic, ASCII `GRAWACKP` (``magic``)                                |
/// | 8          | 4    | format version, `UInt32` (``formatVersion``)                       |
/// | 12         | 8    | header length `H`, `UInt64`                                        |
/// | 20         | H    | header: UTF-8 JSON (configuration, scalars, section table)         |
/// | 20 + H     | ...  | sections, back to back in table order, no padding                  |
/// | size - 4   | 4    | CRC-32 (zlib's `crc32`) of every byte before it, `UInt32`          |
///
/// The last section, `metrics.rows`, holds the metrics rows so far as JSON lines; version 1,
/// still read, lacks it.
///
/// Sections hold raw bit patterns (`float32`, `uint64` or `uint8` elements), so a round trip is
/// bit-exact: NaN payloads and -0.0 survive. The header stores the run's `Double` scalars as bit
/// patterns too, for the same reason.
///
/// ``write(_:to:)`` writes a temporary file in the target's directory and renames it over the
/// target, so a failed write never corrupts an existing checkpoint. ``read(from:)`` checks the
/// file before it allocates anything a length in the file asks for.
public enum CheckpointFile {
  /// The 8 bytes every checkpoint starts with: ASCII `GRAWACKP`.
  public static let magic: [UInt8] = Array("GRAWACKP".utf8)

  /// The layout version this build writes. Any change to the byte layout, the header's fields or
  /// the section list bumps it. Version 2 added the `metrics.rows` section.
  public static let formatVersion: UInt32 = 2
  /// The versions this build reads: version 1 files (no `metrics.rows`) give a state without rows.
  public static let readableVersions: ClosedRange<UInt32> = 1...2

  /// Bytes before the header: magic (8), version (4), header length (8).
  static let prefixSize = 20
  /// Bytes of the trailing CRC-32.
  static let checksumSize = 4

  // MARK: - Writing

  /// Writes `state` to `url`, atomically: the bytes go to a temporary file in the same
  /// directory, which is flushed to disk and then renamed over `url`.
  /// - Parameters:
  ///   - state: the run state to save.
  ///   - url: the checkpoint file; its directory must exist.
  /// - Throws: ``CheckpointError`` naming `url` when the header cannot be encoded (a
  ///   configuration that would not read back equal) or a file operation fails; an existing
  ///   file at `url` is then left as it was.
  public static func write(_ state: RunState, to url: URL) throws {
    try write(state, to: url, version: formatVersion)
  }

  /// Writes `state` in layout `version` (one of ``readableVersions``; version 1 drops the rows),
  /// so tests can make the files older builds wrote.
  static func write(_ state: RunState, to url: URL, version: UInt32) throws {
    let path = url.path
    let formatVersion = version
    let sections = try makeSections(for: state, version: version, path: path)
    let header = try encodeHeader(for: state, sections: sections, path: path)

    var prefix = magic
    withUnsafeBytes(of: formatVersion.littleEndian) { prefix.append(contentsOf: $0) }
    withUnsafeBytes(of: UInt64(header.count).littleEndian) { prefix.append(contentsOf: $0) }

    var file = try AtomicFileWriter(target: url)
    do {
      try prefix.withUnsafeBytes { try file.append($0) }
      try header.withUnsafeBytes { try file.append($0) }
      for section in sections {
        try file.append(section.payload)
      }
      let checksum = file.checksum
      try withUnsafeBytes(of: checksum.littleEndian) { try file.append($0) }
      try file.commit()
    } catch {
      file.discard()
      throw error
    }
  }

  /// The sections of `state`, in the order the file holds them (and ``read(from:)`` expects).
  static func makeSections(for state: RunState, version: UInt32, path: String) throws -> [Section] {
    var sections: [Section] = []
    for (index, worker) in state.workers.enumerated() {
      let prefix = "worker\(index)"
      sections.append(Section(name: "\(prefix).parameters", payload: .float32(worker.parameters)))
      sections.append(Section(name: "\(prefix).buffers", payload: .float32(worker.buffers)))
      for (entry, buffer) in worker.optimizer.buffers.enumerated() {
        guard let buffer else { continue }
        sections.append(
          Section(name: "\(prefix).optimizer.buffer\(entry)", payload: .float32(buffer)))
      }
      sections.append(
        Section(name: "\(prefix).strategyState", payload: .uint8(worker.strategyState)))
      sections.append(
        Section(name: "\(prefix).dropoutRandomState", payload: .uint64(worker.dropoutRandomState)))
      sections.append(
        Section(name: "\(prefix).probeRandomState", payload: .uint64(worker.probeRandomState)))
    }
    sections.append(Section(name: "center.state", payload: .uint8(state.centerState)))
    if version >= 2 {
      sections.append(Section(name: rowsSectionName, payload: .uint8(try encodeRows(state.rows, path: path))))
    }
    return sections
  }

  /// The header JSON of `state`, checked to decode back to the same configuration (a setting
  /// that would not survive is an error now rather than when the run resumes).
  static func encodeHeader(
    for state: RunState, sections: [Section], path: String
  ) throws -> Data {
    let workers = state.workers.map { worker in
      WorkerHeader(
        worker: worker.worker, epoch: worker.epoch, batchInEpoch: worker.batchInEpoch,
        steps: worker.steps, syncs: worker.syncs,
        windowLossSumBits: DoubleBits(worker.windowLossSum), windowWrong: worker.windowWrong,
        windowCount: worker.windowCount, localSecondsBits: DoubleBits(worker.localSeconds),
        distributedSecondsBits: DoubleBits(worker.distributedSeconds),
        waitSecondsBits: DoubleBits(worker.waitSeconds),
        optimizerStepCount: worker.optimizer.stepCount,
        optimizerBufferExists: worker.optimizer.buffers.map { $0 != nil })
    }
    let header = Header(
      configuration: state.configuration, boundary: state.boundary,
      centerSyncs: state.centerSyncs, evaluations: state.evaluations,
      trainingSecondsBits: DoubleBits(state.trainingSeconds),
      wallSecondsBits: DoubleBits(state.wallSeconds), workers: workers,
      sections: sections.map {
        SectionEntry(name: $0.name, type: $0.payload.type.rawValue, count: UInt64($0.payload.count))
      })
    let data: Data
    let decoded: Header
    do {
      data = try makeEncoder().encode(header)
      decoded = try makeDecoder().decode(Header.self, from: data)
    } catch {
      throw CheckpointError(
        path: path, message: "cannot encode the checkpoint header (\(describe(error)))")
    }
    guard decoded.configuration == state.configuration else {
      throw CheckpointError(
        path: path,
        message: "cannot write the checkpoint: the configuration does not read back equal "
          + "(a NaN setting?)")
    }
    return data
  }

  // MARK: - Reading

  /// Reads the run state saved in `url`, checking the file on the way.
  ///
  /// The checks run in this order, and the first that fails is reported: the file exists and
  /// is readable; it is at least as long as the fixed fields; the magic; the format version;
  /// the header and every section fit in the file (truncation); the CRC-32 (corruption); the
  /// header JSON decodes; every counter in it is plausible (``checkCounters(of:path:)``); the
  /// section table matches the header and fills the file exactly.
  /// Every length read from the file is checked against the file's size, without overflow,
  /// before anything is allocated for it.
  /// - Parameter url: the checkpoint file.
  /// - Returns: the saved state, bit for bit.
  /// - Throws: ``CheckpointError`` naming `url` and the first problem found.
  public static func read(from url: URL) throws -> RunState {
    let path = url.path
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
      throw CheckpointError(path: path, message: "cannot read the checkpoint: no such file")
    }
    guard !isDirectory.boolValue else {
      throw CheckpointError(path: path, message: "cannot read the checkpoint: it is a directory")
    }
    let data: Data
    do {
      // Mapped, so a large checkpoint is not held twice (file bytes plus the arrays built).
      data = try Data(contentsOf: url, options: .alwaysMapped)
    } catch {
      throw CheckpointError(
        path: path, message: "cannot read the checkpoint (\(error.localizedDescription))")
    }
    return try data.withUnsafeBytes { try parse($0, path: path) }
  }

  /// Checks and decodes the bytes of a checkpoint file; see ``read(from:)``. The bytes-level
  /// entry point, `package` so the fuzz target `Fuzz/fuzz-checkpoint` can call it without a file.
  /// - Parameters:
  ///   - bytes: the whole file, CRC-32 included.
  ///   - path: the name errors give the file.
  /// - Returns: the saved state, bit for bit.
  /// - Throws: ``CheckpointError`` naming `path` and the first problem found.
  package static func parse(_ bytes: UnsafeRawBufferPointer, path: String) throws -> RunState {
    func failure(_ message: String) -> CheckpointError {
      CheckpointError(path: path, message: message)
    }
    let size = bytes.count
    let minimumSize = prefixSize + checksumSize
    guard size >= minimumSize else {
      throw failure(
        "too short to be a checkpoint: \(size) bytes, the smallest checkpoint has \(minimumSize)")
    }
    guard bytes.prefix(magic.count).elementsEqual(magic) else {
      throw failure("not a swift-grawa checkpoint (it does not start with \"GRAWACKP\")")
    }
    let version = UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 8, as: UInt32.self))
    guard readableVersions.contains(version) else {
      throw failure(
        "unsupported checkpoint format version \(version); this build reads versions "
          + "\(readableVersions.lowerBound) to \(readableVersions.upperBound)")
    }
    let headerLength = UInt64(
      littleEndian: bytes.loadUnaligned(fromByteOffset: 12, as: UInt64.self))
    // Compared as UInt64: a hostile length need not fit in an Int.
    guard headerLength <= UInt64(size - minimumSize) else {
      let (needed, overflow) = headerLength.addingReportingOverflow(UInt64(minimumSize))
      let expected = overflow ? "more than \(UInt64.max)" : "at least \(needed)"
      throw failure(
        "truncated: the header length says the file has \(expected) bytes, but it has \(size)")
    }
    let headerEnd = prefixSize + Int(headerLength)
    let headerBytes = Data(bytes[prefixSize..<headerEnd])
    let checksumOffset = size - checksumSize

    // The section table alone first, so a cut-off file is reported as truncated rather than
    // as corrupted. A header too damaged to give the table is left to the CRC check.
    if let table = try? makeDecoder().decode(SectionTable.self, from: headerBytes),
      table.sections.allSatisfy({ ElementType(rawValue: $0.type) != nil })
    {
      _ = try placements(
        of: table.sections, start: headerEnd, end: checksumOffset, fileSize: size, path: path)
    }

    let stored = UInt32(
      littleEndian: bytes.loadUnaligned(fromByteOffset: checksumOffset, as: UInt32.self))
    let computed = checksum(UnsafeRawBufferPointer(rebasing: bytes[0..<checksumOffset]))
    guard stored == computed else {
      throw failure(
        "corrupted: CRC-32 mismatch (stored \(hex(stored)), computed \(hex(computed)))")
    }

    let header: Header
    do {
      header = try makeDecoder().decode(Header.self, from: headerBytes)
    } catch {
      throw failure("malformed header JSON: \(describe(error))")
    }
    try checkCounters(of: header, path: path)
    for entry in header.sections where ElementType(rawValue: entry.type) == nil {
      throw failure(
        "section table does not match the header: section '\(entry.name)' has unknown element "
          + "type '\(entry.type)'")
    }
    let layout = try placements(
      of: header.sections, start: headerEnd, end: checksumOffset, fileSize: size, path: path)
    var reader = SectionReader(
      bytes: bytes, table: header.sections, placements: layout, path: path)
    let state = try assemble(header, version: version, from: &reader)
    guard reader.index == header.sections.count else {
      let extra = header.sections[reader.index]
      throw failure(
        "section table does not match the header: section \(reader.index) '\(extra.name)' "
          + "belongs to nothing the header describes")
    }
    let sectionsEnd = layout.last.map { $0.offset + $0.byteCount } ?? headerEnd
    guard sectionsEnd == checksumOffset else {
      throw failure(
        "section table does not match the file: the sections end at byte \(sectionsEnd), but "
          + "the CRC-32 starts at byte \(checksumOffset)")
    }
    return state
  }

  /// The largest value a header counter may hold: 2^40 (about 1.1 x 10^12), far more steps,
  /// syncs, evaluations or samples than any run reaches, and small enough that the engine's and
  /// the run files' arithmetic on a counter (adding a row, multiplying by a batch size) cannot
  /// overflow.
  static let maximumCounter = 1 << 40

  /// Checks that every counter of `header` is in `0...maximumCounter`, and that no worker has
  /// more misclassified samples than samples, so a hostile header (with its CRC recomputed)
  /// cannot make whoever resumes from it trap on a negative or overflowing count.
  /// - Throws: ``CheckpointError`` naming the first implausible field, as the JSON path
  ///   (`workers.1.steps`), and its value.
  static func checkCounters(of header: Header, path: String) throws {
    func check(_ value: Int, _ field: String) throws {
      guard value >= 0, value <= maximumCounter else {
        throw CheckpointError(
          path: path,
          message: "implausible header: '\(field)' is \(value), expected 0...\(maximumCounter)")
      }
    }
    try check(header.boundary, "boundary")
    try check(header.centerSyncs, "centerSyncs")
    try check(header.evaluations, "evaluations")
    for (index, worker) in header.workers.enumerated() {
      let prefix = "workers.\(index)."
      try check(worker.worker, prefix + "worker")
      try check(worker.epoch, prefix + "epoch")
      try check(worker.batchInEpoch, prefix + "batchInEpoch")
      try check(worker.steps, prefix + "steps")
      try check(worker.syncs, prefix + "syncs")
      try check(worker.windowWrong, prefix + "windowWrong")
      try check(worker.windowCount, prefix + "windowCount")
      try check(worker.optimizerStepCount, prefix + "optimizerStepCount")
      guard worker.windowWrong <= worker.windowCount else {
        throw CheckpointError(
          path: path,
          message: "implausible header: '\(prefix)windowWrong' is \(worker.windowWrong), more "
            + "than the \(worker.windowCount) samples of '\(prefix)windowCount'")
      }
    }
  }

  /// Where each section of `table` lies, sections back to back from `start`; every count is
  /// checked, without overflow, to keep its section before `end` (the CRC-32). Stops at the
  /// first section of unknown type (the caller checks types).
  /// - Throws: ``CheckpointError`` "truncated", naming the first section past the end and the
  ///   file size all the sections need.
  static func placements(
    of table: [SectionEntry], start: Int, end: Int, fileSize: Int, path: String
  ) throws -> [Placement] {
    var result: [Placement] = []
    var offset = start
    for (index, entry) in table.enumerated() {
      guard let type = ElementType(rawValue: entry.type) else { return result }
      let fits: Placement? = {
        guard let count = Int(exactly: entry.count) else { return nil }
        let (byteCount, overflow) = count.multipliedReportingOverflow(by: type.size)
        guard !overflow, byteCount <= end - offset else { return nil }
        return Placement(offset: offset, count: count, byteCount: byteCount)
      }()
      guard let placement = fits else {
        let expected = requiredSize(of: table[index...], after: offset)
        throw CheckpointError(
          path: path,
          message: "truncated: section '\(entry.name)' (\(entry.count) x \(entry.type)) runs "
            + "past the end of the file; expected \(expected) bytes, the file has \(fileSize)")
      }
      result.append(placement)
      offset += placement.byteCount
    }
    return result
  }

  /// The file size, as text, that the sections of `rest` placed from `offset` on need (it may
  /// exceed every integer type).
  static func requiredSize(of rest: ArraySlice<SectionEntry>, after offset: Int) -> String {
    var total = UInt64(offset) + UInt64(checksumSize)
    for entry in rest {
      let size = UInt64(ElementType(rawValue: entry.type)?.size ?? 1)
      let (bytes, overflow) = entry.count.multipliedReportingOverflow(by: size)
      let (sum, overflowSum) = total.addingReportingOverflow(bytes)
      guard !overflow, !overflowSum else { return "more than \(UInt64.max)" }
      total = sum
    }
    return "\(total)"
  }

  /// The run state from a decoded header and its sections, each section checked to be the one
  /// the header calls for next.
  static func assemble(
    _ header: Header, version: UInt32, from reader: inout SectionReader
  ) throws -> RunState {
    var workers: [WorkerSnapshot] = []
    for (index, worker) in header.workers.enumerated() {
      let prefix = "worker\(index)"
      let parameters = try reader.floats("\(prefix).parameters")
      let buffers = try reader.floats("\(prefix).buffers")
      var optimizerBuffers: [[Float]?] = []
      for (entry, exists) in worker.optimizerBufferExists.enumerated() {
        // A `nil` buffer (not created yet) has no section.
        let buffer = exists ? try reader.floats("\(prefix).optimizer.buffer\(entry)") : nil
        optimizerBuffers.append(buffer)
      }
      let optimizer = OptimizerState(
        stepCount: worker.optimizerStepCount, buffers: optimizerBuffers)
      let strategyState = try reader.bytes("\(prefix).strategyState")
      let dropoutRandomState = try reader.words("\(prefix).dropoutRandomState")
      let probeRandomState = try reader.words("\(prefix).probeRandomState")
      workers.append(
        WorkerSnapshot(
          worker: worker.worker, parameters: parameters, buffers: buffers,
          optimizer: optimizer,
          strategyState: strategyState, dropoutRandomState: dropoutRandomState,
          probeRandomState: probeRandomState, epoch: worker.epoch,
          batchInEpoch: worker.batchInEpoch, steps: worker.steps, syncs: worker.syncs,
          windowLossSum: worker.windowLossSumBits.value, windowWrong: worker.windowWrong,
          windowCount: worker.windowCount, localSeconds: worker.localSecondsBits.value,
          distributedSeconds: worker.distributedSecondsBits.value,
          waitSeconds: worker.waitSecondsBits.value))
    }
    let centerState = try reader.bytes("center.state")
    var rows: [MetricsRow] = []
    if version >= 2 {
      rows = try decodeRows(try reader.bytes(rowsSectionName), evaluations: header.evaluations, path: reader.path)
    }
    return RunState(
      configuration: header.configuration, boundary: header.boundary,
      centerSyncs: header.centerSyncs, centerState: centerState,
      trainingSeconds: header.trainingSecondsBits.value,
      wallSeconds: header.wallSecondsBits.value, evaluations: header.evaluations,
      workers: workers, rows: rows)
  }

  // MARK: - Helpers

  /// zlib's CRC-32 of `bytes`, continuing from `initial` (0 to start).
  static func checksum(_ bytes: UnsafeRawBufferPointer, continuing initial: UInt32 = 0) -> UInt32 {
    guard let base = bytes.baseAddress else { return initial }
    var value = uLong(initial)
    var start = 0
    // zlib takes a 32-bit length.
    let chunk = 1 << 30
    while start < bytes.count {
      let length = min(chunk, bytes.count - start)
      let pointer = (base + start).assumingMemoryBound(to: Bytef.self)
      value = crc32(value, pointer, uInt(length))
      start += length
    }
    return UInt32(truncatingIfNeeded: value)
  }

  static func hex(_ value: UInt32) -> String {
    let digits = String(value, radix: 16)
    return "0x" + String(repeating: "0", count: max(0, 8 - digits.count)) + digits
  }

  static func makeEncoder() -> JSONEncoder {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    // Only a configuration value could be non-finite here (the run's scalars are bit patterns).
    encoder.nonConformingFloatEncodingStrategy = .convertToString(
      positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
    return encoder
  }

  static func makeDecoder() -> JSONDecoder { RunJSON.decoder() }

  /// A decoding error as "where: what".
  static func describe(_ error: any Error) -> String {
    guard let decodingError = error as? DecodingError else { return "\(error)" }
    let context: DecodingError.Context
    var text: String
    switch decodingError {
    case .keyNotFound(let key, let found):
      context = found
      text = "missing key '\(key.stringValue)'"
    case .typeMismatch(_, let found), .valueNotFound(_, let found), .dataCorrupted(let found):
      context = found
      text = found.debugDescription
    @unknown default:
      return "\(error)"
    }
    let location = context.codingPath
      .map { key in key.intValue.map { "\($0)" } ?? key.stringValue }
      .joined(separator: ".")
    if !location.isEmpty {
      text = "\(location): \(text)"
    }
    if let underlying = context.underlyingError {
      text += " (\(underlying))"
    }
    return text
  }
}

/// A checkpoint that cannot be written, read or used; the message names the problem.
public struct CheckpointError: Error, CustomStringConvertible, Equatable, Sendable {
  /// The checkpoint file.
  public let path: String
  /// What is wrong.
  public let message: String

  /// An error about the checkpoint at `path`.
  public init(path: String, message: String) {
    self.path = path
    self.message = message
  }

  /// `"<path>: <message>"`.
  public var description: String { "\(path): \(message)" }
}
