import Foundation
import GrawaDistributed

/// Writes a run's metrics rows as TensorBoard scalar events (`events.out.tfevents.*` in the run
/// directory), so `tensorboard --logdir runs` shows every run beside its `metrics.csv`.
///
/// The file is a sequence of TFRecords, each a length-prefixed `Event` protocol buffer with
/// masked CRC-32C checksums of the length and of the data (written here from the record and
/// message layouts; no TensorFlow code). The first event names the format (`brain.Event:2`);
/// then each row is one event at the row's local step with one scalar per figure: `train/loss`,
/// `train/error`, `test/loss`, `test/error`, `test/weighted_loss`, `test/weighted_error`,
/// `learning_rate`, `time/distributed_fraction`, and each strategy metric (`strategy/leader`; a
/// list such as the weights as `strategy/weights/worker0`, ...). A resumed run starts a new file
/// in the same directory; TensorBoard reads them together.
///
/// Every file's second event is a `SessionLog` `START` at the step the file's rows continue
/// from. TensorBoard takes a `START` after the first as a restart and drops the points at that
/// step or later from the earlier files: the rows a killed run logged after its last checkpoint,
/// which the resumed run logs again (measured with `tensorboard` 2.21's `EventAccumulator`).
public final class TensorBoardLog: MetricsSink {
  /// The event file.
  public let url: URL
  private let handle: FileHandle

  /// Starts an event file in `directory` (created if needed).
  /// - Parameter resumedAfter: the step of the checkpoint a resumed run continues from (its row
  ///   is already logged); `nil` for a new run.
  /// - Throws: ``RunLogError`` naming the file when it cannot be created or written.
  public init(directory: URL, resumedAfter: Int? = nil, now: Date = Date()) throws {
    do {
      try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    } catch {
      throw RunLogError(path: directory.path, message: "cannot create the output directory (\(error.localizedDescription))")
    }
    let host = ProcessInfo.processInfo.hostName.replacingOccurrences(of: "/", with: "_")
    var name = "events.out.tfevents.\(Int(now.timeIntervalSince1970)).\(host)"
    var candidate = directory.appendingPathComponent(name)
    var suffix = 1
    while FileManager.default.fileExists(atPath: candidate.path) {
      name = "events.out.tfevents.\(Int(now.timeIntervalSince1970)).\(host).\(suffix)"
      candidate = directory.appendingPathComponent(name)
      suffix += 1
    }
    url = candidate
    guard FileManager.default.createFile(atPath: url.path, contents: nil),
      let handle = try? FileHandle(forWritingTo: url)
    else {
      throw RunLogError(path: url.path, message: "cannot create the file")
    }
    self.handle = handle
    var event = ProtobufWriter()
    event.double(field: 1, now.timeIntervalSince1970)
    event.string(field: 3, "brain.Event:2")
    try write(event.bytes)
    // Event.session_log (field 7) = SessionLog { status (field 1) = START (1) }.
    var sessionLog = ProtobufWriter()
    sessionLog.varint(field: 1, 1)
    var start = ProtobufWriter()
    start.double(field: 1, now.timeIntervalSince1970)
    start.varint(field: 2, UInt64(max(0, (resumedAfter ?? -1) + 1)))
    start.message(field: 7, sessionLog)
    try write(start.bytes)
  }

  deinit {
    try? handle.close()
  }

  /// Appends one event with every figure of `row` that has a value.
  /// - Throws: ``RunLogError`` when the write fails.
  public func append(_ row: MetricsRow) throws {
    var scalars: [(String, Double)] = []
    scalars.append(("learning_rate", row.learningRate))
    if let value = row.trainLoss { scalars.append(("train/loss", value)) }
    if let value = row.trainError { scalars.append(("train/error", value)) }
    if row.testLoss.isFinite { scalars.append(("test/loss", row.testLoss)) }
    if row.testError.isFinite { scalars.append(("test/error", row.testError)) }
    if let value = row.weightedTestLoss { scalars.append(("test/weighted_loss", value)) }
    if let value = row.weightedTestError { scalars.append(("test/weighted_error", value)) }
    scalars.append(("time/distributed_fraction", row.distributedFraction))
    for metric in row.strategyMetrics {
      switch metric.value {
      case .scalar(let value):
        scalars.append(("strategy/\(metric.name)", value))
      case .vector(let values):
        for (index, value) in values.enumerated() {
          scalars.append(("strategy/\(metric.name)/worker\(index)", value))
        }
      }
    }
    var summary = ProtobufWriter()
    for (tag, value) in scalars {
      var entry = ProtobufWriter()
      entry.string(field: 1, tag)
      entry.float(field: 2, Float(value))
      summary.message(field: 1, entry)
    }
    var event = ProtobufWriter()
    event.double(field: 1, Date().timeIntervalSince1970)
    event.varint(field: 2, UInt64(max(row.step, 0)))
    event.message(field: 5, summary)
    try write(event.bytes)
  }

  /// Appends one record, whole or not at all (``WholeAppend``).
  private func write(_ data: [UInt8]) throws {
    if let (_, code) = WholeAppend.append([(handle.fileDescriptor, Data(TFRecord.frame(data)))]) {
      throw RunLogError(
        path: url.path,
        message: "cannot append events (\(WholeAppend.describe(code))); the file keeps the events before it")
    }
  }
}

/// The TFRecord framing: little-endian length, masked CRC-32C of the length, data, masked CRC-32C
/// of the data.
enum TFRecord {
  static func frame(_ data: [UInt8]) -> [UInt8] {
    var length = [UInt8]()
    withUnsafeBytes(of: UInt64(data.count).littleEndian) { length.append(contentsOf: $0) }
    var record = length
    appendLittleEndian(maskedCRC32C(length), to: &record)
    record += data
    appendLittleEndian(maskedCRC32C(data), to: &record)
    return record
  }

  /// TensorFlow's masking of a CRC stored next to the data it covers.
  static func maskedCRC32C(_ bytes: [UInt8]) -> UInt32 {
    let crc = CRC32C.checksum(bytes)
    return ((crc >> 15) | (crc << 17)) &+ 0xa282_ead8
  }

  private static func appendLittleEndian(_ value: UInt32, to bytes: inout [UInt8]) {
    withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
  }
}

/// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), table driven.
enum CRC32C {
  private static let table: [UInt32] = (0..<256).map { index in
    var crc = UInt32(index)
    for _ in 0..<8 {
      crc = crc & 1 == 1 ? (crc >> 1) ^ 0x82F6_3B78 : crc >> 1
    }
    return crc
  }

  /// The checksum of `bytes`.
  static func checksum(_ bytes: [UInt8]) -> UInt32 {
    var crc: UInt32 = 0xFFFF_FFFF
    for byte in bytes {
      crc = table[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8)
    }
    return crc ^ 0xFFFF_FFFF
  }
}

/// The few protocol-buffer encodings an `Event` needs: varints, fixed 32/64-bit numbers,
/// length-delimited strings and messages.
struct ProtobufWriter {
  private(set) var bytes: [UInt8] = []

  private mutating func key(_ field: Int, _ wireType: UInt64) {
    appendVarint(UInt64(field) << 3 | wireType)
  }

  private mutating func appendVarint(_ value: UInt64) {
    var value = value
    while value >= 0x80 {
      bytes.append(UInt8(value & 0x7F) | 0x80)
      value >>= 7
    }
    bytes.append(UInt8(value))
  }

  mutating func varint(field: Int, _ value: UInt64) {
    key(field, 0)
    appendVarint(value)
  }

  mutating func double(field: Int, _ value: Double) {
    key(field, 1)
    withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes.append(contentsOf: $0) }
  }

  mutating func float(field: Int, _ value: Float) {
    key(field, 5)
    withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes.append(contentsOf: $0) }
  }

  mutating func string(field: Int, _ value: String) {
    key(field, 2)
    let utf8 = Array(value.utf8)
    appendVarint(UInt64(utf8.count))
    bytes += utf8
  }

  mutating func message(field: Int, _ value: ProtobufWriter) {
    key(field, 2)
    appendVarint(UInt64(value.bytes.count))
    bytes += value.bytes
  }
}
