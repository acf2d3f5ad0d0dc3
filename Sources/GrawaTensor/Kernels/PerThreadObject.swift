#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One object of a class per thread (the kernels' scratch memory), created on first use and
/// released when the thread exits, stored with POSIX thread-specific data.
final class PerThreadObject<Object: AnyObject>: @unchecked Sendable {
  private let key: pthread_key_t
  private let make: () -> Object

  /// Objects made by `make`, one per thread that asks.
  init(_ make: @escaping () -> Object) {
    var key = pthread_key_t()
    // The destructor cannot capture `Object`; releasing needs no type beyond "a class".
    let status = pthread_key_create(&key) { raw in
      guard let raw = raw as UnsafeMutableRawPointer? else { return }
      Unmanaged<AnyObject>.fromOpaque(raw).release()
    }
    precondition(status == 0, "pthread_key_create failed with status \(status)")
    self.key = key
    self.make = make
  }

  /// The calling thread's object, made now if it has none.
  var current: Object {
    if let raw = pthread_getspecific(key) {
      return Unmanaged<Object>.fromOpaque(raw).takeUnretainedValue()
    }
    let object = make()
    pthread_setspecific(key, Unmanaged.passRetained(object).toOpaque())
    return object
  }

  /// The calling thread's object, if it has one (none is made).
  var existing: Object? {
    pthread_getspecific(key).map { Unmanaged<Object>.fromOpaque($0).takeUnretainedValue() }
  }

  /// Releases the calling thread's object, if it has one; the next ``current`` makes a new one.
  func releaseCurrent() {
    guard let raw = pthread_getspecific(key) else { return }
    pthread_setspecific(key, nil)
    Unmanaged<Object>.fromOpaque(raw).release()
  }
}
