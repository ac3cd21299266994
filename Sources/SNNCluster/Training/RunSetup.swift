import Foundation
import SNNCore
import SNNModel
import SNNMethods

/// A run ready to train: its spec (with command-line overrides applied), method, settings and data.
public struct RunSetup: @unchecked Sendable {
    public var spec: RunSpec
    public var specJSON: String
    public var method: any TrainingMethod
    public var settings: TrainingSettings
    public var train: LabeledImages
    public var test: LabeledImages

    /// Loads the spec and the dataset; every failure is one line naming the input and the fix.
    public static func load(specPath: String, dataDirectory: String, seed: UInt64?, epochs: Int?,
                            trainLimit: Int? = nil, testLimit: Int? = nil) throws -> RunSetup {
        var spec = try RunSpec.load(path: specPath)
        if let seed { spec.training.seed = seed }
        if let epochs { spec.training.epochs = epochs }
        return try make(spec: spec, dataDirectory: dataDirectory, trainLimit: trainLimit, testLimit: testLimit)
    }

    public static func make(spec: RunSpec, dataDirectory: String, trainLimit: Int? = nil, testLimit: Int? = nil) throws -> RunSetup {
        try spec.validate()
        let method = try MethodFactory.make(spec)
        let settings = Self.settings(spec)
        try checkResources(spec: spec, network: method.network)
        let train = try IDXDataset.load(directory: dataDirectory, split: .train, limit: trainLimit)
        let test = try IDXDataset.load(directory: dataDirectory, split: .test, limit: testLimit)
        return try make(spec: spec, method: method, settings: settings, train: train, test: test, source: dataDirectory, limit: trainLimit)
    }

    /// A run of `spec` on data already in memory (in-process tests), with the checks of `make(spec:dataDirectory:)`.
    public static func make(spec: RunSpec, train: LabeledImages, test: LabeledImages) throws -> RunSetup {
        try spec.validate()
        let method = try MethodFactory.make(spec)
        return try make(spec: spec, method: method, settings: settings(spec), train: train, test: test, source: "the data", limit: nil)
    }

    static func settings(_ spec: RunSpec) -> TrainingSettings {
        let t = spec.training
        return TrainingSettings(epochs: t.epochs, batchSize: t.batchSize, microBatch: t.microBatch, seed: t.seed,
                                optimizer: MethodFactory.optimizer(t.optimizer), learningRate: t.optimizer.lr,
                                schedule: MethodFactory.schedule(t.schedule),
                                gradientBits: t.communication?.gradientBits, updateBits: t.communication?.updateBits)
    }

    private static func make(spec: RunSpec, method: any TrainingMethod, settings: TrainingSettings, train: LabeledImages,
                             test: LabeledImages, source dataDirectory: String, limit trainLimit: Int?) throws -> RunSetup {
        let features = spec.input.shape.reduce(1, *)
        guard features == train.rows * train.columns else {
            throw SetupError("spec input.shape \(spec.input.shape) has \(features) values but \(dataDirectory) holds \(train.rows)x\(train.columns) images")
        }
        // The readout indexes the network's outputs by label: fewer outputs than classes would read past the
        // logits (the kernels' bounds checks are compiled out), more would train outputs no label ever names.
        guard method.network.classes == Self.classes else {
            throw SetupError("the spec's last layer gives \(method.network.classes) outputs but the data set has \(Self.classes) classes: set the last layer's units to \(Self.classes)")
        }
        guard train.count > 0, test.count > 0 else {
            throw SetupError("no training or test images (--limit \(trainLimit ?? 0)); give --limit ≥ 1 or none")
        }
        return RunSetup(spec: spec, specJSON: String(decoding: spec.encoded(), as: UTF8.self), method: method,
                        settings: settings, train: train, test: test)
    }

    /// Classes of the IDX data sets this build reads (Fashion-MNIST / MNIST).
    public static let classes = 10

    /// Memory one worker slot needs for one training micro-batch, estimated from the spec before anything is
    /// allocated: parameters with gradient and two optimizer buffers, plus every layer's output kept for all T
    /// steps of BPTT (value, membrane/state and gradient), 4 bytes each.
    public static func estimatedBytesPerMicroBatch(spec: RunSpec, network: Network) -> Double {
        let outputs = network.layers.reduce(0.0) { $0 + Double($1.outputShape.reduce(1, *)) }
        let input = Double(spec.input.shape.reduce(1, *))
        let perSample = (outputs + input) * Double(network.timesteps) * 3
        return 4 * (4 * Double(network.parameterCount) + perSample * Double(spec.training.microBatch))
    }

    /// Refuses, with one line, a spec whose micro-batch cannot fit in this machine's memory (instead of an
    /// abort with a backtrace on every worker in turn).
    static func checkResources(spec: RunSpec, network: Network) throws {
        let need = estimatedBytesPerMicroBatch(spec: spec, network: network)
        let have = Double(ProcessInfo.processInfo.physicalMemory)
        guard need <= have * 0.75 else {
            let gib = { (b: Double) in String(format: "%.1f GiB", b / Double(1 << 30)) }
            throw SetupError("the spec needs about \(gib(need)) per micro-batch of \(spec.training.microBatch) (T = \(network.timesteps), \(network.parameterCount) parameters) but this machine has \(gib(have)): lower timesteps, layer sizes or training.microBatch")
        }
    }

    /// The effective settings, printed at start-up.
    public var description: String {
        let net = method.network
        let opt: String
        switch settings.optimizer {
        case let .sgd(m, wd, nesterov): opt = "SGD lr \(settings.learningRate) momentum \(m) weight-decay \(wd)\(nesterov ? " nesterov" : "")"
        case let .adam(b1, b2, eps, wd, decoupled): opt = "\(decoupled ? "AdamW" : "Adam") lr \(settings.learningRate) betas (\(b1), \(b2)) eps \(eps) weight-decay \(wd)"
        }
        let rounding = [settings.gradientBits.map { "gradients \($0) bits" }, settings.updateBits.map { "updates \($0) bits (error carried)" }]
            .compactMap { $0 }
        let communication = rounding.isEmpty ? "" : "\ncommunication \(rounding.joined(separator: ", ")) per block of \(BlockQuantization.block)"
        return """
        run spec      \(spec.name)  method \(spec.method.rawValue)  T = \(spec.timesteps)  input \(spec.input.encoding.rawValue) \(spec.input.shape)
        network       \(net.layerNames.joined(separator: " → "))  (\(net.parameterCount) parameters, \(net.stateCount) running statistics)
        training      \(settings.epochs) epochs × \(stepsPerEpoch) steps, batch \(settings.batchSize) in micro-batches of \(settings.microBatch), seed \(settings.seed)
        optimizer     \(opt), schedule \(settings.schedule)
        data          \(train.count) train / \(test.count) test images \(train.rows)x\(train.columns)\(communication)
        """
    }

    public var stepsPerEpoch: Int { (train.count + settings.batchSize - 1) / settings.batchSize }
}

public struct SetupError: Error, CustomStringConvertible {
    public let description: String
    public init(_ d: String) { description = d }
}
