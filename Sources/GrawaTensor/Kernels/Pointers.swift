extension UnsafeBufferPointer {
  /// The base address, or a dangling but never-dereferenced address for an empty buffer.
  @inlinable
  public var start: UnsafePointer<Element> {
    baseAddress ?? UnsafePointer<Element>(bitPattern: MemoryLayout<Element>.alignment).unsafelyUnwrapped
  }
}

extension UnsafeMutableBufferPointer {
  /// The base address, or a dangling but never-dereferenced address for an empty buffer.
  @inlinable
  public var start: UnsafeMutablePointer<Element> {
    baseAddress
      ?? UnsafeMutablePointer<Element>(bitPattern: MemoryLayout<Element>.alignment).unsafelyUnwrapped
  }
}

/// Allocates `count` uninitialised-by-contract Floats, lets `body` fill them, returns the array.
///
/// `body` must write every element; used by kernels that produce a whole output so the buffer is
/// not zero-filled first.
@inlinable
func makeScalars(count: Int, _ body: (UnsafeMutablePointer<Float>) -> Void) -> [Float] {
  [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
    body(buffer.start)
    initialized = count
  }
}
