// The paper's toy experiment (section 4.1, appendix A) driven from the library's public API: how
// robust is "LSGD ends in a sharp valley of the Vincent function, the GRAWA family in a flat one"
// to gradient noise? For every noise level and seed it runs EASGD, LSGD, GRAWA, MGRAWA and LGRAWA
// (the library's strategy types, through `VincentExperiment`) and counts how often each center
// ends in the flattest valley, k = 3 (x* = 7.71 in every coordinate). It prints one markdown table
// and draws that fraction against the noise level as an SVG line chart.
//
//   swift run -c release -Xswiftc -target-cpu -Xswiftc native vincent [--seeds 20] \
//     [--noise 0,0.25,0.5,1,2] [--output vincent-noise.svg]
//
// `grawa-train vincent` runs one setting with its trajectories' picture; this example sweeps.

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
var noiseLevels = [0.0, 0.25, 0.5, 1, 2]
var output = "vincent-noise.svg"
var arguments = CommandLine.arguments.dropFirst()
while let flag = arguments.popFirst() {
  if flag == "--help" || flag == "-h" {
    print("usage: vincent [--seeds N] [--noise SIGMA,SIGMA,...] [--output FILE.svg]")
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
  case "--output":
    output = value
  default:
    fail("unknown option '\(flag)' (try --help)")
  }
}

let flattest = VincentFunction.valleys.upperBound
let strategies = VincentExperiment.strategies
/// fraction[strategy][noise index]: share of seeds whose final center is in valley `flattest` in
/// every coordinate; curvature[strategy][noise index]: mean of the largest Hessian diagonal entry.
var fraction = [StrategyKind: [Double]]()
var curvature = [StrategyKind: [Double]]()
for noise in noiseLevels {
  var hits = [StrategyKind: Int]()
  var curvatureSum = [StrategyKind: Double]()
  // Without noise every seed gives the same run.
  let runs = noise == 0 ? 1 : seeds
  for seed in 0..<runs {
    var experiment = VincentExperiment()
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
      curvatureSum[outcome.strategy, default: 0] += outcome.curvature.max() ?? .nan
    }
  }
  for kind in strategies {
    fraction[kind, default: []].append(Double(hits[kind] ?? 0) / Double(runs))
    curvature[kind, default: []].append((curvatureSum[kind] ?? 0) / Double(runs))
  }
}

let defaults = VincentExperiment()
print(
  "Vincent function, n = \(defaults.dimension), lr \(defaults.learningRate), \(defaults.steps) steps, "
    + "sync every \(defaults.communicationPeriod); \(seeds) seeds per noise level (1 without noise)")
print("Share of runs whose center ends in the flattest valley k = \(flattest) (x* = "
  + String(format: "%.2f", VincentFunction.minimizer(valley: flattest)) + "), and mean max curvature there:\n")
print("| strategy | " + noiseLevels.map { "noise \($0)" }.joined(separator: " | ") + " |")
print("|---|" + String(repeating: "---|", count: noiseLevels.count))
for kind in strategies {
  let cells = zip(fraction[kind]!, curvature[kind]!).map { String(format: "%.0f%% (%.2f)", $0 * 100, $1) }
  print("| \(kind.rawValue) | " + cells.joined(separator: " | ") + " |")
}

let chart = LineChart(
  title: "Vincent function: runs ending in the flattest valley (k = \(flattest)), \(seeds) seeds per noise level",
  xLabel: "gradient noise (standard deviation)", yLabel: "share of runs (%)",
  series: strategies.map { kind in
    .init(name: kind.rawValue, points: zip(noiseLevels, fraction[kind]!).map { ($0, $1 * 100) })
  })
do {
  try chart.render(width: 760, height: 460).write(to: URL(fileURLWithPath: output))
  print("\nchart: \(output)")
} catch {
  FileHandle.standardError.write(Data("vincent: error: \(output): cannot write the chart (\(error.localizedDescription))\n".utf8))
  exit(1)
}
