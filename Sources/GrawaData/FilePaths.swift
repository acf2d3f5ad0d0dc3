#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// `directory/name`, without doubling a trailing slash; `name` alone when `directory` is empty.
func joinPath(_ directory: String, _ name: String) -> String {
  if directory.isEmpty { return name }
  return directory.hasSuffix("/") ? directory + name : directory + "/" + name
}

/// What a path names: nothing, a directory, or something else (a file, a device, a pipe).
enum PathKind: Equatable {
  /// Nothing is there (or it cannot be inspected).
  case missing
  /// A directory (following symbolic links).
  case directory
  /// A regular file or any other non-directory.
  case file
}

/// What `path` names, following symbolic links.
func pathKind(_ path: String) -> PathKind {
  var info = stat()
  guard stat(path, &info) == 0 else { return .missing }
  return (info.st_mode & S_IFMT) == S_IFDIR ? .directory : .file
}

/// A ``DataError`` for a directory found where a data file should be.
func directoryInsteadOfFile(_ path: String, expected: String) -> DataError {
  DataError(path: path, "is a directory, expected \(expected)")
}
