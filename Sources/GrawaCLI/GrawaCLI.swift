/// Entry point of the `grawa-train` command.
public enum GrawaCLI {
  /// Runs the command line `arguments` (the first element is the program name) and exits.
  public static func main(_ arguments: [String]) -> Never {
    print("grawa-train")
    exit(0)
  }
}
import Foundation
