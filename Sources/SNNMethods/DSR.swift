import SNNCore
import SNNModel

/// DSR (Meng et al., CVPR 2022; METHODS §2): IF/LIF layers with trainable thresholds trained by differentiating
/// their spike representation instead of back-propagating through time; batch norm over the stacked T·B batch;
/// direct (repeated) input; the last spiking layer's (weighted) firing rates are the logits.
public struct DSR: TrainingMethod {
    public let name = "dsr"
    public let network: Network
    let runner: SurrogateRunner
    let thresholds: [DSRSpikingLayer]

    public init(network: Network, encoder: InputEncoder) throws(MethodError) {
        let dsr = network.layers.compactMap { $0 as? DSRSpikingLayer }
        guard !dsr.isEmpty else { throw MethodError("DSR needs spiking layers: give the spiking layers a \"dsr\" neuron") }
        for l in network.layers {
            if l is SpikingLayer { throw MethodError("DSR: \(l.name) is a BPTT spiking layer; every spiking layer must be a DSR one") }
            if let bn = l as? BatchNormLayer, bn.perStep { throw MethodError("DSR uses batch norm over the stacked T·B batch: set \"perStep\": false on \(bn.name)") }
        }
        guard network.config.readout == .rate, network.layers.last is DSRSpikingLayer else {
            throw MethodError("DSR reads out the firing rate of a last spiking layer: use readout \"rate\"")
        }
        self.network = network
        self.thresholds = dsr
        self.runner = SurrogateRunner(network: network, encoder: encoder)
    }

    public init(spec: RunSpec, network: Network, encoder: InputEncoder) throws(MethodError) {
        try self.init(network: network, encoder: encoder)
    }

    /// A DSR layer (IF or LIF by `neuron.dsr.model`) with a trainable threshold starting at the neuron's θ.
    public static func spikingLayer(for neuron: NeuronSpec, spec: RunSpec) throws(MethodError) -> LayerConfig {
        guard let d = neuron.dsr else { throw MethodError("neuron.dsr: method dsr needs {\"model\": \"if\" | \"lif\"}") }
        return .dsrSpiking(DSRParameters(model: d.model, alpha: neuron.alpha, thresholdFloor: d.thresholdFloor, tau: d.tau, dt: d.dt),
                           threshold: neuron.threshold)
    }

    public func run(_ work: MicroBatch, data: LabeledImages, parameters: [Float], state: [Float]) -> MicroBatchResult {
        runner.run(work, data: data, parameters: parameters, state: state, steps: network.timesteps)
    }

    public func inferenceSteps(parameters: [Float]) -> Int { network.timesteps }

    /// V_th ← max(V_th, V_b) for every spiking layer (§2.2), after initialisation and after every optimizer step.
    public func constrain(parameters: inout [Float]) {
        for l in thresholds { l.clampThreshold(&parameters) }
    }

    /// Current thresholds, for reports.
    public func thresholdValues(_ parameters: [Float]) -> [Float] { thresholds.map { parameters[$0.parameterOffset] } }
}
