import ArgumentParser
import Foundation
import SNNCluster
import SNNInterchange
import SNNModel

/// `snn-coord export --nir FILE [RUN|CHECKPOINT]`: a trained network as a NIR graph (cluster/runs/README.md, "NIR").
struct ExportNIR: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write a trained network as a NIR graph (Neuromorphic Intermediate Representation, HDF5).",
        discussion: """
        RUN is a run id (its runs/RUN/checkpoint.ckpt) or a checkpoint file; without it, --spec exports the spec's \
        initial network. Our discrete-time neurons become NIR LIF/IF nodes by forward Euler at step --dt \
        (τ = Δt/(1 − leak), r = inputGain/(1 − leak)); batch norm over all steps is folded into the conv/dense \
        before it. What NIR cannot express exactly (soft reset, per-step batch norm, max pooling, DSR, TTFS) is \
        refused with one line. See cluster/runs/README.md, section NIR.
        """)

    @Option(name: .long, help: ArgumentHelp("The NIR file to write.", valueName: "file"))
    var nir: String

    @Argument(help: ArgumentHelp("Run id or checkpoint file.", valueName: "run"))
    var source: String?

    @Option(name: .long, help: ArgumentHelp("Export this spec's initial network instead of a checkpoint.", valueName: "file"))
    var spec: String?

    @Option(name: .long, parsing: .unconditional, help: ArgumentHelp("Time step Δt in seconds that NIR's time constants refer to.", valueName: "seconds"))
    var dt: Double = NIRDiscretisation.defaultDt

    func validate() throws {
        if (source == nil) == (spec == nil) { throw ValidationError("give a run id or checkpoint file, or --spec FILE (one of them)") }
        if !(dt > 0) || !dt.isFinite { throw ValidationError("--dt must be a positive number of seconds") }
    }

    func run() throws {
        do {
            let (runSpec, parameters, state, source) = try load()
            let graph = try NIRExport.graph(spec: runSpec, parameters: parameters, state: state, dt: dt)
            try NIRFile.write(graph, to: nir)
            let kinds = graph.nodes.map(\.type).joined(separator: " → ")
            print("exported \(source) to \(nir): \(kinds) (Δt = \(dt) s, T = \(runSpec.timesteps))")
            if runSpec.input.encoding != .direct || runSpec.input.normalize != nil {
                print("note: the graph's Input receives the encoded input (\(runSpec.input.encoding.rawValue)\(runSpec.input.normalize != nil ? ", normalised" : "")); NIR has no encoder, so it is recorded in the Input node's metadata")
            }
        } catch let e as NIRError {
            FileHandle.standardError.write("snn-coord export: \(e)\n".data(using: .utf8)!)
            throw ExitCode.failure
        } catch {
            FileHandle.standardError.write("snn-coord export: \(error)\n".data(using: .utf8)!)
            throw ExitCode.failure
        }
    }

    /// Spec, parameters and state from the checkpoint, or the spec's initial values.
    func load() throws -> (RunSpec, [Float], [Float], String) {
        if let spec {
            let s = try RunSpec.load(path: spec)
            let (p, st) = try NIRExport.initialValues(s)
            return (s, p, st, "the initial network of \(spec)")
        }
        let r = source!
        let path = FileManager.default.fileExists(atPath: r) && !r.hasSuffix("/") ? r : "runs/\(r)/checkpoint.ckpt"
        if let head = FileHandle(forReadingAtPath: path)?.readData(ofLength: 8), head == Data("SNNECC01".utf8) {
            throw NIRError("\(path): an ECC-converted model: its IF neurons reset by subtraction (U ← U − θ) and start at h·θ, "
                           + "while NIR's IF resets to v_reset and starts at 0, so there is no exact NIR graph for it")
        }
        let c = try Checkpoint.read(from: path)
        let s = try RunSpec.decode(Data(c.specJSON.utf8), source: "checkpoint \(path)")
        return (s, c.parameters, c.state, "\(path) (run \(c.runID), epoch \(c.epoch), step \(c.step))")
    }
}
