/// The fields of each layer type; each decodes from the layer's JSON object (beside its `type`).

/// `{"type":"conv","channels":32,"kernel":3,"stride":1,"padding":1,"bias":false}`: square kernel,
/// zero padding on all sides; `channels` and `kernel` required, `stride` 1, `padding` 0, `bias` false.
public struct ConvSpec: Sendable, Equatable, Codable {
    /// Output channels.
    public var channels: Int
    /// Kernel side length.
    public var kernel: Int
    public var stride: Int
    public var padding: Int
    public var bias: Bool

    public init(channels: Int, kernel: Int, stride: Int = 1, padding: Int = 0, bias: Bool = false) {
        self.channels = channels
        self.kernel = kernel
        self.stride = stride
        self.padding = padding
        self.bias = bias
    }

    static let fields = ["channels", "kernel", "stride", "padding", "bias"]

    public init(from decoder: any Decoder) throws {
        let c = try decoder.strictContainer(fields: Self.fields, alsoAccepted: ["type"])
        channels = try c.required("channels")
        kernel = try c.required("kernel")
        stride = try c.optional("stride", default: 1)
        padding = try c.optional("padding", default: 0)
        bias = try c.optional("bias", default: false)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: SpecKey.self)
        try c.encode(channels, forKey: SpecKey("channels"))
        try c.encode(kernel, forKey: SpecKey("kernel"))
        try c.encode(stride, forKey: SpecKey("stride"))
        try c.encode(padding, forKey: SpecKey("padding"))
        try c.encode(bias, forKey: SpecKey("bias"))
    }
}

/// `{"type":"dense","units":10,"bias":false}`: `units` required, `bias` false.
public struct DenseSpec: Sendable, Equatable, Codable {
    public var units: Int
    public var bias: Bool

    public init(units: Int, bias: Bool = false) {
        self.units = units
        self.bias = bias
    }

    static let fields = ["units", "bias"]

    public init(from decoder: any Decoder) throws {
        let c = try decoder.strictContainer(fields: Self.fields, alsoAccepted: ["type"])
        units = try c.required("units")
        bias = try c.optional("bias", default: false)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: SpecKey.self)
        try c.encode(units, forKey: SpecKey("units"))
        try c.encode(bias, forKey: SpecKey("bias"))
    }
}

/// `{"type":"batchnorm","perStep":true,"shift":false,"epsilon":1e-4,"momentum":0.1}`, all optional.
///
/// Normalises each channel (the last axis). `perStep` true = BNTT (METHODS §3.3): separate statistics and
/// scale γ_t per time step; false = one BN over all T·B samples (W2, DSR). `shift` false drops β (BNTT).
/// Running statistics update as `r ← (1 − momentum)·r + momentum·batch`. `sharedAffine` (with `perStep`; default
/// false) keeps the statistics per step but shares one γ/β over all steps: snnTorch's `nn.BatchNorm2d` called in
/// its loop over T (W2's peer), except that the running statistics stay per step too.
public struct BatchNormSpec: Sendable, Equatable, Codable {
    /// Default false.
    public var perStep: Bool
    /// Learnable shift β; default true.
    public var shift: Bool
    /// Default 1e-5.
    public var epsilon: Float
    /// Default 0.1.
    public var momentum: Float
    /// With `perStep`: one γ (and β) for all steps, statistics per step. Default false.
    public var sharedAffine: Bool

    public init(perStep: Bool = false, shift: Bool = true, epsilon: Float = 1e-5, momentum: Float = 0.1,
                sharedAffine: Bool = false) {
        self.perStep = perStep
        self.shift = shift
        self.epsilon = epsilon
        self.momentum = momentum
        self.sharedAffine = sharedAffine
    }

    static let fields = ["perStep", "shift", "epsilon", "momentum", "sharedAffine"]

    public init(from decoder: any Decoder) throws {
        let c = try decoder.strictContainer(fields: Self.fields, alsoAccepted: ["type"])
        perStep = try c.optional("perStep", default: false)
        shift = try c.optional("shift", default: true)
        epsilon = try c.optional("epsilon", default: 1e-5)
        momentum = try c.optional("momentum", default: 0.1)
        sharedAffine = try c.optional("sharedAffine", default: false)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: SpecKey.self)
        try c.encode(perStep, forKey: SpecKey("perStep"))
        try c.encode(shift, forKey: SpecKey("shift"))
        try c.encode(epsilon, forKey: SpecKey("epsilon"))
        try c.encode(momentum, forKey: SpecKey("momentum"))
        if sharedAffine { try c.encode(sharedAffine, forKey: SpecKey("sharedAffine")) }   // absent = false: older encodings unchanged
    }
}

/// `{"type":"spiking"}` or `{"type":"spiking","neuron":{"threshold":0.5}}`.
///
/// `neuron` nil means the run's default neuron. A JSON `neuron` object is a partial override, merged
/// field by field over the run's neuron when the spec is decoded, so `neuron` here is always complete.
public struct SpikingSpec: Sendable, Equatable, Codable {
    public var neuron: NeuronSpec?

    public init(neuron: NeuronSpec? = nil) {
        self.neuron = neuron
    }

    public init(from decoder: any Decoder) throws {
        try self.init(from: decoder, defaultNeuron: nil)
    }

    init(from decoder: any Decoder, defaultNeuron: NeuronSpec?) throws {
        let c = try decoder.strictContainer(fields: ["neuron"], alsoAccepted: ["type"])
        if c.contains(SpecKey("neuron")), try !c.decodeNil(forKey: SpecKey("neuron")) {
            neuron = try NeuronSpec(from: c.superDecoder(forKey: SpecKey("neuron")), over: defaultNeuron)
        } else {
            neuron = nil
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: SpecKey.self)
        try c.encodeIfPresent(neuron, forKey: SpecKey("neuron"))
    }
}

/// `{"type":"avgpool","size":2}` / `{"type":"maxpool","size":2}`: `size`×`size` window, stride `size`,
/// no padding (output side = floor(input side / size)); `size` required.
public struct PoolSpec: Sendable, Equatable, Codable {
    public var size: Int

    public init(size: Int) {
        self.size = size
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.strictContainer(fields: ["size"], alsoAccepted: ["type"])
        size = try c.required("size")
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: SpecKey.self)
        try c.encode(size, forKey: SpecKey("size"))
    }
}
