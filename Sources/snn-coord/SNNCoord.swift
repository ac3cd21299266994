import ArgumentParser
import SNNCommandLine
import SNNCore

@main
struct SNNCoord: ParsableCommand {
    /// Switches OpenBLAS off a generic fallback core first (see `BLAS.selectCoreForThisCPU`).
    static func main() {
        BLAS.selectCoreForThisCPU()
        mainWithOneLineErrors()
    }

    static let configuration = CommandConfiguration(
        commandName: "snn-coord",
        abstract: "Train spiking neural networks on a cluster of CPU machines and score their energy.",
        discussion: """
        The coordinator owns the parameters and shards every training step's micro-batches across workers \
        (`snn-worker join tcp://HOST:PORT`). Results do not depend on how many workers ran or which of them died.

        Quick start on one machine:
          snn-coord start --spec cluster/runs/bntt-fmnist.json --standalone
          snn-coord start --spec cluster/runs/bntt-fmnist.json --local-workers 2
          snn-coord query
        """,
        subcommands: [Start.self, Query.self, Status.self, Report.self, Keygen.self, Convert.self, TTFSReportCommand.self, ExportNIR.self, ImportNIR.self]
    )
}
