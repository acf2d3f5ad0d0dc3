#if MPI
  import Foundation
  import GrawaDistributed
  import XCTest

  /// `mpirun -np N grawa-train train ...` (grawa-train built with the trait MPI): the rank layout
  /// is printed, rank 0 writes the run files, the run equals the in-process run of the same W
  /// workers, `--resume` continues it, and a killed rank ends the run with the last checkpoint
  /// intact. Tiny runs (tiny-cnn on 64 synthetic images, batches of 4): the MPI tests build in
  /// debug.
  final class MPITrainCommandTests: XCTestCase {
    static let tiny = [
      "--model", "tiny-cnn", "--dataset", "synthetic", "--train-limit", "64", "--test-limit", "16",
      "--batch-size", "4", "--bn-batches", "1", "--strategy", "lgrawa", "--comm-period", "1", "--eval-every", "0.25",
    ]
    /// The metrics.csv columns that depend on the clock.
    static let timeColumns: Set<String> = [
      "seconds", "training_seconds", "local_seconds", "distributed_seconds", "distributed_fraction", "wait_seconds",
    ]

    private var directories: [URL] = []

    override func tearDown() {
      for directory in directories { try? FileManager.default.removeItem(at: directory) }
      directories = []
      super.tearDown()
    }

    func makeDirectory() -> URL {
      let url = FileManager.default.temporaryDirectory.appendingPathComponent("grawa-mpi-train-\(UUID())")
      directories.append(url)
      return url
    }

    /// metrics.csv without its clock columns.
    static func metrics(in directory: URL) throws -> [[String: String]] {
      let text = try String(contentsOf: directory.appendingPathComponent("metrics.csv"), encoding: .utf8)
      let lines = text.split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false) }
      guard let header = lines.first else { return [] }
      return lines.dropFirst().map { row in
        var values: [String: String] = [:]
        for (name, value) in zip(header, row) where !timeColumns.contains(String(name)) {
          values[String(name)] = String(value)
        }
        return values
      }
    }

    /// 2 ranks x 1 worker for 2 steps, resumed for 2 more, equal the in-process run of 2 workers
    /// for 4 steps: the same metrics rows (clock columns aside) and final parameters.
    func testTwoRanks_resumed_equalTheInProcessRun() throws {
      let reference = makeDirectory()
      let plain = try MPIRun.run(
        ranks: nil, program: "grawa-train",
        arguments: ["train"] + Self.tiny + ["--workers", "2", "--steps", "4", "--output", reference.path], timeout: 120)
      XCTAssertEqual(plain.status, 0, plain.output)
      XCTAssertFalse(plain.output.contains("mpi:"), plain.output)

      let directory = makeDirectory()
      let first = try MPIRun.run(
        ranks: 2, program: "grawa-train",
        arguments: ["train"] + Self.tiny + ["--workers", "1", "--steps", "2", "--output", directory.path], timeout: 120)
      XCTAssertEqual(first.status, 0, first.output)
      XCTAssertTrue(first.output.contains("mpi: 2 ranks x 1 workers = 2 workers"), first.output)
      XCTAssertTrue(first.output.contains("rank 1 on "), first.output)
      XCTAssertTrue(first.output.contains("strategy lgrawa, 2 workers"), first.output)
      // Rank 0 alone prints: one summary.
      XCTAssertEqual(first.output.components(separatedBy: "done (steps)").count, 2, first.output)

      let resumed = try MPIRun.run(
        ranks: 2, program: "grawa-train", arguments: ["train", "--resume", directory.path, "--steps", "4"],
        timeout: 120)
      XCTAssertEqual(resumed.status, 0, resumed.output)
      XCTAssertTrue(resumed.output.contains("resuming (after 2 rounds)"), resumed.output)

      let expected = try Self.metrics(in: reference)
      XCTAssertEqual(expected.map { $0["step"] }, ["2", "4"])
      XCTAssertEqual(try Self.metrics(in: directory), expected)
      let mine = try CheckpointFile.read(from: directory.appendingPathComponent("checkpoint.grawa"))
      let theirs = try CheckpointFile.read(from: reference.appendingPathComponent("checkpoint.grawa"))
      XCTAssertEqual(mine.workers.map(\.parameters), theirs.workers.map(\.parameters))
      XCTAssertEqual(mine.centerState, theirs.centerState)
    }

    /// The asynchronous mode is not carried over MPI: refused at start on every rank, exit 2.
    func testAsynchronousModeUnderMpirun_isRefusedAsAUsageError() throws {
      let directory = makeDirectory()
      let run = try MPIRun.run(
        ranks: 2, program: "grawa-train",
        arguments: ["train"] + Self.tiny + ["--sync-mode", "async", "--steps", "2", "--output", directory.path],
        timeout: 60)
      XCTAssertEqual(run.status, 2, run.output)
      XCTAssertTrue(run.output.contains("'--sync-mode async' is not supported under mpirun yet"), run.output)
      XCTAssertFalse(FileManager.default.fileExists(atPath: directory.path), run.output)
    }

    /// Starts a 2-rank, 1-worker-per-rank run of 200 steps into `directory` that checkpoints at
    /// every boundary, waits for its first checkpoint, and returns it with rank 1's pid (`nil`,
    /// after recording the failure, when either does not come).
    private func startCheckpointedRun(into directory: URL, timeout: Int) throws -> (MPIRun, pid_t)? {
      let checkpoint = directory.appendingPathComponent("checkpoint.grawa")
      let run = try MPIRun(
        ranks: 2, program: "grawa-train",
        arguments: ["train"] + Self.tiny + [
          "--workers", "1", "--steps", "200", "--checkpoint-every", "0.0001", "--mpi-timeout", String(timeout),
          "--output", directory.path,
        ])
      let started = run.waitForOutput(timeout: 120) { _ in
        (try? CheckpointFile.read(from: checkpoint)) != nil
      }
      XCTAssertTrue(started, run.output)
      guard let victim = Self.pid(ofRank: 1, in: run.output) else {
        _ = run.wait(timeout: 1)
        XCTFail("no pid for rank 1 in:\n\(run.output)")
        return nil
      }
      return (run, victim)
    }

    /// SIGKILL rank 1 after a checkpoint: mpirun ends rank 0 and exits non-zero within the
    /// timeout naming rank 1; the checkpoint reads back, and `--resume` from it completes.
    func testKilledRank_endsTheRun_andTheRunResumesFromItsCheckpoint() throws {
      let directory = makeDirectory()
      let checkpoint = directory.appendingPathComponent("checkpoint.grawa")
      guard let (run, victim) = try startCheckpointedRun(into: directory, timeout: 20) else { return }
      let killedAt = Date()
      XCTAssertEqual(kill(victim, SIGKILL), 0)
      let status = run.wait(timeout: 30)
      XCTAssertNotNil(status, "mpirun still running 30 s after the kill:\n\(run.output)")
      XCTAssertNotEqual(status, 0, run.output)
      XCTAssertLessThan(Date().timeIntervalSince(killedAt), 30)
      XCTAssertTrue(run.output.contains("process rank 1 with PID"), run.output)

      let saved = try CheckpointFile.read(from: checkpoint)
      let steps = saved.workers[0].steps
      XCTAssertLessThan(steps, 200)
      let resumed = try MPIRun.run(
        ranks: 2, program: "grawa-train",
        arguments: ["train", "--resume", directory.path, "--steps", String(steps + 2)], timeout: 120)
      XCTAssertEqual(resumed.status, 0, resumed.output)
      XCTAssertTrue(resumed.output.contains("done (steps)"), resumed.output)
      XCTAssertEqual(try CheckpointFile.read(from: checkpoint).workers.map(\.steps), [steps + 2, steps + 2])
    }

    /// SIGSTOP rank 1 (a hung rank): rank 0 gives up after the 5 s `--mpi-timeout`, naming itself
    /// and the operation it waited in, and MPI_Abort ends the job with exit code 124; the
    /// checkpoint written before stays intact.
    func testHungRank_endsTheRunAfterTheTimeout() throws {
      let directory = makeDirectory()
      let checkpoint = directory.appendingPathComponent("checkpoint.grawa")
      guard let (run, victim) = try startCheckpointedRun(into: directory, timeout: 5) else { return }
      let stoppedAt = Date()
      XCTAssertEqual(kill(victim, SIGSTOP), 0)
      let status = run.wait(timeout: 60)
      // A stopped process ignores SIGTERM until it continues: let it go if it is still there.
      kill(victim, SIGKILL)
      XCTAssertEqual(status, 124, run.output)
      XCTAssertLessThan(Date().timeIntervalSince(stoppedAt), 40, run.output)
      XCTAssertTrue(run.output.contains("grawa-mpi: rank 0 of 2 on "), run.output)
      XCTAssertTrue(run.output.contains("did not complete within 5"), run.output)
      XCTAssertNoThrow(try CheckpointFile.read(from: checkpoint))
    }

    /// SIGUSR1 to mpirun, which forwards it to every rank: the ranks agree to stop at the same
    /// step, rank 0 writes the checkpoint, and the run exits 75 (pre-empted, resumable).
    func testSIGUSR1ToMpirun_stopsEveryRankAtTheSameStepWithACheckpoint() throws {
      let directory = makeDirectory()
      let run = try MPIRun(
        ranks: 2, program: "grawa-train",
        arguments: ["train"] + Self.tiny + ["--workers", "1", "--steps", "200", "--output", directory.path])
      let started = run.waitForOutput(timeout: 120) { $0.contains("eval  epoch 0.25") }
      XCTAssertTrue(started, run.output)
      XCTAssertEqual(kill(run.pid, SIGUSR1), 0)
      let status = run.wait(timeout: 60)
      XCTAssertEqual(status, 75, run.output)
      XCTAssertTrue(run.output.contains("done (interrupted)"), run.output)
      let saved = try CheckpointFile.read(from: directory.appendingPathComponent("checkpoint.grawa"))
      XCTAssertEqual(Set(saved.workers.map(\.steps)).count, 1, "\(saved.workers.map(\.steps))")
      XCTAssertLessThan(saved.workers[0].steps, 200)
      XCTAssertEqual(try Self.metrics(in: directory).last?["step"], String(saved.workers[0].steps))
    }

    /// The pid rank `rank` printed in the layout ("  rank R on HOST (pid P): workers ...").
    static func pid(ofRank rank: Int, in output: String) -> pid_t? {
      for line in output.split(separator: "\n") where line.hasPrefix("  rank \(rank) on ") {
        guard let open = line.range(of: "(pid "), let close = line[open.upperBound...].firstIndex(of: ")") else {
          continue
        }
        return pid_t(line[open.upperBound..<close])
      }
      return nil
    }
  }
#endif
