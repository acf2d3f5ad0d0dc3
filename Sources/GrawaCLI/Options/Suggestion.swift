/// The number of single-character insertions, deletions and substitutions that turn `a` into `b`
/// (the Levenshtein distance).
func editDistance(_ a: String, _ b: String) -> Int {
  let source = Array(a)
  let target = Array(b)
  guard !source.isEmpty else { return target.count }
  guard !target.isEmpty else { return source.count }
  // One row of the dynamic-programming table at a time: previous[j] is the distance between
  // the first i - 1 characters of `source` and the first j of `target`.
  var previous = Array(0...target.count)
  for i in 1...source.count {
    var current = [i] + Array(repeating: 0, count: target.count)
    for j in 1...target.count {
      let substitution = previous[j - 1] + (source[i - 1] == target[j - 1] ? 0 : 1)
      current[j] = min(previous[j] + 1, current[j - 1] + 1, substitution)
    }
    previous = current
  }
  return previous[target.count]
}

/// The candidate closest to `typed`, if it is a near miss: at most 2 edits away (1 when `typed`,
/// leading dashes aside, has three characters or fewer, where 2 edits would make anything look
/// alike). Ties go to the earliest candidate.
func nearestSpelling(of typed: String, among candidates: [String]) -> String? {
  let word = typed.drop { $0 == "-" }
  let limit = word.count <= 3 ? 1 : 2
  var best: (candidate: String, distance: Int)?
  for candidate in candidates {
    let distance = editDistance(typed, candidate)
    if distance <= limit, distance < (best?.distance ?? Int.max) {
      best = (candidate, distance)
    }
  }
  return best?.candidate
}
