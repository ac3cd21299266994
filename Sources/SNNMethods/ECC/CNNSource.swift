import SNNCore
import SNNModel

/// A trained non-spiking CNN as ECC conversion reads it (METHODS §4.3), whatever it came from: a run of the `ann`
/// method or a Keras model. Weights are channels-last: conv `[kH, kW, C_in, C_out]`, dense `[in, out]`.
public enum CNNSourceLayer: Sendable, Equatable {
    case conv(ConvGeometry, weights: [Float], bias: [Float]?, name: String)
    case dense(inputs: Int, outputs: Int, weights: [Float], bias: [Float]?, name: String)
    /// Inference-mode batch norm: `γ(x − μ)/√(σ² + ε) + β` per channel (β nil = 0).
    case batchNorm(gamma: [Float], beta: [Float]?, mean: [Float], variance: [Float], epsilon: Float, name: String)
    case relu(name: String)
    case avgPool(size: Int, inputShape: [Int], name: String)
    case maxPool(size: Int, name: String)
    case flatten(name: String)

    public var name: String {
        switch self {
        case .conv(_, _, _, let n), .dense(_, _, _, _, let n), .batchNorm(_, _, _, _, _, let n), .relu(let n),
             .avgPool(_, _, let n), .maxPool(_, let n), .flatten(let n): n
        }
    }
}

/// What ECC cannot convert, in one line naming the layer and why.
public struct ECCError: Error, CustomStringConvertible {
    public let description: String
    public init(_ d: String) { description = d }
}

extension CNNSourceLayer {
    /// The layers of a trained `ann` network with its parameters and running statistics.
    public static func from(network: Network, parameters: [Float], state: [Float]) throws(ECCError) -> [CNNSourceLayer] {
        var out: [CNNSourceLayer] = []
        for l in network.layers {
            let p = l.parameterOffset
            if let c = l as? ConvLayer {
                let n = c.geometry.weightCount
                out.append(.conv(c.geometry, weights: Array(parameters[p..<(p + n)]),
                                 bias: c.hasBias ? Array(parameters[(p + n)..<(p + n + c.geometry.outChannels)]) : nil, name: c.name))
            } else if let d = l as? DenseLayer {
                let n = d.inputs * d.outputs
                out.append(.dense(inputs: d.inputs, outputs: d.outputs, weights: Array(parameters[p..<(p + n)]),
                                  bias: d.hasBias ? Array(parameters[(p + n)..<(p + n + d.outputs)]) : nil, name: d.name))
            } else if let b = l as? BatchNormLayer {
                guard !b.perStep else { throw ECCError("\(b.name): per-step batch norm (BNTT) has no single CNN equivalent; ECC converts \"perStep\": false") }
                let c = b.channels, s = b.stateOffset
                out.append(.batchNorm(gamma: Array(parameters[p..<(p + c)]), beta: b.shift ? Array(parameters[(p + c)..<(p + 2 * c)]) : nil,
                                      mean: Array(state[s..<(s + c)]), variance: Array(state[(s + c)..<(s + 2 * c)]),
                                      epsilon: b.epsilon, name: b.name))
            } else if l is ReLULayer {
                out.append(.relu(name: l.name))
            } else if let pool = l as? PoolLayer {
                if pool.kind == .max { out.append(.maxPool(size: pool.size, name: pool.name)) }
                else { out.append(.avgPool(size: pool.size, inputShape: pool.inputShape, name: pool.name)) }
            } else if l is FlattenLayer {
                out.append(.flatten(name: l.name))
            } else {
                throw ECCError("\(l.name): a spiking layer; ECC converts a trained non-spiking CNN (method \"ann\")")
            }
        }
        return out
    }
}
