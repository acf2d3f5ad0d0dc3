import GrawaCLI

GrawaCLI.main(CommandLine.arguments)
