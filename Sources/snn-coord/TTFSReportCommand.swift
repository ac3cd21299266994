import ArgumentParser
import Foundation
import SNNCluster
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

    @Option(name: .long, help: ArgumentHelp("Directory holding the IDX files.", valueName: "dir"))
    var data = IDXDataset.defaultDirectory

    @Option(name: .long, parsing: .unconditional, help: ArgumentHelp("Use only the first N test images.", valueName: "n"))
    var limit: Int?

    func validate() throws {
        if let l = limit, l < 1 { throw ValidationError("--limit must be ≥ 1") }
    }

    func run() throws {
        do {
            let ck = try Checkpoint.read(from: checkpoint)
            let spec = try RunSpec.decode(Data(ck.specJSON.utf8), source: checkpoint)
            guard let method = try MethodFactory.make(spec) as? TTFS else {
                throw SetupError("\(checkpoint): the run's method is \(spec.method.rawValue), not ttfs; give a ttfs checkpoint")
            }
            let test = try IDXDataset.load(directory: data, split: .test, limit: limit)
            print(method.report(parameters: ck.parameters, state: ck.state, data: test).rendered, terminator: "")
        } catch {
            FileHandle.standardError.write("snn-coord ttfs-report: \(error)\n".data(using: .utf8)!)
            throw ExitCode.failure
        }
    }
}
