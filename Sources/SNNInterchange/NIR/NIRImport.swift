import Foundation
import SNNCore
import SNNModel

/// What an import produced: a run spec and its initial parameters and state (in the spec's layout), plus notes
/// for the user (one line each).
public struct NIRImportResult: Sendable {
    public var spec: RunSpec
    public var parameters: [Float]
    public var state: [Float]
    public var notes: [String]
}

/// A NIR graph of supported primitives as a run spec with initial parameters.
///
/// Supported: a chain `Input → … → Output` of Affine, Linear, Conv2d (square kernel, equal stride/padding,
/// dilation 1, groups 1), AvgPool2d/SumPool2d (kernel = stride, no padding), Flatten (to 1-D), Scale (uniform),
/// LIF and IF (parameters
/// equal across a layer's neurons, v_leak 0, v_reset 0), through `NIRDiscretisation` at step Δt. Everything
/// else, and any graph that is not a single chain (recurrence, branches, merges, nested graphs), is refused with
/// one line naming the node. SumPool2d becomes our average pooling with its k² factor, like a uniform Scale,
/// folded into the next conv/dense weights (not the bias) or the next neuron's input gain.
public enum NIRImport {
    public static let supportedTypes = ["Input", "Output", "Affine", "Linear", "Conv2d", "AvgPool2d", "SumPool2d", "Flatten", "Scale", "LIF", "IF"]

    /// `dt` nil: the graph's `dt` metadata (ours writes it), else `NIRDiscretisation.defaultDt` with a note.
    /// `timesteps` nil: the graph's `timesteps` metadata, else 8 with a note.
    public static func run(_ graph: NIRGraph, name: String, dt: Double? = nil, timesteps: Int? = nil) throws -> NIRImportResult {
        var notes: [String] = []
        let original = embeddedSpec(graph)
        let step: Double
        if let dt { step = dt } else if let m = graph.metadata["dt"], case .float64(let a) = m, let v = a.values.first { step = v } else {
            step = NIRDiscretisation.defaultDt
            notes.append("the file gives no time step: using Δt = \(step) s (pass --dt to change it; files from snnTorch's exporter need --dt 1e-4, from Norse's --dt 1e-6 at its default dt of 1 ms)")
        }
        guard step > 0, step.isFinite else { throw NIRError("--dt must be a positive number of seconds") }
        let chain = try orderedChain(graph)

        var layers: [LayerSpec] = []
        var weights: [[Float]] = []     // per layer (empty for parameter-free layers)
        var shape: [Int] = []           // NIR layout
        var perm: [Int]? = nil
        var neurons: [NeuronSpec] = []
        // A factor on the signal from SumPool2d (k²) or a uniform Scale, carried forward through the linear
        // layers that commute with it (pooling, flatten) into the next weights or neuron input gain.
        var scale = 1.0, scaledBy: NIRNode? = nil
        func finite(_ p: [Float], _ label: String) throws -> [Float] {
            if let bad = p.first(where: { !$0.isFinite }) { throw NIRError("\(label): weights hold \(bad); every value must be finite") }
            return p
        }
        func scaled(_ w: [Float], count: Int) -> [Float] {
            guard scale != 1 else { return w }
            return w.enumerated().map { $0.offset < count ? Float(Double($0.element) * scale) : $0.element }
        }
        let surrogate = original?.neuron.surrogate ?? SurrogateSpec(kind: .atan, alpha: 2)

        for node in chain {
            let label = "node '\(node.name)' (\(node.type))"
            switch node.type {
            case "Input":
                guard let s = node.numbers("shape")?.values.map({ Int($0) }), s.count == 1 || s.count == 3, s.allSatisfy({ $0 > 0 }) else {
                    throw NIRError("\(label): input shape must be (N) or (C, H, W) with positive sizes")
                }
                shape = s
            case "Output":
                if scale != 1, let by = scaledBy {
                    throw NIRError("node '\(by.name)' (\(by.type)) scales the graph's output by \(scale), with no conv, dense or neuron after it to fold the factor into")
                }
            case "Affine", "Linear":
                guard let w = node.floats("weight"), w.shape.count == 2 else { throw NIRError("\(label): weight must be 2-D (out, in)") }
                let (outs, ins) = (w.shape[0], w.shape[1])
                guard shape.count == 1 else {
                    throw NIRError("\(label): its input has shape \(shape); put a Flatten before it")
                }
                guard shape[0] == ins else { throw NIRError("\(label): weight takes \(ins) inputs but receives \(shape[0])") }
                var p = scaled(NIRLayout.denseFromNIR(w.values, inputs: ins, outputs: outs, perm: perm), count: ins * outs)
                scale = 1
                let hasBias = node.type == "Affine"
                if hasBias {
                    guard let b = node.floats("bias"), b.values.count == outs else { throw NIRError("\(label): bias must have \(outs) values") }
                    p += b.values
                }
                layers.append(.dense(DenseSpec(units: outs, bias: hasBias)))
                weights.append(try finite(p, label))
                perm = nil
                shape = [outs]
            case "Conv2d":
                let (spec, p, out) = try conv(node, label: label, input: shape)
                layers.append(.conv(spec))
                weights.append(try finite(scaled(p, count: spec.kernel * spec.kernel * shape[0] * spec.channels), label))
                scale = 1
                shape = out
            case "AvgPool2d", "SumPool2d":
                guard shape.count == 3 else { throw NIRError("\(label): needs a (C, H, W) input, got \(shape)") }
                let k = node.numbers("kernel_size")?.values.map { Int($0) } ?? []
                let s = node.numbers("stride")?.values.map { Int($0) } ?? k
                let pad = node.numbers("padding")?.values.map { Int($0) } ?? [0]
                guard let size = k.first, size > 0, k.allSatisfy({ $0 == size }), s.allSatisfy({ $0 == size }), pad.allSatisfy({ $0 == 0 }) else {
                    throw NIRError("\(label): only square windows with stride = kernel size and no padding are supported (kernel \(k), stride \(s), padding \(pad))")
                }
                layers.append(.avgPool(PoolSpec(size: size)))
                weights.append([])
                if node.type == "SumPool2d" { scale *= Double(size * size); scaledBy = node }   // sum = k²·average
                shape = [shape[0], shape[1] / size, shape[2] / size]
            case "Flatten":
                let start = Int(node.numbers("start_dim")?.values.first ?? 0), end = Int(node.numbers("end_dim")?.values.first ?? -1)
                let rank = shape.count
                let s0 = start < 0 ? start + rank : start, e0 = end < 0 ? end + rank : end
                guard s0 >= 0, e0 < rank, s0 <= e0 else { throw NIRError("\(label): start_dim \(start), end_dim \(end) do not fit input shape \(shape)") }
                let out = Array(shape[..<s0]) + [shape[s0...e0].reduce(1, *)] + Array(shape[(e0 + 1)...])
                guard out.count == 1 else {
                    throw NIRError("\(label): flattening \(shape) from dim \(start) to \(end) gives \(out); only flattening to one dimension is supported")
                }
                if rank == 3 {
                    perm = NIRLayout.flattenPermutation(height: shape[1], width: shape[2], channels: shape[0])
                    layers.append(.flatten)
                    weights.append([])
                }
                shape = out
            case "Scale":
                guard let f = node.numbers("scale"), let v = f.values.first, f.values.allSatisfy({ $0 == v }) else {
                    throw NIRError("\(label): only a scale equal for every element is supported")
                }
                scale *= v
                scaledBy = node
            case "LIF", "IF":
                var n = try neuron(node, label: label, shape: shape, dt: step, surrogate: surrogate)
                if scale != 1 { n.inputGain = Float(Double(n.inputGain) * scale); scale = 1 }
                neurons.append(n)
                layers.append(.spiking(SpikingSpec(neuron: n)))
                weights.append([])
            default:
                throw NIRError("\(label): not supported (snn-cluster imports \(supportedTypes.joined(separator: ", ")))")
            }
        }
        guard let last = layers.last else { throw NIRError("the graph has no layers between Input and Output") }
        let readout: Readout
        switch last {
        case .spiking: readout = .spikeCount
        case .dense: readout = .meanPotential
        default: throw NIRError("node '\(chain[chain.count - 2].name)' (\(chain[chain.count - 2].type)) feeds Output: the last layer must be LIF/IF (spike-count readout) or Affine/Linear (mean-potential readout)")
        }
        guard let first = neurons.first else { throw NIRError("the graph has no LIF or IF node: snn-cluster trains spiking networks") }
        // Layers whose neuron equals the run's (the first) need no override.
        layers = layers.map { if case .spiking(let s) = $0, s.neuron == first { return .spiking(SpikingSpec()) } else { return $0 } }

        let steps: Int
        if let timesteps { steps = timesteps } else if let m = graph.metadata["timesteps"], case .int64(let a) = m, let v = a.values.first { steps = Int(v) } else {
            steps = original?.timesteps ?? 8
            notes.append("the file gives no number of time steps: using T = \(steps) (pass --timesteps to change it)")
        }
        var input = InputSpec(shape: NIRLayout.ourShape(shape0(chain)), encoding: .direct)
        if let o = original, o.input.shape == input.shape { input = o.input }
        let training = original?.training ?? TrainingSpec(epochs: 1, batchSize: 128, microBatch: 32, optimizer: OptimizerSpec(kind: .adam, lr: 1e-3))
        let spec = RunSpec(name: name, method: .bptt, timesteps: steps, input: input, neuron: first, layers: layers,
                           output: OutputSpec(readout: readout), training: training)
        do { try spec.validate() } catch { throw NIRError("the imported network is not a valid run spec: \(error)") }

        let net = try SpecNetwork.network(spec)
        var (parameters, state) = net.initialValues(seed: 0)
        for (layer, p) in zip(net.layers, weights) {
            precondition(p.count == layer.parameterCount, "\(layer.name): \(p.count) values for \(layer.parameterCount) parameters")
            parameters.replaceSubrange(layer.parameterOffset..<(layer.parameterOffset + p.count), with: p)
        }
        return NIRImportResult(spec: spec, parameters: parameters, state: state, notes: notes)
    }

    private static func shape0(_ chain: [NIRNode]) -> [Int] { chain[0].numbers("shape")!.values.map { Int($0) } }

    /// The spec our exporter embedded, if any (used only for settings NIR does not carry: training, encoding).
    static func embeddedSpec(_ graph: NIRGraph) -> RunSpec? {
        guard case .string(let json)? = graph.metadata["snn_cluster_spec"] else { return nil }
        return try? RunSpec.decode(Data(json.utf8), source: "NIR metadata")
    }

    /// The nodes from the single Input to the single Output, or a refusal naming the node that breaks the chain.
    static func orderedChain(_ graph: NIRGraph) throws -> [NIRNode] {
        var byName: [String: NIRNode] = [:]
        for n in graph.nodes { byName[n.name] = n }
        for e in graph.edges {
            for end in [e.source, e.target] where byName[end] == nil { throw NIRError("edge \(e) names node '\(end)', which the graph does not have") }
        }
        if let nested = graph.nodes.first(where: { $0.type == "NIRGraph" }) {
            throw NIRError("node '\(nested.name)' is a nested NIRGraph: not supported (snn-cluster imports one flat chain of layers)")
        }
        let inputs = graph.nodes.filter { $0.type == "Input" }
        guard inputs.count == 1 else { throw NIRError("the graph has \(inputs.count) Input nodes; snn-cluster imports graphs with exactly one") }
        var out: [String: [String]] = [:], into: [String: [String]] = [:]
        for e in graph.edges { out[e.source, default: []].append(e.target); into[e.target, default: []].append(e.source) }
        // Recurrence: a cycle reachable from the input (depth-first search with an on-stack set).
        var state: [String: Int] = [:]   // 1 on stack, 2 done
        func visit(_ n: String) throws {
            state[n] = 1
            for m in out[n, default: []] {
                if state[m] == 1 { throw NIRError("node '\(m)' (\(byName[m]!.type)): recurrent edge \(n) → \(m); snn-cluster runs feed-forward chains only") }
                if state[m] == nil { try visit(m) }
            }
            state[n] = 2
        }
        try visit(inputs[0].name)
        var chain: [NIRNode] = [inputs[0]]
        var current = inputs[0].name
        while byName[current]!.type != "Output" {
            let next = out[current, default: []]
            guard next.count == 1 else {
                if next.isEmpty { throw NIRError("node '\(current)' (\(byName[current]!.type)) has no outgoing edge and is not an Output") }
                throw NIRError("node '\(current)' (\(byName[current]!.type)) branches to \(next.map { "'\($0)'" }.joined(separator: ", ")): branches are not supported")
            }
            let m = next[0]
            guard into[m, default: []].count == 1 else {
                throw NIRError("node '\(m)' (\(byName[m]!.type)) merges \(into[m]!.count) inputs (\(into[m]!.joined(separator: ", "))): merges are not supported")
            }
            chain.append(byName[m]!)
            current = m
        }
        if let stray = graph.nodes.first(where: { n in !chain.contains { $0.name == n.name } }) {
            throw NIRError("node '\(stray.name)' (\(stray.type)) is not on the path from '\(inputs[0].name)' to '\(current)': only single chains are supported")
        }
        return chain
    }

    /// A Conv2d as our conv layer: spec, parameters (weights then bias when non-zero) and the output shape.
    static func conv(_ node: NIRNode, label: String, input shape: [Int]) throws -> (ConvSpec, [Float], [Int]) {
        guard shape.count == 3 else { throw NIRError("\(label): needs a (C, H, W) input, got \(shape)") }
        guard let w = node.floats("weight"), w.shape.count == 4 else { throw NIRError("\(label): weight must be 4-D (C_out, C_in, kH, kW)") }
        let (co, ci, kh, kw) = (w.shape[0], w.shape[1], w.shape[2], w.shape[3])
        guard kh == kw else { throw NIRError("\(label): kernel \(kh)×\(kw) is not square; only square kernels are supported") }
        guard ci == shape[0] else { throw NIRError("\(label): weight takes \(ci) channels but receives \(shape[0])") }
        let groups = Int(node.numbers("groups")?.values.first ?? 1)
        guard groups == 1 else { throw NIRError("\(label): groups \(groups); only groups 1 is supported") }
        let dilation = node.numbers("dilation")?.values.map { Int($0) } ?? [1]
        guard dilation.allSatisfy({ $0 == 1 }) else { throw NIRError("\(label): dilation \(dilation); only 1 is supported") }
        let stride = node.numbers("stride")?.values.map { Int($0) } ?? [1]
        guard let s = stride.first, s > 0, stride.allSatisfy({ $0 == s }) else { throw NIRError("\(label): stride \(stride) differs between axes") }
        let pad: Int
        switch node.string("padding") {
        case "valid"?: pad = 0
        case "same"?:
            guard s == 1, kh % 2 == 1 else { throw NIRError("\(label): padding 'same' needs stride 1 and an odd kernel") }
            pad = kh / 2
        case let other?: throw NIRError("\(label): padding '\(other)' (expected a number, 'valid' or 'same')")
        case nil:
            let p = node.numbers("padding")?.values.map { Int($0) } ?? [0]
            guard let p0 = p.first, p0 >= 0, p.allSatisfy({ $0 == p0 }) else { throw NIRError("\(label): padding \(p) differs between axes") }
            pad = p0
        }
        let h = (shape[1] + 2 * pad - kh) / s + 1, wd = (shape[2] + 2 * pad - kh) / s + 1
        guard h > 0, wd > 0 else { throw NIRError("\(label): the kernel does not fit its \(shape) input") }
        var p = NIRLayout.convFromNIR(w.values, kernel: kh, channels: ci, outChannels: co)
        let bias = node.floats("bias")?.values ?? []
        guard bias.isEmpty || bias.count == co else { throw NIRError("\(label): bias must have \(co) values") }
        let hasBias = bias.contains { $0 != 0 }
        if hasBias { p += bias }
        return (ConvSpec(channels: co, kernel: kh, stride: s, padding: pad, bias: hasBias), p, [co, h, wd])
    }

    /// A LIF/IF node as our neuron; every parameter must be equal across the layer's neurons.
    static func neuron(_ node: NIRNode, label: String, shape: [Int], dt: Double, surrogate: SurrogateSpec) throws -> NeuronSpec {
        let n = shape.reduce(1, *)
        func uniform(_ field: String, default value: Double? = nil) throws -> Double {
            guard let a = node.numbers(field) else {
                if let value { return value }
                throw NIRError("\(label): missing \(field)")
            }
            guard a.values.count == n || a.values.count == 1 else {
                throw NIRError("\(label): \(field) has \(a.values.count) values for \(n) neurons (input shape \(shape))")
            }
            guard let v = a.values.first, a.values.allSatisfy({ $0 == v }) else {
                throw NIRError("\(label): \(field) differs between neurons; snn-cluster layers share one neuron model")
            }
            return v
        }
        let threshold = try uniform("v_threshold")
        let reset = try uniform("v_reset", default: 0)
        guard reset == 0 else { throw NIRError("\(label): v_reset \(reset) ≠ 0: snn-cluster's hard reset goes to 0") }
        let r = try uniform("r")
        let leak: Float, gain: Float
        if node.type == "IF" {
            (leak, gain) = (1, NIRDiscretisation.ifGain(r: r, dt: dt))
        } else {
            let tau = try uniform("tau"), vLeak = try uniform("v_leak", default: 0)
            guard vLeak == 0 else { throw NIRError("\(label): v_leak \(vLeak) ≠ 0: snn-cluster neurons leak towards 0") }
            guard tau >= dt else {
                throw NIRError("\(label): τ = \(tau) is shorter than the step Δt = \(dt): the forward-Euler leak 1 − Δt/τ would be negative; pass a smaller --dt (files from snnTorch's exporter need --dt 1e-4, from Norse's --dt 1e-6 at its default dt of 1 ms)")
            }
            (leak, gain) = NIRDiscretisation.lif(tau: tau, r: r, dt: dt)
        }
        guard threshold > 0, threshold.isFinite, gain != 0, gain.isFinite else {
            throw NIRError("\(label): v_threshold \(threshold) and input gain \(gain) must be positive and non-zero")
        }
        return NeuronSpec(leak: leak, threshold: Float(threshold), alpha: 1, inputGain: gain, reset: .hard, compare: .greater,
                          initialPotential: 0, surrogate: surrogate)
    }
}
