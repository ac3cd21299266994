import Foundation
import SNNCore
import SNNModel

/// A trained network (run spec + flat parameters + running state) as a NIR graph.
///
/// Layers map one to one: `conv` → Conv2d, `dense` → Affine (with bias) or Linear (without), `avgpool` →
/// AvgPool2d, `flatten` → Flatten, `spiking` → LIF (leak < 1) or IF (leak 1) through `NIRDiscretisation`; a
/// `batchnorm` over all steps directly after a conv/dense is folded into it with its running statistics (what
/// inference uses): `W'[·, c] = W[·, c]·s_c`, `b'_c = (b_c − μ_c)·s_c + β_c`, `s_c = γ_c/√(σ²_c + ε)`.
/// Our channels-last layouts become NIR's channels-first ones (weights permuted, also the columns of a dense
/// layer after a flatten). Everything without an exact NIR equivalent is refused with one line naming the layer.
public enum NIRExport {
    /// The graph of `spec` with `parameters`/`state` (a checkpoint's), at step `dt`.
    public static func graph(spec: RunSpec, parameters: [Float], state: [Float], dt: Double = NIRDiscretisation.defaultDt) throws -> NIRGraph {
        guard dt > 0, dt.isFinite else { throw NIRError("--dt must be a positive number of seconds") }
        try checkMethod(spec)
        let net = try SpecNetwork.network(spec)
        guard parameters.count == net.parameterCount, state.count == net.stateCount else {
            throw NIRError("the parameters (\(parameters.count)) and state (\(state.count)) do not fit spec '\(spec.name)' (\(net.parameterCount) and \(net.stateCount)): was the checkpoint written for another spec?")
        }
        var nodes: [NIRNode] = []
        var shape = NIRLayout.nirShape(spec.input.shape)
        nodes.append(NIRNode(name: "input", type: "Input", fields: ["shape": .ints(shape, shape: [shape.count])],
                             metadata: inputMetadata(spec)))
        var perm: [Int]? = nil          // NIR feature index → ours, for a flattened map not yet consumed by a dense
        var i = 0
        while i < spec.layers.count {
            let layer = net.layers[i]
            let label = "layers[\(i)] (\(spec.layers[i].typeName))"
            // A following stacked batch norm is folded into this conv/dense.
            var fold: (scale: [Double], shift: [Double])? = nil
            if spec.layers[i].isWeightLayer, i + 1 < spec.layers.count, case .batchNorm(let b) = spec.layers[i + 1] {
                guard !b.perStep else { throw perStepRefusal(i + 1) }
                fold = batchNormFold(net.layers[i + 1] as! BatchNormLayer, parameters: parameters, state: state)
            }
            switch spec.layers[i] {
            case .conv(let c):
                let g = layer as! ConvLayer
                let cin = g.geometry.channels, co = c.channels, k = c.kernel
                let w0 = parameters[g.parameterOffset..<(g.parameterOffset + g.geometry.weightCount)]
                var w = NIRLayout.convToNIR(w0, kernel: k, channels: cin, outChannels: co)
                var b = c.bias ? Array(parameters[(g.parameterOffset + g.geometry.weightCount)..<(g.parameterOffset + g.parameterCount)]) : [Float](repeating: 0, count: co)
                if let fold { (w, b) = applyFold(fold, weight: w, bias: b, outputs: co, perOutput: cin * k * k) }
                nodes.append(NIRNode(name: layer.name, type: "Conv2d", fields: [
                    "weight": .floats(w, shape: [co, cin, k, k]), "bias": .floats(b, shape: [co]),
                    "stride": .ints([c.stride, c.stride], shape: [2]), "padding": .ints([c.padding, c.padding], shape: [2]),
                    "dilation": .ints([1, 1], shape: [2]), "groups": .ints([1], shape: []),
                    "input_shape": .ints([shape[1], shape[2]], shape: [2]),
                ]))
                shape = NIRLayout.nirShape(g.outputShape)
            case .dense(let d):
                let g = layer as! DenseLayer
                let n = g.inputs * g.outputs
                var w = NIRLayout.denseToNIR(parameters[g.parameterOffset..<(g.parameterOffset + n)], inputs: g.inputs, outputs: g.outputs, perm: perm)
                var b = d.bias ? Array(parameters[(g.parameterOffset + n)..<(g.parameterOffset + g.parameterCount)]) : [Float](repeating: 0, count: g.outputs)
                if let fold { (w, b) = applyFold(fold, weight: w, bias: b, outputs: g.outputs, perOutput: g.inputs) }
                var fields: [String: NIRValue] = ["weight": .floats(w, shape: [g.outputs, g.inputs])]
                let affine = d.bias || fold != nil
                if affine { fields["bias"] = .floats(b, shape: [g.outputs]) }
                nodes.append(NIRNode(name: layer.name, type: affine ? "Affine" : "Linear", fields: fields))
                perm = nil
                shape = [g.outputs]
            case .batchNorm(let b):
                // Reached only when not folded: first layer, or after a non-weight layer.
                if b.perStep { throw perStepRefusal(i) }
                throw NIRError("\(label): a batch norm not directly after a conv or dense layer cannot be folded, and NIR has no batch norm; move it after one")
            case .spiking:
                let g = layer as! SpikingLayer
                nodes.append(try neuronNode(g.neuron, name: layer.name, label: label, shape: shape, dt: dt))
            case .avgPool(let p):
                nodes.append(NIRNode(name: layer.name, type: "AvgPool2d", fields: [
                    "kernel_size": .ints([p.size, p.size], shape: [2]), "stride": .ints([p.size, p.size], shape: [2]),
                    "padding": .ints([0, 0], shape: [2]),
                ]))
                shape = NIRLayout.nirShape(layer.outputShape)
            case .relu:
                throw NIRError("\(label): NIR describes spiking networks and has no ReLU primitive; a non-spiking CNN (method ann) has no NIR graph")
            case .maxPool:
                throw NIRError("\(label): NIR has no max pooling (its pooling primitives are SumPool2d and AvgPool2d); use avgpool")
            case .flatten:
                if shape.count == 3 {
                    perm = NIRLayout.flattenPermutation(height: shape[1], width: shape[2], channels: shape[0])
                    nodes.append(NIRNode(name: layer.name, type: "Flatten", fields: [
                        "input_type": .ints(shape, shape: [3]), "start_dim": .ints([0], shape: []), "end_dim": .ints([-1], shape: []),
                    ]))
                    shape = [shape.reduce(1, *)]
                }
            }
            i += fold != nil ? 2 : 1
        }
        nodes.append(NIRNode(name: "output", type: "Output", fields: ["shape": .ints(shape, shape: [shape.count])]))
        let names = nodes.map(\.name)
        let edges = zip(names, names.dropFirst()).map { NIREdge($0, $1) }
        let metadata: [String: NIRValue] = [
            "source": .string("snn-cluster"),
            "dt": .doubles([dt], shape: []),
            "timesteps": .ints([spec.timesteps], shape: []),
            "readout": .string(spec.output.readout.rawValue),
            "discretisation": .string("forward Euler, one step of dt per input frame: LIF v = (1 - dt/tau) v + (dt r/tau) I, IF v = v + dt r I; spike v > v_threshold, then v = v_reset"),
            "snn_cluster_spec": .string(String(decoding: spec.encoded(), as: UTF8.self)),
        ]
        return NIRGraph(nodes: nodes, edges: edges, metadata: metadata)
    }

    /// The whole method has no NIR equivalent (one line per method).
    static func checkMethod(_ spec: RunSpec) throws {
        switch spec.method.rawValue {
        case "bptt", "bntt": break
        case "dsr":
            throw NIRError("method dsr: DSR neurons emit spikes of amplitude V_th (IF) or V_th/Δt (LIF) with a trainable V_th and a rate readout; NIR's IF/LIF emit unit spikes, so there is no equivalent graph")
        case "ttfs":
            throw NIRError("method ttfs: TTFS's dynamic (time-dependent) threshold has no NIR equivalent (NIR thresholds are constants)")
        default:
            throw NIRError("method \(spec.method.rawValue): not supported by the NIR exporter (it exports bptt networks, and bntt ones without per-step batch norm)")
        }
        if spec.output.readout == .rate {
            throw NIRError("output.readout rate: the rate readout scales spikes by their amplitude; NIR has no equivalent (use spike-count)")
        }
    }

    static func perStepRefusal(_ i: Int) -> NIRError {
        NIRError("layers[\(i)] (batchnorm, perStep): BNTT's per-step γ_t (a different scale at every time step) has no NIR equivalent; NIR parameters are constant in time")
    }

    /// NIR LIF or IF for our neuron, or a refusal naming the layer.
    static func neuronNode(_ p: LIFParameters, name: String, label: String, shape: [Int], dt: Double) throws -> NIRNode {
        guard p.reset == .hard else {
            let what = p.reset == .softUnleaked ? "soft-unleaked reset (U ← leak·U − θ)" : "soft reset (U ← U − θ)"
            throw NIRError("\(label): \(what) has no NIR equivalent: NIR's LIF and IF reset to v_reset; use \"reset\": \"hard\"")
        }
        guard p.initialPotential == 0 else {
            throw NIRError("\(label): initialPotential \(p.initialPotential) ≠ 0: NIR neurons have no initial-state field")
        }
        guard p.leak >= 0, p.leak <= 1 else {
            throw NIRError("\(label): leak \(p.leak) has no NIR time constant (forward Euler needs 0 ≤ leak ≤ 1)")
        }
        let n = shape.reduce(1, *)
        func full(_ v: Float) -> NIRValue { .floats([Float](repeating: v, count: n), shape: shape) }
        func fullD(_ v: Double) -> NIRValue { .doubles([Double](repeating: v, count: n), shape: shape) }
        let threshold = full(NIRDiscretisation.threshold(level: p.firingLevel, comparison: p.comparison))
        if p.leak == 1 {
            return NIRNode(name: name, type: "IF", fields: [
                "r": fullD(NIRDiscretisation.ifResistance(gain: p.inputGain, dt: dt)), "v_threshold": threshold, "v_reset": full(0),
            ])
        }
        let (tau, r) = NIRDiscretisation.lifConstants(leak: p.leak, gain: p.inputGain, dt: dt)
        return NIRNode(name: name, type: "LIF", fields: [
            "tau": fullD(tau), "r": fullD(r), "v_leak": full(0), "v_threshold": threshold, "v_reset": full(0),
        ])
    }

    /// Per-channel scale and shift of a stacked batch norm at inference, in double precision.
    static func batchNormFold(_ bn: BatchNormLayer, parameters: [Float], state: [Float]) -> (scale: [Double], shift: [Double]) {
        let c = bn.channels
        var scale = [Double](repeating: 0, count: c), shift = scale
        for k in 0..<c {
            let gamma = Double(parameters[bn.parameterOffset + k])
            let beta = bn.shift ? Double(parameters[bn.parameterOffset + c + k]) : 0
            let mean = Double(state[bn.stateOffset + k]), variance = Double(state[bn.stateOffset + c + k])
            scale[k] = gamma / (variance + Double(bn.epsilon)).squareRoot()
            shift[k] = beta - mean * scale[k]
        }
        return (scale, shift)
    }

    /// `W'[o, ·] = W[o, ·]·s_o`, `b'_o = b_o·s_o + shift_o` for NIR-layout weights (output-major).
    static func applyFold(_ fold: (scale: [Double], shift: [Double]), weight: [Float], bias: [Float], outputs: Int, perOutput: Int) -> ([Float], [Float]) {
        var w = weight, b = bias
        for o in 0..<outputs {
            for j in 0..<perOutput { w[o * perOutput + j] = Float(Double(weight[o * perOutput + j]) * fold.scale[o]) }
            b[o] = Float(Double(bias[o]) * fold.scale[o] + fold.shift[o])
        }
        return (w, b)
    }

    /// How the spec turns images into the graph's input (NIR has no encoder): kept as Input metadata.
    static func inputMetadata(_ spec: RunSpec) -> [String: NIRValue] {
        var m: [String: NIRValue] = ["encoding": .string(spec.input.encoding.rawValue)]
        if let n = spec.input.normalize { m["normalize_mean"] = .doubles([Double(n.mean)], shape: []); m["normalize_std"] = .doubles([Double(n.std)], shape: []) }
        if spec.input.encoding == .poisson { m["poisson_scale"] = .doubles([Double(spec.input.poissonScale)], shape: []) }
        return m
    }
}

extension NIRExport {
    /// The initial parameters and state of `spec`'s network (its `training.seed`), to export an untrained spec.
    public static func initialValues(_ spec: RunSpec) throws -> (parameters: [Float], state: [Float]) {
        try checkMethod(spec)
        return try SpecNetwork.network(spec).initialValues(seed: spec.training.seed)
    }
}
