import Testing
import SNNCore
import SNNEnergy
import SNNModel

/// Runs one layer's forward (and, given `gradOutput`, backward) pass in `mode` over `parameters`.
/// Returns the output, the input gradient and the cache (whatever forward saved, and backward left).
func runLayer(_ layer: any Layer, _ x: Activation, mode: PassMode, steps: Int, parameters: [Float] = [0],
              gradOutput: (Activation) -> Activation? = { _ in nil })
    -> (y: Activation, dx: Activation?, cache: LayerCache, savedAfterForward: (any LayerState)?, gradients: [Float]) {
    var grads = [Float](repeating: 0, count: max(1, parameters.count))
    var stats = [Float](repeating: 0, count: max(1, layer.statisticsCount))
    let cache = LayerCache()
    var y: Activation!, dx: Activation?, saved: (any LayerState)?
    parameters.withUnsafeBufferPointer { pp in
        grads.withUnsafeMutableBufferPointer { gp in
            stats.withUnsafeMutableBufferPointer { sp in
                var ctx = PassContext(mode: mode, steps: steps, parameters: pp.baseAddress!, state: pp.baseAddress!,
                                      gradients: mode == .training ? gp.baseAddress : nil, statistics: sp.baseAddress,
                                      ledger: EventLedger(layerNames: [layer.name], timesteps: steps))
                y = layer.forward(x, context: &ctx, cache: cache)
                saved = cache.state
                if mode == .training, let dy = gradOutput(y) {
                    dx = layer.backward(dy, context: &ctx, cache: cache, needInput: true)
                }
            }
        }
    }
    return (y, dx, cache, saved, grads)
}

/// Each layer kind's typed saved state holds what its backward pass needs, checked against the scalar references
/// (SNNCore's `…Reference` functions, the textbook recursions the SIMD kernels are tested against), and backward
/// consumes it.
@Suite struct LayerStateTests {
    /// LIF neurons: the saved pre-reset potentials and spike bits are the scalar recursion's, and backward from the
    /// saved state gives the reference gradient bit for bit (atan surrogate, as in the kernel tests).
    @Test(arguments: [ResetMode.hard, .soft], [4, 1])
    func spikingStateHoldsTheReferencePotentialsAndSpikes(reset: ResetMode, inputSteps: Int) throws {
        let steps = 4, batch = 3, features = [37], count = batch * 37
        let p = LIFParameters(leak: 0.8, threshold: 0.6, reset: reset)
        let surrogate = Surrogate.atan(alpha: 2)
        let layer = SpikingLayer(name: "lif1", index: 0, shape: features, neuron: p, surrogate: surrogate)
        let x = randomInput(steps: inputSteps, batch: batch, features: features, seed: 11)
        let dy = randomInput(steps: steps, batch: batch, features: features, seed: 12)
        let run = runLayer(layer, x, mode: .training, steps: steps, gradOutput: { _ in dy })
        let ref = lifForwardReference(p, input: x.data, inputSteps: inputSteps, steps: steps, count: count)
        #expect(run.y.data == ref.spikes)
        #expect(ref.spikes.contains(1) && ref.spikes.contains(0))

        let s = try #require(run.savedAfterForward as? SpikingLayerState)
        #expect(s.potentials == ref.potentials)
        #expect(s.spikeBits == (reset == .hard ? packSpikes(ref.spikes, count: ref.spikes.count) : []))
        #expect(s.steps == steps && s.batch == batch && s.features == features && s.inputSteps == inputSteps)
        #expect(s.neuronsPerStep == count)

        let dx = try #require(run.dx)
        #expect(dx.steps == inputSteps)
        #expect(dx.data == lifBackwardReference(p, surrogate: surrogate, gradSpikes: dy.data, potentials: ref.potentials,
                                                spikes: ref.spikes, steps: steps, count: count, inputSteps: inputSteps))
        #expect(run.cache.state == nil, "backward leaves the saved state behind")
    }

    /// Batch norm keeps the input as normalised (a per-step layer's constant input copied to every step), the batch
    /// mean and 1/√(var + ε) of the double-precision reference, and the steps the input came with.
    @Test(arguments: [true, false], [1, 3])
    func batchNormStateHoldsTheReferenceStatistics(perStep: Bool, inputSteps: Int) throws {
        let steps = 3, batch = 4, features = [2, 2, 3], c = 3
        let layer = BatchNormLayer(name: "bn1", index: 0, shape: features, perStep: perStep, shift: true, epsilon: 1e-4,
                                   momentum: 0.1, timesteps: steps)
        var r = GradRNG(s: 21)
        let parameters = (0..<layer.parameterCount).map { _ in 1 + 0.5 * r.float() }
        let x = randomInput(steps: inputSteps, batch: batch, features: features, seed: 22)
        let run = runLayer(layer, x, mode: .training, steps: steps, parameters: parameters,
                           gradOutput: { y in randomInput(steps: y.steps, batch: batch, features: features, seed: 23) })
        let s = try #require(run.savedAfterForward as? BatchNormLayerState)
        let normalised = perStep ? x.broadcast(to: steps) : x
        #expect(s.input.steps == normalised.steps && s.input.data == normalised.data)
        #expect(s.inputSteps == inputSteps)

        let groups = perStep ? steps : 1
        let rows = (perStep ? 1 : normalised.steps) * batch * 4
        let n = groups * c
        let ref = batchNormForwardTrainingReference(x: normalised.data, groups: groups, rows: rows, channels: c,
                                                    gamma: Array(parameters[0..<n]), beta: Array(parameters[n..<(2 * n)]),
                                                    epsilon: 1e-4)
        #expect(s.mean.count == n && s.invStd.count == n)
        for i in 0..<n {
            #expect(abs(s.mean[i] - ref.mean[i]) <= 1e-5 * max(1, abs(ref.mean[i])), "mean \(i)")
            #expect(abs(s.invStd[i] - ref.invStd[i]) <= 1e-5 * max(1, abs(ref.invStd[i])), "invStd \(i)")
        }
        // Backward from the state: a constant input's gradient is summed back to its one step.
        let dx = try #require(run.dx)
        #expect(dx.steps == inputSteps)
        #expect(run.cache.state == nil)
    }

    /// Max pooling keeps the reference's argmax (first maximum of each window) and routes the gradient by it;
    /// average pooling keeps nothing.
    @Test func poolStateHoldsTheReferenceArgmax() throws {
        let steps = 2, batch = 3, features = [4, 6, 5]
        let x = randomInput(steps: steps, batch: batch, features: features, seed: 31)
        let maxPool = PoolLayer(name: "maxpool1", index: 0, kind: .max, size: 2, inputShape: features)
        let dy = randomInput(steps: steps, batch: batch, features: maxPool.outputShape, seed: 32)
        let run = runLayer(maxPool, x, mode: .training, steps: steps, gradOutput: { _ in dy })
        let ref = maxPoolForwardReference(input: x.data, images: steps * batch, height: 4, width: 6, channels: 5, size: 2)
        let s = try #require(run.savedAfterForward as? PoolLayerState)
        #expect(s.argmax == ref.argmax)
        #expect(run.dx?.data == maxPoolBackwardReference(gradOutput: dy.data, argmax: ref.argmax, inputCount: x.data.count))
        #expect(run.cache.state == nil)

        let average = PoolLayer(name: "avgpool1", index: 0, kind: .average, size: 2, inputShape: features)
        let avg = runLayer(average, x, mode: .training, steps: steps, gradOutput: { _ in dy })
        #expect(avg.savedAfterForward == nil)
        #expect(avg.dx?.data.count == x.data.count)
    }

    /// DSR keeps only the mean input of each neuron (the reference's representation of the input), and the steps.
    @Test(arguments: [DSRNeuronModel.integrateAndFire, .leakyIntegrateAndFire], [5, 1])
    func dsrStateHoldsTheReferenceMeanInput(model: DSRNeuronModel, inputSteps: Int) throws {
        let steps = 5, batch = 2, features = [19], count = batch * 19
        let p = DSRParameters(model: model, alpha: 0.5, thresholdFloor: 0.01, tau: 2, dt: 1)
        let layer = DSRSpikingLayer(name: "dsr1", index: 0, shape: features, neuron: p, initialThreshold: 0.3)
        let x = randomInput(steps: inputSteps, batch: batch, features: features, seed: 41)
        let run = runLayer(layer, x, mode: .training, steps: steps, parameters: [0.3],
                           gradOutput: { y in randomInput(steps: steps, batch: batch, features: features, seed: 42) })
        let s = try #require(run.savedAfterForward as? DSRSpikingLayerState)
        #expect(s.inputSteps == inputSteps && s.steps == steps)
        if inputSteps == 1 {
            #expect(s.meanInput == x.data)   // the mean of a constant is the constant, exactly
        } else {
            let perStep = (0..<steps).map { t in Array(x.data[(t * count)..<((t + 1) * count)]) }
            let ref = dsrRepresentationReference(p, steps: perStep)
            for i in 0..<count { #expect(abs(s.meanInput[i] - ref[i]) <= 1e-5 * max(1, abs(ref[i])), "neuron \(i)") }
        }
        #expect(run.dx?.steps == inputSteps)
        #expect(run.cache.state == nil)
    }

    /// Convolution keeps its input and which kernel ran: event-driven for sparse spikes (about 1 % non-zero, under
    /// `eventDrivenDensityAgainstDirect`), the direct or im2col kernels for real values.
    @Test func convStateRecordsTheKernelThatRan() throws {
        let g = ConvGeometry(height: 6, width: 6, channels: 8, kernel: 3, stride: 1, padding: 1, outChannels: 16)
        #expect(SpikeConv2D.supports(g))
        let layer = ConvLayer(name: "conv1", index: 0, geometry: g, bias: true)
        var r = GradRNG(s: 51)
        let parameters = (0..<layer.parameterCount).map { _ in 0.2 * r.float() }
        let n = 2 * 3 * g.inputSize
        let sparse = Activation(steps: 2, batch: 3, features: layer.inputShape,
                                data: (0..<n).map { _ in r.next() % 100 == 0 ? 1 : 0 }, spikeLike: true)
        let dense = randomInput(steps: 2, batch: 3, features: layer.inputShape, seed: 52)
        for (x, eventDriven) in [(sparse, ConvLayer.eventDrivenEnabled), (dense, false)] {
            let run = runLayer(layer, x, mode: .training, steps: 2, parameters: parameters,
                               gradOutput: { y in randomInput(steps: y.steps, batch: 3, features: y.features, seed: 53) })
            let s = try #require(run.savedAfterForward as? ConvLayerState)
            #expect(s.eventDriven == eventDriven)
            #expect(s.input.data == x.data && s.input.steps == 2 && s.input.batch == 3)
            #expect(run.dx?.data.count == n)
            #expect(run.cache.state == nil)
        }
    }

    /// Dense keeps its input, ReLU its output (the gradient passes where it is positive), the temporal-kernel layer
    /// its input, output and the mode it ran in.
    @Test func denseReLUAndTemporalKernelStatesHoldTheirValues() throws {
        let x = randomInput(steps: 1, batch: 4, features: [6], seed: 61)
        let dense = DenseLayer(name: "fc1", index: 0, inputs: 6, outputs: 3, bias: false)
        let d = runLayer(dense, x, mode: .training, steps: 1, parameters: (0..<18).map { Float($0) / 18 },
                         gradOutput: { y in randomInput(steps: 1, batch: 4, features: [3], seed: 62) })
        #expect((d.savedAfterForward as? DenseLayerState)?.input.data == x.data)
        #expect(d.cache.state == nil)

        let relu = ReLULayer(name: "relu1", index: 0, shape: [6])
        let dy = randomInput(steps: 1, batch: 4, features: [6], seed: 63)
        let rl = runLayer(relu, x, mode: .training, steps: 1, gradOutput: { _ in dy })
        #expect((rl.savedAfterForward as? ReLULayerState)?.output.data == x.data.map { max($0, 0) })
        #expect(rl.dx?.data == zip(x.data, dy.data).map { $0 > 0 ? $1 : 0 })

        let tk = TTFSKernelLayer(name: "tk1", index: 0, shape: [6], kernel: TemporalKernel(tau: 2, delay: 0, window: 8))
        let mode = TTFSKernelMode.kernel(quantizer: .round, clip: true, trainKernel: true)
        let t = runLayer(tk, x, mode: .training, steps: 1, parameters: [2, 0],
                         gradOutput: { _ in dy })
        let s = try #require(t.savedAfterForward as? TTFSKernelLayerState)
        #expect(s.mode == .evaluation, "the protocol's forward runs the evaluation mode")
        #expect(s.input.data == x.data && s.output.data == t.y.data)
        let cache = LayerCache()
        let kernelParameters: [Float] = [2, 0]
        kernelParameters.withUnsafeBufferPointer { pp in
            var ctx = PassContext(mode: .training, steps: 1, parameters: pp.baseAddress!, state: pp.baseAddress!, gradients: nil,
                                  statistics: nil, ledger: EventLedger(layerNames: ["tk1"], timesteps: 1))
            _ = tk.forward(x, mode: mode, context: &ctx, cache: cache)
        }
        #expect(cache.saved(TTFSKernelLayerState.self)?.mode == mode)
        #expect(cache.saved(DenseLayerState.self) == nil, "a state is only handed out as its own type")
    }

    /// A whole network: a training forward leaves each stateful layer its own state type, backward consumes every
    /// one, and inference saves nothing.
    @Test func networkTrainingSavesEachLayersOwnStateAndInferenceNone() {
        let net = Network(NetworkConfig(inputShape: [4, 4, 1], timesteps: 3,
                                        layers: [.conv(channels: 2, kernel: 3, stride: 1, padding: 1, bias: false),
                                                 .batchNorm(perStep: true, shift: false, epsilon: 1e-4, momentum: 0.1),
                                                 .spiking(LIFParameters(leak: 0.9, threshold: 0.5, reset: .hard), .atan(alpha: 2)),
                                                 .maxPool(size: 2), .flatten, .dense(units: 3, bias: true)],
                                        readout: .meanPotential, initializer: .xavierUniform(gain: 2)))
        let (p, st) = net.initialValues(seed: 3)
        let x = randomInput(steps: 1, batch: 4, features: [4, 4, 1], seed: 71)
        for mode in [PassMode.training, .inference] {
            var grads = [Float](repeating: 0, count: net.parameterCount)
            var stats = [Float](repeating: 0, count: net.statisticsCount)
            let caches = net.makeCaches()
            p.withUnsafeBufferPointer { pp in st.withUnsafeBufferPointer { sp in
                grads.withUnsafeMutableBufferPointer { gp in stats.withUnsafeMutableBufferPointer { stp in
                    var ctx = PassContext(mode: mode, steps: 3, parameters: pp.baseAddress!, state: sp.baseAddress!,
                                          gradients: gp.baseAddress, statistics: stp.baseAddress, ledger: net.makeLedger())
                    let (logits, last) = net.forward(x, context: &ctx, caches: caches)
                    let states = caches.map { $0.state.map { String(describing: type(of: $0)) } ?? "-" }
                    if mode == .training {
                        #expect(states == ["ConvLayerState", "BatchNormLayerState", "SpikingLayerState", "PoolLayerState", "-",
                                           "DenseLayerState"])
                        net.backward(gradLogits: logits.map { _ in 0.1 }, last: last, context: &ctx, caches: caches)
                        #expect(caches.allSatisfy { $0.state == nil }, "backward consumed every saved state")
                    } else {
                        #expect(states.allSatisfy { $0 == "-" }, "inference saved \(states)")
                    }
                }}
            }}
            if mode == .training { #expect(grads.contains { $0 != 0 }) }
        }
    }
}
