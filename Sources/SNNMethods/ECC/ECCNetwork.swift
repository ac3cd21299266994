import Foundation
import SNNCore

/// One layer of a BN-folded CNN or of its converted SNN (METHODS §4.3). In the CNN every conv/dense but the last is
/// followed by a ReLU; in the SNN every layer but `flatten` is followed by IF neurons with its own threshold.
public enum ECCLayer: Sendable, Equatable {
    case conv(ConvGeometry, weights: [Float], bias: [Float])
    case dense(inputs: Int, outputs: Int, weights: [Float], bias: [Float])
    case avgPool(size: Int, inputShape: [Int])
    case flatten(count: Int)

    /// Neurons (values) this layer outputs per sample.
    public var outputCount: Int {
        switch self {
        case .conv(let g, _, _): g.outputSize
        case .dense(_, let o, _, _): o
        case .avgPool(let s, let i): (i[0] / s) * (i[1] / s) * i[2]
        case .flatten(let n): n
        }
    }

    public var isWeighted: Bool { if case .avgPool = self { false } else if case .flatten = self { false } else { true } }
}

/// A BN-folded CNN (thresholds unused) or a converted SNN: layers, their names and input shape.
public struct ECCNetwork: Sendable, Equatable {
    public var inputShape: [Int]
    public var layers: [ECCLayer]
    public var names: [String]
    public var inputCount: Int { inputShape.reduce(1, *) }
    public var classes: Int { layers.last!.outputCount }

    public init(inputShape: [Int], layers: [ECCLayer], names: [String]) {
        self.inputShape = inputShape; self.layers = layers; self.names = names
    }

    /// Folds batch norm into the preceding conv/dense with the training ε (§4.3 step 2:
    /// `W ← W·γ/√(σ²+ε)`, `b ← γ(b − μ)/√(σ²+ε) + β`) and checks the structure ECC converts: conv/dense [→ BN] → ReLU
    /// blocks, average pooling, flatten, a last conv/dense without ReLU (the logits; a softmax after it is implied).
    public static func fold(_ source: [CNNSourceLayer], inputShape: [Int]) throws(ECCError) -> ECCNetwork {
        var layers: [ECCLayer] = [], names: [String] = []
        var reluAfter: [Bool] = []
        var shape = inputShape
        for l in source {
            switch l {
            case let .conv(g, w, b, name):
                guard shape.count == 3, g.height == shape[0], g.width == shape[1], g.channels == shape[2] else {
                    throw ECCError("\(name): expects input \([g.height, g.width, g.channels]) but gets \(shape)")
                }
                layers.append(.conv(g, weights: w, bias: b ?? [Float](repeating: 0, count: g.outChannels))); names.append(name)
                reluAfter.append(false)
                shape = [g.outHeight, g.outWidth, g.outChannels]
            case let .dense(inputs, outputs, w, b, name):
                guard shape.reduce(1, *) == inputs, shape.count == 1 else {
                    throw ECCError("\(name): expects \(inputs) inputs but gets shape \(shape) (flatten before a dense layer)")
                }
                layers.append(.dense(inputs: inputs, outputs: outputs, weights: w, bias: b ?? [Float](repeating: 0, count: outputs)))
                names.append(name); reluAfter.append(false)
                shape = [outputs]
            case let .batchNorm(gamma, beta, mean, variance, eps, name):
                guard let last = layers.last, last.isWeighted, !reluAfter.last! else {
                    throw ECCError("\(name): batch norm must directly follow a conv or dense layer to be folded into it")
                }
                layers[layers.count - 1] = try foldInto(last, gamma, beta, mean, variance, eps, name)
            case .relu(let name):
                guard let last = layers.last, last.isWeighted, !reluAfter.last! else {
                    throw ECCError("\(name): ReLU must follow a conv or dense layer (or its batch norm)")
                }
                reluAfter[reluAfter.count - 1] = true
            case let .avgPool(size, inShape, name):
                guard shape.count == 3, inShape == shape else { throw ECCError("\(name): average pooling needs [H, W, C] input, gets \(shape)") }
                if let last = layers.last, last.isWeighted, !reluAfter.last! {
                    throw ECCError("\(name): pooling a conv output without a ReLU; ECC needs conv → [BN →] ReLU before pooling")
                }
                layers.append(.avgPool(size: size, inputShape: shape)); names.append(name); reluAfter.append(true)
                shape = [shape[0] / size, shape[1] / size, shape[2]]
            case .maxPool(_, let name):
                throw ECCError("\(name): max pooling cannot be converted by ECC (spike counts of a max are not the max of counts, METHODS §4.4); retrain with average pooling")
            case .flatten(let name):
                layers.append(.flatten(count: shape.reduce(1, *))); names.append(name); reluAfter.append(true)
                shape = [shape.reduce(1, *)]
            }
        }
        guard let lastIndex = layers.lastIndex(where: \.isWeighted), lastIndex == layers.count - 1 else {
            throw ECCError("the network must end with a conv or dense layer (the logits)")
        }
        if reluAfter[lastIndex] { throw ECCError("\(names[lastIndex]): the last layer gives the logits and must have no ReLU") }
        for i in 0..<lastIndex where layers[i].isWeighted && !reluAfter[i] {
            throw ECCError("\(names[i]): a hidden conv/dense layer without ReLU; ECC needs conv/dense → [BN →] ReLU blocks")
        }
        return ECCNetwork(inputShape: inputShape, layers: layers, names: names)
    }

    private static func foldInto(_ layer: ECCLayer, _ gamma: [Float], _ beta: [Float]?, _ mean: [Float], _ variance: [Float],
                                 _ eps: Float, _ name: String) throws(ECCError) -> ECCLayer {
        func fold(_ w: [Float], _ b: [Float], outputs: Int) -> ([Float], [Float]) {
            var w = w, b = b
            for o in 0..<outputs {
                let s = gamma[o] / (variance[o] + eps).squareRoot()
                for r in 0..<(w.count / outputs) { w[r * outputs + o] *= s }
                b[o] = s * (b[o] - mean[o]) + (beta?[o] ?? 0)
            }
            return (w, b)
        }
        switch layer {
        case let .conv(g, w, b):
            guard gamma.count == g.outChannels else { throw ECCError("\(name): \(gamma.count) channels after a conv with \(g.outChannels)") }
            let (fw, fb) = fold(w, b, outputs: g.outChannels)
            return .conv(g, weights: fw, bias: fb)
        case let .dense(i, o, w, b):
            guard gamma.count == o else { throw ECCError("\(name): \(gamma.count) channels after a dense layer with \(o)") }
            let (fw, fb) = fold(w, b, outputs: o)
            return .dense(inputs: i, outputs: o, weights: fw, bias: fb)
        default:
            throw ECCError("\(name): batch norm must directly follow a conv or dense layer")
        }
    }
}
