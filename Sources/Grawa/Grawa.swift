// The umbrella module: `import Grawa` brings every library of swift-grawa (tensors and autograd,
// layers and models, optimizers, data, the distributed engine and its strategies, the experiments
// layer, SVG charts), for programs that would rather not pick modules one by one.

@_exported import GrawaData
@_exported import GrawaDistributed
@_exported import GrawaExperiments
@_exported import GrawaNN
@_exported import GrawaOptim
@_exported import GrawaPlot
@_exported import GrawaTensor
