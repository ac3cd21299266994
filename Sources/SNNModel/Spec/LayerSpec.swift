/// One layer of the network, applied in order at every time step.
///
/// JSON: an object whose `type` names the layer, with that layer's fields beside it:
/// `{"type": "conv", "channels": 32, "kernel": 3, "padding": 1}`. Types: `conv`, `dense`, `batchnorm`,
/// `spiking`, `avgpool`, `maxpool`, `flatten`. Fields of another type are errors, not ignored.
public enum LayerSpec: Sendable, Equatable, Codable {
    /// 2-D convolution on `[H, W, C]` features.
    case conv(ConvSpec)
    /// Fully connected layer; its input must be 1-D (use `flatten` first).
    case dense(DenseSpec)
    /// Batch norm over channels (last axis); per time step (BNTT) or over all steps.
    case batchNorm(BatchNormSpec)
    /// A layer of spiking neurons (the run's `neuron` unless overridden); keeps the shape.
    case spiking(SpikingSpec)
    /// Average pooling with a square window and stride `size`.
    case avgPool(PoolSpec)
    /// Max pooling with a square window and stride `size`.
    case maxPool(PoolSpec)
    /// `[H, W, C]` → `[H·W·C]` (channels-last order).
    case flatten
    /// max(x, 0), element-wise (the non-spiking `ann` method; keeps the shape).
    case relu

    /// The JSON `type` names, in the order errors list them.
    public static let typeNames = ["conv", "dense", "batchnorm", "spiking", "avgpool", "maxpool", "flatten", "relu"]

    /// This layer's JSON `type`.
    public var typeName: String {
        switch self {
        case .conv: "conv"
        case .dense: "dense"
        case .batchNorm: "batchnorm"
        case .spiking: "spiking"
        case .avgPool: "avgpool"
        case .maxPool: "maxpool"
        case .flatten: "flatten"
        case .relu: "relu"
        }
    }

    /// Whether the layer holds trainable weights that a following layer's input depends on (conv, dense).
    public var isWeightLayer: Bool {
        switch self {
        case .conv, .dense: true
        default: false
        }
    }

    public init(from decoder: any Decoder) throws {
        try self.init(from: decoder, defaultNeuron: nil)
    }

    /// Decodes a layer; a spiking layer's partial `neuron` merges over `defaultNeuron` (the run's).
    init(from decoder: any Decoder, defaultNeuron: NeuronSpec?) throws {
        let c = try decoder.container(keyedBy: SpecKey.self)
        let type: String = try c.required("type")
        switch type {
        case "conv": self = .conv(try ConvSpec(from: decoder))
        case "dense": self = .dense(try DenseSpec(from: decoder))
        case "batchnorm": self = .batchNorm(try BatchNormSpec(from: decoder))
        case "spiking": self = .spiking(try SpikingSpec(from: decoder, defaultNeuron: defaultNeuron))
        case "avgpool": self = .avgPool(try PoolSpec(from: decoder))
        case "maxpool": self = .maxPool(try PoolSpec(from: decoder))
        case "flatten":
            _ = try decoder.strictContainer(fields: [], alsoAccepted: ["type"])
            self = .flatten
        case "relu":
            _ = try decoder.strictContainer(fields: [], alsoAccepted: ["type"])
            self = .relu
        default:
            throw SpecFieldProblem(codingPath: decoder.codingPath + [SpecKey("type")],
                                   message: "unknown layer '\(type)' (expected \(Self.typeNames.joined(separator: ", ")))")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: SpecKey.self)
        try c.encode(typeName, forKey: SpecKey("type"))
        switch self {
        case .conv(let spec): try spec.encode(to: encoder)
        case .dense(let spec): try spec.encode(to: encoder)
        case .batchNorm(let spec): try spec.encode(to: encoder)
        case .spiking(let spec): try spec.encode(to: encoder)
        case .avgPool(let spec), .maxPool(let spec): try spec.encode(to: encoder)
        case .flatten, .relu: break
        }
    }
}
