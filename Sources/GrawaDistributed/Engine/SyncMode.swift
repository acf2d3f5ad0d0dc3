/// How workers meet the center.
public enum SyncMode: String, Sendable, Codable, CaseIterable {
  /// Every worker syncs after exactly tau local steps and waits for the others: each sync combines
  /// one contribution per worker, so a run is reproducible for a given seed whatever the thread
  /// timing (docs/algorithms.md, "Where we differ from the authors' code", row 1).
  case synchronous = "sync"
  /// A worker never waits for the others at a sync: the center combines each arriving worker's
  /// contribution with the latest ones of the others and answers at once (the first sync gathers
  /// everyone, so the center starts from real contributions). Stateful centers advance once per
  /// arrival: EASGD's master moves beta toward the latest mean, and the norm momentum folds in
  /// the latest scores, at each arrival. Not reproducible across runs.
  case asynchronous = "async"
}
