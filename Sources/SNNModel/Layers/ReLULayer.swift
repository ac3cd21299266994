import SNNCore
import SNNEnergy

/// `y = max(x, 0)` element-wise, for the non-spiking CNN (`ann`) that ECC converts (METHODS §4.3).
/// The backward pass passes the gradient where the input was positive (the output is kept as the mask).
public final class ReLULayer: Layer, @unchecked Sendable {
    public let name: String
    public let index: Int
    public let shape: [Int]
    public var parameterOffset = 0, stateOffset = 0, statisticsOffset = 0
    public var inputShape: [Int] { shape }
    public var outputShape: [Int] { shape }
    public var parameterCount: Int { 0 }

    public init(name: String, index: Int, shape: [Int]) { self.name = name; self.index = index; self.shape = shape }

    public func initialize(parameters: UnsafeMutablePointer<Float>, state: UnsafeMutablePointer<Float>,
                           initializer: WeightInitializer, rng: inout RandomStream) {}

    public func forward(_ x: Activation, context: inout PassContext, cache: LayerCache) -> Activation {
        var y = Activation(uninitialized: x.steps, batch: x.batch, features: x.features)
        x.data.withUnsafeBufferPointer { xp in
            y.data.withUnsafeMutableBufferPointer { yp in relu(xp.baseAddress!, yp.baseAddress!, count: xp.count) }
        }
        for t in 0..<x.steps {
            var e = EventCounts(); e.neuronUpdates = Int64(x.stepCount)
            context.ledger.record(context.forwardPhase, layer: index, t: t, e)
        }
        if context.mode == .training { cache.save(ReLULayerState(output: y)) }
        return y
    }

    public func backward(_ dy: Activation, context: inout PassContext, cache: LayerCache, needInput: Bool) -> Activation? {
        guard let y = cache.take(ReLULayerState.self)?.output else { preconditionFailure("\(name): backward without forward") }
        var dx = Activation(uninitialized: dy.steps, batch: dy.batch, features: dy.features)
        dy.data.withUnsafeBufferPointer { dp in
            y.data.withUnsafeBufferPointer { yp in
                dx.data.withUnsafeMutableBufferPointer { dxp in
                    for i in 0..<dxp.count { dxp[i] = yp[i] > 0 ? dp[i] : 0 }
                }
            }
        }
        return dx
    }
}
