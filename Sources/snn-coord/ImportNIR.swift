import ArgumentParser
import Foundation
import SNNCluster
import SNNCore
import SNNInterchange
import SNNMethods
import SNNModel

/// `snn-coord import --nir FILE --spec-out SPEC.json`: a NIR graph as a run spec plus a checkpoint holding its
/// parameters, which `snn-coord start --resume CHECKPOINT` evaluates or fine-tunes.
struct ImportNIR: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Turn a NIR graph into a run spec and a checkpoint of its parameters.",
        discussion: """
        Supported: one chain Input → … → Output of Affine, Linear, Conv2d, AvgPool2d, Flatten, LIF and IF \
        (forward Euler at step --dt: leak = 1 − Δt/τ, inputGain = Δt·r/τ). Anything else, and recurrence or \
        branches, is refused naming the node. The checkpoint (--checkpoint-out, default SPEC with .ckpt) starts a \
        run at epoch 0 with the imported parameters:
          snn-coord start --resume net.ckpt --standalone              fine-tune (the spec's epochs), then evaluate
        With --finished the checkpoint is at the end of training, so `start --resume` only evaluates the test set.
        """)

    @Option(name: .long, help: ArgumentHelp("The NIR file to read.", valueName: "file"))
    var nir: String

    @Option(name: .long, help: ArgumentHelp("Where to write the run spec (JSON).", valueName: "file"))
    var specOut: String

    @Option(name: .long, help: ArgumentHelp("Where to write the parameters as a checkpoint (default: SPEC with .ckpt).", valueName: "file"))
    var checkpointOut: String?

    @Option(name: .long, help: ArgumentHelp("The run's name (default: the NIR file's name).", valueName: "name"))
    var name: String?

    @Option(name: .long, parsing: .unconditional, help: ArgumentHelp("Time step Δt in seconds (default: the file's, else 0.001).", valueName: "seconds"))
    var dt: Double?

    @Option(name: .long, parsing: .unconditional, help: ArgumentHelp("Time steps T (default: the file's, else 8).", valueName: "n"))
    var timesteps: Int?

    @Flag(name: .long, help: "Write the checkpoint as a finished run: `start --resume` then only evaluates.")
    var finished = false

    func validate() throws {
        if let dt, !(dt > 0) || !dt.isFinite { throw ValidationError("--dt must be a positive number of seconds") }
        if let t = timesteps, t < 1 { throw ValidationError("--timesteps must be ≥ 1") }
    }

    func run() throws {
        do {
            let runName = name ?? ((nir as NSString).lastPathComponent as NSString).deletingPathExtension
            let graph = try NIRFile.read(nir)
            let result = try NIRImport.run(graph, name: runName, dt: dt, timesteps: timesteps)
            for n in result.notes { FileHandle.standardError.write("note: \(n)\n".data(using: .utf8)!) }
            let specJSON = result.spec.encoded()
            guard FileManager.default.createFile(atPath: specOut, contents: specJSON) else {
                throw NIRError("\(specOut): cannot write the spec (check the directory exists and is writable)")
            }
            let ckpt = checkpointOut ?? (specOut.hasSuffix(".json") ? String(specOut.dropLast(5)) : specOut) + ".ckpt"
            let checkpoint = Checkpoint.imported(runID: RunID.make(name: runName), specJSON: String(decoding: specJSON, as: UTF8.self),
                                                 parameters: result.parameters, state: result.state,
                                                 optimizer: MethodFactory.optimizer(result.spec.training.optimizer),
                                                 epoch: finished ? result.spec.training.epochs : 0)
            try checkpoint.write(to: ckpt)
            let layers = result.spec.layers.map(\.typeName).joined(separator: ", ")
            print("imported \(nir): \(layers) (\(result.parameters.count) parameters, T = \(result.spec.timesteps), readout \(result.spec.output.readout.rawValue))")
            print("spec        \(specOut)")
            print("checkpoint  \(ckpt)   (snn-coord start --resume \(ckpt) --standalone \(finished ? "evaluates it" : "fine-tunes it"))")
        } catch let e as NIRError {
            FileHandle.standardError.write("snn-coord import: \(e)\n".data(using: .utf8)!)
            throw ExitCode.failure
        } catch {
            FileHandle.standardError.write("snn-coord import: \(error)\n".data(using: .utf8)!)
            throw ExitCode.failure
        }
    }
}
