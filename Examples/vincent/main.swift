// The paper's toy experiment (section 4.1, appendix A) driven from the library's public API: which
// valley of the Vincent function does each strategy end in, with exact and with noisy gradients?
// For every noise level and seed it runs EASGD, LSGD, GRAWA, MGRAWA and LGRAWA (the library's
// strategy types, through `VincentExperiment`). It prints two markdown tables: the valleys the
// final centers reach (one k per coordinate; k = 3, x* = 7.71, is the flattest, k = -2, x* = 0.33,
// the sharpest), and the share of runs ending in the flattest valley (3,3) with the mean largest
// curvature there; and draws that share against the noise level as an SVG line chart.
//
//   swift run -c release -Xswiftc -target-cpu -Xswiftc native vincent [--seeds 20] \
//     [--noise 0,0.1,0.25,0.5,1,2] [--lr 0.01] [--steps 400] [--pre-sync-target none] \
//     [--output vincent-noise.svg]
//
// `grawa-train vincent` runs one setting with its trajectories' picture; this example sweeps.
// `Examples/scripts/vincent-results.sh` runs both to regenerate docs/results/vincent.md.

import Foundation
import GrawaDistributed
import GrawaExperiments
import GrawaPlot

/// Prints `message` to standard error and exits with status 2 (a usage error).
func fail(_ message: String) -> Never {
  FileHandle.standardError.write(Data("vincent: error: \(message)\n".utf8))
  exit(2)
}

var seeds = 20
var noiseLevels = [0.0, 0.1, 0.25, 0.5, 1, 2]
var output = "vincent-noise.svg"
/// The experiment every run starts from: the paper's setting unless a flag changes it.
var base = VincentExperiment()
var arguments = CommandLine.arguments.dropFirst()
while let flag = arguments.popFirst() {
  if flag == "--help" || flag == "-h" {
    print(
      "usage: vincent [--seeds N] [--noise SIGMA,SIGMA,...] [--lr RATE] [--steps N] "
        + "[--pre-sync-target none|mean-of-starts] [--output FILE.svg]")
    exit(0)
  }
  guard let value = arguments.popFirst() else { fail("'\(flag)' needs a value") }
  switch flag {
  case "--seeds":
    guard let n = Int(value), (1...10_000).contains(n) else { fail("--seeds: '\(value)' is not an integer in 1...10000") }
    seeds = n
  case "--noise":
    let levels = value.split(separator: ",").map { Double($0) }
    guard !levels.isEmpty, levels.allSatisfy({ $0 != nil && $0! >= 0 && $0!.isFinite }) else {
      fail("--noise: '\(value)' is not a comma-separated list of non-negative numbers")
    }
    noiseLevels = levels.map { $0! }
  case "--lr":
    guard let rate = Double(value), rate > 0, rate.isFinite else { fail("--lr: '\(value)' is not a positive number") }
    base.learningRate = rate
  case "--steps":
    guard let n = Int(value), (1...10_000_000).contains(n) else { fail("--steps: '\(value)' is not an integer in 1...10000000") }
    base.steps = n
  case "--pre-sync-target":
    guard let target = ToySimulation.PreSyncTarget(rawValue: value) else {
      fail("--pre-sync-target: '\(value)' is not one of none, mean-of-starts")
    }
    base.preSyncTarget = target
  case "--output":
    output = value
  default:
    fail("unknown option '\(flag)' (try --help)")
  }
}

let flattest = VincentFunction.valleys.upperBound
let strategies = VincentExperiment.strategies
/// fraction[strategy][noise index]: share of seeds whose final center is in valley `flattest` in
/// every coordinate; curvature[strategy][noise index]: mean of the largest Hessian diagonal entry;
/// reached[strategy][noise index]: how many runs ended in each combination of valleys.
var fraction = [StrategyKind: [Double]]()
var curvature = [StrategyKind: [Double]]()
var meanValue = [StrategyKind: [Double]]()
var reached = [StrategyKind: [[String: Int]]]()
for noise in noiseLevels {
  var hits = [StrategyKind: Int]()
  var curvatureSum = [StrategyKind: Double]()
  var valueSum = [StrategyKind: Double]()
  var valleyCounts = [StrategyKind: [String: Int]]()
  // Without noise every seed gives the same run.
  let runs = noise == 0 ? 1 : seeds
  for seed in 0..<runs {
    var experiment = base
    experiment.gradientNoise = noise
    experiment.seed = UInt64(seed)
    let outcomes: [VincentExperiment.Outcome]
    do {
      outcomes = try experiment.run()
    } catch {
      fail("noise \(noise), seed \(seed): \(error)")
    }
    for outcome in outcomes {
      if outcome.valleys.allSatisfy({ $0 == flattest }) { hits[outcome.strategy, default: 0] += 1 }
      let key = "(" + outcome.valleys.map(String.init).joined(separator: ",") + ")"
      valleyCounts[outcome.strategy, default: [:]][key, default: 0] += 1
      curvatureSum[outcome.strategy, default: 0] += outcome.curvature.max() ?? .nan
      valueSum[outcome.strategy, default: 0] += outcome.value
    }
  }
  for kind in strategies {
    fraction[kind, default: []].append(Double(hits[kind] ?? 0) / Double(runs))
    curvature[kind, default: []].append((curvatureSum[kind] ?? 0) / Double(runs))
    meanValue[kind, default: []].append((valueSum[kind] ?? 0) / Double(runs))
    reached[kind, default: []].append(valleyCounts[kind] ?? [:])
  }
}

print(
  "Vincent function, n = \(base.dimension), lr \(base.learningRate), \(base.steps) steps, "
    + "sync every \(base.communicationPeriod), pre-sync target \(base.preSyncTarget.rawValue); "
    + "\(seeds) seeds per noise level (1 without noise)")
print("\nValleys the final center reaches (k per coordinate; runs ending there):\n")
print("| strategy | " + noiseLevels.map { "noise \($0)" }.joined(separator: " | ") + " |")
print("|---|" + String(repeating: "---|", count: noiseLevels.count))
for kind in strategies {
  // Most frequent first; at most three combinations, the rest counted together.
  let cells = reached[kind]!.map { counts in
    let sorted = counts.sorted { $0.value > $1.value || ($0.value == $1.value && $0.key < $1.key) }
    var parts = sorted.prefix(3).map { "\($0.key) \($0.value)" }
    let rest = sorted.dropFirst(3).reduce(0) { $0 + $1.value }
    if rest > 0 { parts.append("other \(rest)") }
    return parts.joined(separator: ", ")
  }
  print("| \(kind.rawValue) | " + cells.joined(separator: " | ") + " |")
}
print("\nShare of runs whose center ends in the flattest valley k = \(flattest) (x* = "
  + String(format: "%.2f", VincentFunction.minimizer(valley: flattest))
  + "); in brackets the mean f(center) (-1 at every valley's bottom) and the mean largest curvature "
  + "(Hessian diagonal) at the center:\n")
print("| strategy | " + noiseLevels.map { "noise \($0)" }.joined(separator: " | ") + " |")
print("|---|" + String(repeating: "---|", count: noiseLevels.count))
for kind in strategies {
  let cells = (0..<noiseLevels.count).map { index in
    String(
      format: "%.0f%% (f %.3f, %.2f)", fraction[kind]![index] * 100, meanValue[kind]![index], curvature[kind]![index])
  }
  print("| \(kind.rawValue) | " + cells.joined(separator: " | ") + " |")
}

// Each strategy in its colour of every chart; lines that coincide (several strategies at 100%)
// are told apart by the chart (dash, hollow markers, a few pixels apart).
let chart = LineChart(
  title: "Vincent function: runs ending in the flattest valley (k = \(flattest)); lr \(base.learningRate), "
    + "\(base.steps) steps, \(seeds) seeds per noise level",
  xLabel: "gradient noise (standard deviation)", yLabel: "share of runs (%)",
  series: strategies.map { kind in
    .init(name: kind.rawValue, points: zip(noiseLevels, fraction[kind]!).map { ($0, $1 * 100) }, color: kind.chartColor)
  })
do {
  try chart.render(width: 900, height: 480).write(to: URL(fileURLWithPath: output))
  print("\nchart: \(output)")
} catch {
  FileHandle.standardError.write(Data("vincent: error: \(output): cannot write the chart (\(error.localizedDescription))\n".utf8))
  exit(1)
}
