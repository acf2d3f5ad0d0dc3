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

/// Calls `body` with the base addresses of all of `arrays` at once (nested buffer accesses, one
/// per array).
func withPointers<R>(
  to arrays: [[Float]], _ body: ([UnsafePointer<Float>]) -> R
) -> R {
  var pointers: [UnsafePointer<Float>] = []
  pointers.reserveCapacity(arrays.count)
  func nest(_ index: Int) -> R {
    if index == arrays.count { return body(pointers) }
    return arrays[index].withUnsafeBufferPointer { buffer in
      pointers.append(buffer.start)
      return nest(index + 1)
    }
  }
  return nest(0)
}

/// Allocates one array of `counts[i]` Floats for every `i`, lets `body` fill them all at once
/// (every element of every one, as ``makeScalars(count:_:)`` asks), and returns them in order.
func makeScalarArrays(
  counts: [Int], _ body: ([UnsafeMutablePointer<Float>]) -> Void
) -> [[Float]] {
  var pointers: [UnsafeMutablePointer<Float>] = []
  pointers.reserveCapacity(counts.count)
  func nest(_ index: Int) -> [[Float]] {
    if index == counts.count {
      body(pointers)
      return []
    }
    var rest: [[Float]] = []
    let mine = makeScalars(count: counts[index]) { pointer in
      pointers.append(pointer)
      rest = nest(index + 1)
    }
    return [mine] + rest
  }
  return nest(0)
}
