import SNNCore
import SNNEnergy

/// Fully connected layer `y = x·W (+ b)` applied to every step; W is `[in, out]`.
///
/// All steps run as one GEMM with T·B rows; a constant input (steps == 1) is multiplied once.
public final class DenseLayer: Layer, @unchecked Sendable {
    public let name: String
    public let index: Int
    public let inputs: Int, outputs: Int, hasBias: Bool
    public var parameterOffset = 0, stateOffset = 0, statisticsOffset = 0
    public var inputShape: [Int] { [inputs] }
    public var outputShape: [Int] { [outputs] }
    public var parameterCount: Int { inputs * outputs + (hasBias ? outputs : 0) }
    public var annMACsPerSample: Int64 { Int64(inputs * outputs) }

    public init(name: String, index: Int, inputs: Int, outputs: Int, bias: Bool) {
        self.name = name; self.index = index; self.inputs = inputs; self.outputs = outputs; self.hasBias = bias
    }

    public func initialize(parameters: UnsafeMutablePointer<Float>, state: UnsafeMutablePointer<Float>,
                           initializer: WeightInitializer, rng: inout RandomStream) {
        initializer.fill(parameters + parameterOffset, count: inputs * outputs, fanIn: inputs, fanOut: outputs, rng: &rng)
        if hasBias { initializer.fillBias(parameters + parameterOffset + inputs * outputs, count: outputs, fanIn: inputs, rng: &rng) }
    }

    public func forward(_ x: Activation, context: inout PassContext, cache: LayerCache) -> Activation {
        precondition(x.featureCount == inputs, "\(name): expected \(inputs) inputs, got \(x.featureCount)")
        let rows = x.steps * x.batch
        var y = Activation(uninitialized: x.steps, batch: x.batch, features: [outputs])
        let w = context.parameters + parameterOffset
        x.data.withUnsafeBufferPointer { xp in
            y.data.withUnsafeMutableBufferPointer { yp in
                if hasBias { for r in 0..<rows { (yp.baseAddress! + r * outputs).update(from: w + inputs * outputs, count: outputs) } }
                BLAS.gemm(m: rows, n: outputs, k: inputs, a: xp.baseAddress!, lda: inputs, b: w, ldb: outputs,
                          beta: hasBias ? 1 : 0, c: yp.baseAddress!, ldc: outputs)
            }
        }
        countForward(x, context: &context)
        if context.mode == .training { cache.save(DenseLayerState(input: x)) }
        return y
    }

    private func countForward(_ x: Activation, context: inout PassContext) {
        let phase = context.forwardPhase
        for t in 0..<x.steps {
            var e = EventCounts()
            if x.spikeLike {
                let ops = x.constituentSpikes(step: t) * Int64(outputs)
                e.synapticOps = ops; e.weightReads = ops
            } else {
                let macs = Int64(x.batch) * Int64(inputs) * Int64(outputs)
                e.macs = macs; e.weightReads = macs
            }
            if hasBias { e.synapticOps += Int64(x.batch * outputs) }
            if context.mode == .training { e.savedStateWrites = x.savedWordsPerStep }   // the input, for dW
            context.ledger.record(phase, layer: index, t: t, e)
        }
    }

    public func backward(_ dy: Activation, context: inout PassContext, cache: LayerCache, needInput: Bool) -> Activation? {
        guard let x = cache.take(DenseLayerState.self)?.input, let g = context.gradients
        else { preconditionFailure("\(name): backward without forward") }
        precondition(dy.steps == x.steps, "\(name): gradient steps \(dy.steps) != input steps \(x.steps)")
        let rows = x.steps * x.batch
        let w = context.parameters + parameterOffset
        let gw = g + parameterOffset
        var dx: Activation? = needInput ? Activation(uninitialized: x.steps, batch: x.batch, features: x.features) : nil
        x.data.withUnsafeBufferPointer { xp in
            dy.data.withUnsafeBufferPointer { dp in
                // dW[in, out] += xᵀ · dy
                BLAS.gemm(transA: true, m: inputs, n: outputs, k: rows, a: xp.baseAddress!, lda: inputs,
                          b: dp.baseAddress!, ldb: outputs, beta: 1, c: gw, ldc: outputs)
                if hasBias {
                    let gb = gw + inputs * outputs
                    for r in 0..<rows { for o in 0..<outputs { gb[o] += dp[r * outputs + o] } }
                }
                if dx != nil {
                    dx!.data.withUnsafeMutableBufferPointer { dxp in
                        // Few outputs (W1's 512 → 10): an FMA chain per element in the GEMM's order, no GEMM call.
                        if outputs <= DenseInputGradient.maximumOutputs {
                            DenseInputGradient.dyWTranspose(rows: rows, inputs: inputs, outputs: outputs, dy: dp.baseAddress!,
                                                            w: w, dx: dxp.baseAddress!)
                        } else {
                            BLAS.gemm(transB: true, m: rows, n: inputs, k: outputs, a: dp.baseAddress!, lda: outputs,
                                      b: w, ldb: outputs, c: dxp.baseAddress!, ldc: inputs)
                        }
                    }
                }
            }
        }
        let perStep = Int64(x.batch) * Int64(inputs) * Int64(outputs)
        for t in 0..<x.steps {
            var e = EventCounts()
            e.macs = perStep * (needInput ? 2 : 1)
            e.weightReads = needInput ? perStep : 0
            e.savedStateReads = x.savedWordsPerStep
            context.ledger.record(.trainBackward, layer: index, t: t, e)
        }
        return dx
    }
}
