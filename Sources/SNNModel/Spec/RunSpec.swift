import Foundation

/// Everything a training run needs to know: method, time steps, input, neuron, layers, readout, training
/// and inference settings. The coordinator loads it from a file and sends it to the workers.
///
/// **File format: JSON** (read with Foundation's `JSONDecoder`, so it costs no extra dependency; TOML or
/// YAML would each need a package). Keys are camelCase; fields documented with a default may be left out;
/// unknown fields are errors (a typo such as `"kernal"` must not silently fall back to a default).
/// `cluster/runs/README.md` documents every field and default; `cluster/runs/*.json` are examples.
///
/// ```json
/// {"name": "w1-mlp", "method": "bptt", "timesteps": 8,
///  "input": {"shape": [28, 28, 1], "encoding": "direct"},
///  "neuron": {"leak": 0.5, "compare": ">=", "surrogate": {"kind": "atan", "alpha": 2}},
///  "layers": [{"type": "flatten"}, {"type": "dense", "units": 512}, {"type": "spiking"},
///             {"type": "dense", "units": 10}, {"type": "spiking"}],
///  "output": {"readout": "spike-count"},
///  "training": {"epochs": 3, "batchSize": 128, "microBatch": 64, "optimizer": {"kind": "adam", "lr": 0.001}}}
/// ```
///
/// `load` and `decode` also `validate`; every problem is a one-line `SpecError`
/// (`spec FILE: FIELD.PATH: what is wrong; how to fix`).
public struct RunSpec: Sendable, Equatable, Codable {
    /// A label for logs, metrics and checkpoints.
    public var name: String
    public var method: MethodKind
    /// Time steps T per sample (≥ 1).
    public var timesteps: Int
    public var input: InputSpec
    /// The default neuron of every `spiking` layer.
    public var neuron: NeuronSpec
    public var layers: [LayerSpec]
    public var output: OutputSpec
    public var training: TrainingSpec
    /// Default: no early exit.
    public var inference: InferenceSpec
    /// TTFS settings (method `ttfs` only); nil = the reference defaults.
    public var ttfs: TTFSSpec?

    public init(name: String, method: MethodKind, timesteps: Int, input: InputSpec, neuron: NeuronSpec, layers: [LayerSpec],
                output: OutputSpec, training: TrainingSpec, inference: InferenceSpec = InferenceSpec(), ttfs: TTFSSpec? = nil) {
        self.name = name
        self.method = method
        self.timesteps = timesteps
        self.input = input
        self.neuron = neuron
        self.layers = layers
        self.output = output
        self.training = training
        self.inference = inference
        self.ttfs = ttfs
    }

    /// The neuron of `layers[index]` when it is a spiking layer (its override or the run's neuron); nil
    /// for other layers.
    public func neuron(ofLayer index: Int) -> NeuronSpec? {
        guard case .spiking(let spec) = layers[index] else { return nil }
        return spec.neuron ?? neuron
    }

    // MARK: Files

    /// Reads, decodes and validates the spec at `path`. Errors are `SpecError`s naming `path`.
    public static func load(path: String) throws -> RunSpec {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            let exists = FileManager.default.fileExists(atPath: path)
            throw SpecError(source: path, path: "", exists
                ? "cannot be read (\((error as NSError).localizedDescription)); check its permissions"
                : "not found; check the path (relative paths start at \(FileManager.default.currentDirectoryPath))")
        }
        return try decode(data, source: path)
    }

    /// Decodes and validates JSON `data`; `source` names it in errors (a path, or e.g. "<coordinator>").
    public static func decode(_ data: Data, source: String) throws -> RunSpec {
        let spec: RunSpec
        if let repeated = DuplicateJSONKeys.first(in: [UInt8](data)) {
            throw SpecError(source: source, path: repeated, "the key appears twice in one object (JSON keeps only the last); keep one")
        }
        do {
            spec = try makeDecoder().decode(RunSpec.self, from: data)
        } catch {
            throw SpecError.decoding(error, data: data, source: source)
        }
        do {
            try spec.validate()
        } catch let error as SpecError {
            throw error.from(source)
        }
        return spec
    }

    /// Pretty-printed JSON with sorted keys and every defaulted field written out; `decode` of it gives
    /// back an equal spec.
    public func encoded() -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        do {
            return try encoder.encode(self)
        } catch {
            preconditionFailure("RunSpec.encoded: \(error)")
        }
    }

    static func makeDecoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        // Accept what `encoded()` writes for non-finite numbers; `validate` then rejects them by name.
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return decoder
    }

    // MARK: Codable

    static let fields = ["name", "method", "timesteps", "input", "neuron", "layers", "output", "training", "inference", "ttfs"]

    public init(from decoder: any Decoder) throws {
        let c = try decoder.strictContainer(fields: Self.fields)
        name = try c.required("name")
        method = try c.required("method")
        timesteps = try c.required("timesteps")
        input = try c.required("input")
        // TTFS neurons are set by `ttfs`; the run's neuron is then optional (and unused).
        let isTTFS = (try? c.decode(MethodKind.self, forKey: SpecKey("method"))) == .ttfs
        neuron = isTTFS ? try c.optional("neuron", default: NeuronSpec(surrogate: SurrogateSpec(kind: .triangular)))
                        : try c.required("neuron")
        // Layers decode one by one so that spiking layers' partial neuron overrides merge over `neuron`.
        guard c.contains(SpecKey("layers")) else {
            throw DecodingError.keyNotFound(SpecKey("layers"), .init(codingPath: c.codingPath, debugDescription: "missing"))
        }
        var list = try c.nestedUnkeyedContainer(forKey: SpecKey("layers"))
        var layers: [LayerSpec] = []
        while !list.isAtEnd {
            layers.append(try LayerSpec(from: list.superDecoder(), defaultNeuron: neuron))
        }
        self.layers = layers
        output = try c.required("output")
        training = try c.required("training")
        inference = try c.optional("inference", default: InferenceSpec())
        ttfs = try c.optional("ttfs")
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: SpecKey.self)
        try c.encode(name, forKey: SpecKey("name"))
        try c.encode(method, forKey: SpecKey("method"))
        try c.encode(timesteps, forKey: SpecKey("timesteps"))
        try c.encode(input, forKey: SpecKey("input"))
        try c.encode(neuron, forKey: SpecKey("neuron"))
        try c.encode(layers, forKey: SpecKey("layers"))
        try c.encode(output, forKey: SpecKey("output"))
        try c.encode(training, forKey: SpecKey("training"))
        try c.encode(inference, forKey: SpecKey("inference"))
        try c.encodeIfPresent(ttfs, forKey: SpecKey("ttfs"))
    }
}
