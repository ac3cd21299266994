import Foundation
import SNNCore
import SNNEnergy
import SNNMethods

/// What travels for an ECC conversion sharded over workers (PROTOCOL.md §5.2): the WELCOME spec of a conversion run,
/// the two parameter vectors (version 1 the BN-folded CNN, version 2 the converted SNN) and the sizes a RESULT of
/// each job kind must have.
///
/// The spec is JSON, like a training run's spec, but with `"conversion": "ecc"`: a worker reads that key to know it
/// joined a conversion, not a training run.
public struct ConversionSpec: Codable, Sendable, Equatable {
    /// One layer's shape (the weights travel in the parameter vector).
    public struct Layer: Codable, Sendable, Equatable {
        public var kind: String
        public var name: String
        /// conv: height, width, channels, kernel, stride, padding, outChannels.
        public var conv: [Int]?
        /// dense: inputs, outputs.
        public var dense: [Int]?
        /// avgpool: size, height, width, channels.
        public var pool: [Int]?
        /// flatten: values.
        public var flatten: Int?
    }

    /// Always "ecc": marks a conversion run's spec.
    public var conversion = "ecc"
    public var inputShape: [Int]
    public var layers: [Layer]
    /// h, the residual-elimination threshold (METHODS §4.2): V_0 = h·θ.
    public var thresholding: Float
    /// The parameter version holding the BN-folded CNN (λ and CNN jobs run with it).
    public var cnnVersion = 1
    /// The parameter version holding the converted SNN (closed-form and time-stepped jobs run with it).
    public var snnVersion = 2

    public init(network: ECCNetwork, thresholding: Float) {
        inputShape = network.inputShape
        self.thresholding = thresholding
        layers = zip(network.layers, network.names).map { l, name in
            switch l {
            case let .conv(g, _, _):
                Layer(kind: "conv", name: name, conv: [g.height, g.width, g.channels, g.kernel, g.stride, g.padding, g.outChannels])
            case let .dense(i, o, _, _): Layer(kind: "dense", name: name, dense: [i, o])
            case let .avgPool(size, s): Layer(kind: "avgpool", name: name, pool: [size] + s)
            case .flatten(let n): Layer(kind: "flatten", name: name, flatten: n)
            }
        }
    }

    public var json: [UInt8] {
        let e = JSONEncoder(); e.outputFormatting = [.sortedKeys]
        return Array((try? e.encode(self)) ?? Data())
    }

    /// The spec of a conversion run, or nil when `bytes` is not one (a training run's spec has no "conversion" key).
    /// Throws when it says it is a conversion but cannot be read.
    public static func decodeIfConversion(_ bytes: [UInt8]) throws -> ConversionSpec? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any], object["conversion"] != nil else {
            return nil
        }
        let spec: ConversionSpec
        do { spec = try JSONDecoder().decode(ConversionSpec.self, from: Data(bytes)) } catch {
            throw SetupError("the coordinator's conversion spec cannot be read: \(error)")
        }
        guard spec.conversion == "ecc" else { throw SetupError("conversion '\(spec.conversion)' is not supported (only ecc)") }
        _ = try spec.shapes()
        return spec
    }

    /// The layers with empty weights (shapes only).
    func shapes() throws -> [ECCLayer] {
        try layers.map { l in
            if let c = l.conv, c.count == 7, c.allSatisfy({ $0 >= 0 }) {
                let g = ConvGeometry(height: c[0], width: c[1], channels: c[2], kernel: c[3], stride: c[4], padding: c[5], outChannels: c[6])
                return .conv(g, weights: [], bias: [])
            } else if let d = l.dense, d.count == 2, d.allSatisfy({ $0 >= 1 }) {
                return .dense(inputs: d[0], outputs: d[1], weights: [], bias: [])
            } else if let p = l.pool, p.count == 4, p.allSatisfy({ $0 >= 1 }) {
                return .avgPool(size: p[0], inputShape: Array(p[1...]))
            } else if let n = l.flatten, n >= 1 {
                return .flatten(count: n)
            }
            throw SetupError("conversion spec layer \(l.name): unknown kind '\(l.kind)' or bad shape")
        }
    }

    /// Weights and biases of every conv/dense layer, in layer order (weights first).
    public var weightCount: Int {
        layers.reduce(0) { n, l in
            if let c = l.conv, c.count == 7 { return n + c[3] * c[3] * c[2] * c[6] + c[6] }
            if let d = l.dense, d.count == 2 { return n + d[0] * d[1] + d[1] }
            return n
        }
    }

    /// Version 1: the folded CNN's weights and biases, layer by layer.
    public static func parameters(_ net: ECCNetwork) -> [Float] {
        var out: [Float] = []
        for l in net.layers {
            switch l {
            case let .conv(_, w, b), let .dense(_, _, w, b): out += w; out += b
            default: break
            }
        }
        return out
    }

    /// Version 2: the converted SNN's weights and biases, then one threshold per layer.
    public static func parameters(_ snn: ConvertedSNN) -> [Float] { parameters(snn.network) + snn.thresholds }

    /// The folded CNN from a version-1 vector (nil when its length is wrong).
    public func network(parameters p: [Float]) throws -> ECCNetwork? {
        guard p.count >= weightCount else { return nil }
        var off = 0
        func take(_ n: Int) -> [Float] { defer { off += n }; return Array(p[off..<(off + n)]) }
        let layers = try shapes().map { l -> ECCLayer in
            switch l {
            case .conv(let g, _, _): let w = take(g.weightCount); return .conv(g, weights: w, bias: take(g.outChannels))
            case let .dense(i, o, _, _): let w = take(i * o); return .dense(inputs: i, outputs: o, weights: w, bias: take(o))
            default: return l
            }
        }
        return ECCNetwork(inputShape: inputShape, layers: layers, names: self.layers.map(\.name))
    }

    /// The converted SNN from a version-2 vector (λ, κ and bits are not needed to run it; nil when its length is wrong).
    public func snn(parameters p: [Float]) throws -> ConvertedSNN? {
        guard p.count == weightCount + layers.count, let net = try network(parameters: p) else { return nil }
        return ConvertedSNN(network: net, thresholds: Array(p[weightCount...]), lambdas: [], kappa: 0, bits: 0)
    }

    /// Event-counter values of one inference RESULT at T: the whole ledger (`Phase` × layers × T cells ×
    /// `EventCounts.fieldNames`).
    public func ledgerValues(timesteps: Int) -> Int { Phase.allCases.count * layers.count * max(1, timesteps) * EventCounts.fieldNames.count }

    /// The array lengths a RESULT of `kind` at T must have: statistics, spikes per layer, counters.
    public func resultSizes(_ kind: ConversionTaskKind, timesteps: Int) -> (statistics: Int, spikes: Int, counters: Int) {
        switch kind {
        case .cnn: (0, 0, 0)
        case .lambda: (layers.count + 1, 0, 0)
        case .closedForm: (0, layers.count + 1, ledgerValues(timesteps: timesteps))
        case .timeStepped: (1, layers.count + 1, ledgerValues(timesteps: timesteps) + 4)
        }
    }
}

extension ConversionTaskKind {
    /// The phase byte of this job's WORK and RESULT keys.
    public var wirePhase: WorkPhase {
        switch self {
        case .cnn: .eccCNN
        case .lambda: .eccLambda
        case .closedForm: .eccClosedForm
        case .timeStepped: .eccTimeStepped
        }
    }

    public init?(wirePhase: WorkPhase) {
        switch wirePhase {
        case .eccCNN: self = .cnn
        case .eccLambda: self = .lambda
        case .eccClosedForm: self = .closedForm
        case .eccTimeStepped: self = .timeStepped
        case .train, .evaluate: return nil
        }
    }
}
