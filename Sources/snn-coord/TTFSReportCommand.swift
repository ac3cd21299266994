import ArgumentParser
import Foundation
import SNNCluster
import SNNCommandLine
import SNNMethods
import SNNModel

/// `snn-coord ttfs-report`: runs a trained TTFS checkpoint as an SNN over the test set and prints, per layer, the
/// spikes per sample (with the one-spike-per-neuron check), the decision step and the SNN-vs-surrogate agreement.
struct TTFSReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ttfs-report",
        abstract: "Run a TTFS checkpoint as a spiking network over the test set and report spikes, latency and agreement.")

    @Option(name: .long, help: ArgumentHelp("Checkpoint of a ttfs run (it holds the spec).", valueName: "file"))
    var checkpoint: String

    /// Only the test split is read.
    @OptionGroup(title: "Data") var dataset: DatasetOptions

    func run() throws {
        do {
            let ck = try Checkpoint.read(from: checkpoint)
            let spec = try RunSpec.decode(Data(ck.specJSON.utf8), source: checkpoint)
            guard let method = try MethodFactory.make(spec) as? TTFS else {
                throw SetupError("\(checkpoint): the run's method is \(spec.method.rawValue), not ttfs; give a ttfs checkpoint")
            }
            let test = try IDXDataset.load(directory: dataset.data, split: .test, limit: dataset.limit)
            print(method.report(parameters: ck.parameters, state: ck.state, data: test).rendered, terminator: "")
        } catch {
            FileHandle.standardError.write("snn-coord ttfs-report: \(error)\n".data(using: .utf8)!)
            throw ExitCode.failure
        }
    }
}
