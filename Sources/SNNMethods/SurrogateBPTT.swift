import SNNCore
import SNNModel

/// Plain surrogate-gradient BPTT (the peers' method, used by the benchmark workloads W1/W2): any layer stack,
/// direct or Poisson input, spike-count or mean-potential readout, all T steps at inference.
public struct SurrogateBPTT: TrainingMethod {
    public let name = "bptt"
    public let network: Network
    let runner: SurrogateRunner

    public init(network: Network, encoder: InputEncoder) {
        self.network = network
        self.runner = SurrogateRunner(network: network, encoder: encoder)
    }

    public init(spec: RunSpec, network: Network, encoder: InputEncoder) {
        self.init(network: network, encoder: encoder)
    }

    public func run(_ work: MicroBatch, data: LabeledImages, parameters: [Float], state: [Float]) -> MicroBatchResult {
        let steps = work.phase.passMode == .training ? network.timesteps : inferenceSteps(parameters: parameters)
        return runner.run(work, data: data, parameters: parameters, state: state, steps: steps)
    }

    public func inferenceSteps(parameters: [Float]) -> Int { network.timesteps }
}
