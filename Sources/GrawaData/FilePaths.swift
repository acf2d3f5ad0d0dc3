import Foundation

/// `directory/name`, without doubling a trailing slash; `name` alone when `directory` is empty.
func joinPath(_ directory: String, _ name: String) -> String {
  if directory.isEmpty { return name }
  return directory.hasSuffix("/") ? directory + name : directory + "/" + name
}

/// Whether a regular file (not a directory) exists at `path`.
func fileExists(_ path: String) -> Bool {
  var isDirectory: ObjCBool = false
  return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
    && !isDirectory.boolValue
}
