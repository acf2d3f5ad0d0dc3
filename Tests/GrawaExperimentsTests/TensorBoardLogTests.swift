import Foundation
import GrawaDistributed
import XCTest

@testable import GrawaExperiments

/// The TensorBoard event files, read back by a reader written independently here: a bitwise
/// CRC-32C, the TFRecord framing and the `Event` / `Summary.Value` fields.
final class TensorBoardLogTests: XCTestCase {
  /// CRC-32C bit by bit (the writer uses a table).
  private func crc32c(_ bytes: [UInt8]) -> UInt32 {
    var crc: UInt32 = 0xFFFF_FFFF
    for byte in bytes {
      crc ^= UInt32(byte)
      for _ in 0..<8 {
        crc = (crc >> 1) ^ (crc & 1 == 0 ? 0 : 0x82F6_3B78)
      }
    }
    return ~crc
  }

  private func masked(_ crc: UInt32) -> UInt32 { ((crc >> 15) | (crc << 17)) &+ 0xa282_ead8 }

  private func littleEndian<T: FixedWidthInteger>(_ bytes: ArraySlice<UInt8>) -> T {
    bytes.reversed().reduce(T(0)) { $0 << 8 | T($1) }
  }

  /// The fields of one protobuf message: (field, wire type, payload bytes or varint value).
  private func fields(_ bytes: [UInt8]) throws -> [(Int, Int, [UInt8], UInt64)] {
    var result: [(Int, Int, [UInt8], UInt64)] = []
    var index = 0
    func varint() -> UInt64 {
      var value: UInt64 = 0
      var shift: UInt64 = 0
      while true {
        let byte = bytes[index]
        index += 1
        value |= UInt64(byte & 0x7F) << shift
        if byte < 0x80 { return value }
        shift += 7
      }
    }
    while index < bytes.count {
      let key = varint()
      let field = Int(key >> 3)
      let wire = Int(key & 7)
      switch wire {
      case 0: result.append((field, wire, [], varint()))
      case 1:
        result.append((field, wire, Array(bytes[index..<(index + 8)]), 0))
        index += 8
      case 2:
        let length = Int(varint())
        result.append((field, wire, Array(bytes[index..<(index + length)]), 0))
        index += length
      case 5:
        result.append((field, wire, Array(bytes[index..<(index + 4)]), 0))
        index += 4
      default: throw CocoaError(.fileReadCorruptFile)
      }
    }
    return result
  }

  func testCRC32C_knownCheckValue() {
    // The CRC-32C check value of the ASCII digits "123456789" is 0xE3069283.
    XCTAssertEqual(CRC32C.checksum(Array("123456789".utf8)), 0xE306_9283)
    XCTAssertEqual(crc32c(Array("123456789".utf8)), 0xE306_9283, "the test's own CRC agrees")
  }

  func testEventFile_recordsCheckAndHoldTheRowsScalars() throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tb-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: directory) }
    let log = try TensorBoardLog(directory: directory)
    try log.append(
      MetricsRow(
        seconds: 2, trainingSeconds: 1, epoch: 1, step: 40, syncs: 3, learningRate: 0.1, trainLoss: 0.5,
        trainError: 0.25, testLoss: 0.75, testError: 0.125,
        strategyMetrics: [StrategyMetric("weights", .vector([0.25, 0.75])), StrategyMetric("leader", .scalar(1))]))
    let bytes = try [UInt8](Data(contentsOf: log.url))
    XCTAssertTrue(log.url.lastPathComponent.hasPrefix("events.out.tfevents."))

    var records: [[UInt8]] = []
    var offset = 0
    while offset < bytes.count {
      let lengthBytes = Array(bytes[offset..<(offset + 8)])
      let length = Int(littleEndian(bytes[offset..<(offset + 8)]) as UInt64)
      XCTAssertEqual(littleEndian(bytes[(offset + 8)..<(offset + 12)]) as UInt32, masked(crc32c(lengthBytes)))
      let data = Array(bytes[(offset + 12)..<(offset + 12 + length)])
      XCTAssertEqual(
        littleEndian(bytes[(offset + 12 + length)..<(offset + 16 + length)]) as UInt32, masked(crc32c(data)))
      records.append(data)
      offset += 16 + length
    }
    XCTAssertEqual(offset, bytes.count)
    XCTAssertEqual(records.count, 3)

    let header = try fields(records[0])
    XCTAssertEqual(header.first { $0.0 == 3 }.map { String(decoding: $0.2, as: UTF8.self) }, "brain.Event:2")
    let start = try fields(records[1])
    XCTAssertEqual(start.first { $0.0 == 2 }?.3, 0, "a new run starts at step 0")
    let sessionLog = try fields(try XCTUnwrap(start.first { $0.0 == 7 }?.2))
    XCTAssertEqual(sessionLog.first { $0.0 == 1 }?.3, 1, "SessionLog.START")

    let event = try fields(records[2])
    XCTAssertEqual(event.first { $0.0 == 2 }?.3, 40, "the row's step")
    let summary = try XCTUnwrap(event.first { $0.0 == 5 }?.2)
    var scalars: [String: Float] = [:]
    for value in try fields(summary) where value.0 == 1 {
      let entry = try fields(value.2)
      let tag = try XCTUnwrap(entry.first { $0.0 == 1 }.map { String(decoding: $0.2, as: UTF8.self) })
      let bits: UInt32 = littleEndian(try XCTUnwrap(entry.first { $0.0 == 2 && $0.1 == 5 }?.2)[...])
      scalars[tag] = Float(bitPattern: bits)
    }
    XCTAssertEqual(
      scalars,
      [
        "learning_rate": 0.1, "train/loss": 0.5, "train/error": 0.25, "test/loss": 0.75, "test/error": 0.125,
        "time/distributed_fraction": 0, "strategy/weights/worker0": 0.25, "strategy/weights/worker1": 0.75,
        "strategy/leader": 1,
      ])
  }

  func testResumedFile_startsItsSessionAfterTheCheckpointsStep() throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tb-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: directory) }
    let log = try TensorBoardLog(directory: directory, resumedAfter: 120)
    let bytes = try [UInt8](Data(contentsOf: log.url))
    // The second record: 8-byte length, 4-byte CRC, data, 4-byte CRC after the first record.
    let firstLength = Int(littleEndian(bytes[0..<8]) as UInt64)
    let offset = 16 + firstLength
    let length = Int(littleEndian(bytes[offset..<(offset + 8)]) as UInt64)
    let start = try fields(Array(bytes[(offset + 12)..<(offset + 12 + length)]))
    XCTAssertEqual(start.first { $0.0 == 2 }?.3, 121, "rows at the checkpoint's step stay; later ones are dropped")
    XCTAssertEqual(try fields(try XCTUnwrap(start.first { $0.0 == 7 }?.2)).first { $0.0 == 1 }?.3, 1)
  }
}
