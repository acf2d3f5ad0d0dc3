import Foundation

extension CheckpointFile {
  /// The bytes ``write(_:to:)`` would write for `state`, in memory: how a multi-process run
  /// moves worker snapshots and a resumed run's state between processes (read back with
  /// ``parse(_:path:)``, which checks them as it checks a file).
  /// - Throws: ``CheckpointError`` when the header cannot be encoded.
  package static func encoded(_ state: RunState) throws -> [UInt8] {
    let path = "in-memory run state"
    let sections = try makeSections(for: state, version: formatVersion, path: path)
    let header = try encodeHeader(for: state, sections: sections, path: path)
    var bytes = magic
    withUnsafeBytes(of: formatVersion.littleEndian) { bytes.append(contentsOf: $0) }
    withUnsafeBytes(of: UInt64(header.count).littleEndian) { bytes.append(contentsOf: $0) }
    bytes.append(contentsOf: header)
    for section in sections {
      switch section.payload {
      case .float32(let values):
        #if _endian(big)
          values.map { $0.bitPattern.littleEndian }.withUnsafeBytes { bytes.append(contentsOf: $0) }
        #else
          values.withUnsafeBytes { bytes.append(contentsOf: $0) }
        #endif
      case .uint64(let values):
        #if _endian(big)
          values.map { $0.littleEndian }.withUnsafeBytes { bytes.append(contentsOf: $0) }
        #else
          values.withUnsafeBytes { bytes.append(contentsOf: $0) }
        #endif
      case .uint8(let values):
        bytes.append(contentsOf: values)
      }
    }
    let crc = bytes.withUnsafeBytes { checksum($0) }
    withUnsafeBytes(of: crc.littleEndian) { bytes.append(contentsOf: $0) }
    return bytes
  }

  /// A run state from bytes of ``encoded(_:)`` (or of a checkpoint file).
  /// - Throws: ``CheckpointError`` naming `path` and the first problem found.
  package static func decoded(_ bytes: [UInt8], path: String) throws -> RunState {
    try bytes.withUnsafeBytes { try parse($0, path: path) }
  }
}
