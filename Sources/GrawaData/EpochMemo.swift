/// Keeps what a shard computed for its current epoch (its order, its batch plan), so asking for
/// the batches of one epoch one after another computes the epoch's order once.
final class EpochMemo<Value> {
  private var memo: (epoch: Int, value: Value)?

  /// The value for `epoch`, made by `make` unless it is the one kept.
  func value(for epoch: Int, _ make: () throws -> Value) rethrows -> Value {
    if let memo, memo.epoch == epoch {
      return memo.value
    }
    let value = try make()
    memo = (epoch, value)
    return value
  }

  /// Checks that batch `index` exists in an epoch of `count` batches.
  /// - Throws: ``DataError``.
  static func checkBatch(_ index: Int, of count: Int) throws {
    guard index >= 0, index < count else {
      throw DataError(path: nil, "batch \(index) of an epoch of \(count) batches")
    }
  }
}
