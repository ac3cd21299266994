import SNNCore
import SNNModel

/// The non-spiking source CNN of ECC conversion (METHODS §4.3): conv/dense → BN → ReLU blocks with average
/// pooling, softmax cross-entropy on the last dense layer's outputs, one "time step" (no time axis).
///
/// It runs through the same micro-batch, exact reduction and commit as the spiking methods (the shared runner with
/// T = 1 and a mean-potential readout, which for one step is the logits themselves), so its parameters are
/// bit-identical for any number of workers.
public struct ANN: TrainingMethod {
    public let name = "ann"
    public let network: Network
    let runner: SurrogateRunner

    public init(network: Network, encoder: InputEncoder) throws(MethodError) {
        guard network.timesteps == 1 else { throw MethodError("ANN has no time axis: set \"timesteps\": 1") }
        for l in network.layers {
            if l is any SpikingNeuronLayer { throw MethodError("ANN: \(l.name) is spiking; use relu layers") }
            if let bn = l as? BatchNormLayer, bn.perStep { throw MethodError("ANN: set \"perStep\": false on \(bn.name)") }
        }
        guard network.config.readout == .meanPotential, network.layers.last is DenseLayer else {
            throw MethodError("ANN reads out the logits of a last dense layer: use readout \"mean-potential\"")
        }
        self.network = network
        self.runner = SurrogateRunner(network: network, encoder: encoder)
    }

    public init(spec: RunSpec, network: Network, encoder: InputEncoder) throws(MethodError) {
        try self.init(network: network, encoder: encoder)
    }

    public func run(_ work: MicroBatch, data: LabeledImages, parameters: [Float], state: [Float]) -> MicroBatchResult {
        runner.run(work, data: data, parameters: parameters, state: state, steps: 1)
    }

    public func inferenceSteps(parameters: [Float]) -> Int { 1 }
}
