import SNNCore
import SNNModel

/// BNTT (Kim & Panda 2021; METHODS §3): LIF neurons with leak λ, θ = 1 and a detached soft reset, batch norm with
/// its own statistics and scale γ_t per (layer, time step) and no shift, Poisson input, a non-spiking averaged
/// output layer, BPTT with the triangular surrogate, and temporal early exit at inference.
public struct BNTT: TrainingMethod {
    public let name = "bntt"
    public let network: Network
    public let earlyExit: EarlyExitRule?
    let runner: SurrogateRunner

    /// Fails with a message naming what makes `network` not a BNTT network.
    public init(network: Network, encoder: InputEncoder, earlyExit: EarlyExitRule?) throws(MethodError) {
        for l in network.layers {
            if let bn = l as? BatchNormLayer, !bn.perStep {
                throw MethodError("BNTT needs per-step batch norm: set \"perStep\": true on \(bn.name)")
            }
            if let bn = l as? BatchNormLayer, bn.sharedAffine {
                throw MethodError("BNTT needs a scale γ_t per step: remove \"sharedAffine\" from \(bn.name)")
            }
        }
        guard network.config.readout == .meanPotential, network.layers.last is DenseLayer else {
            throw MethodError("BNTT reads out the mean of a last dense layer: use readout \"mean-potential\"")
        }
        self.network = network
        self.earlyExit = earlyExit
        self.runner = SurrogateRunner(network: network, encoder: encoder)
    }

    /// With the spec's `inference.earlyExit` rule, if any.
    public init(spec: RunSpec, network: Network, encoder: InputEncoder) throws(MethodError) {
        let rule = spec.inference.earlyExit.map { EarlyExitRule(threshold: $0.threshold, convention: $0.convention, aggregate: $0.aggregate) }
        try self.init(network: network, encoder: encoder, earlyExit: rule)
    }

    public func run(_ work: MicroBatch, data: LabeledImages, parameters: [Float], state: [Float]) -> MicroBatchResult {
        let steps = work.phase.passMode == .training ? network.timesteps : inferenceSteps(parameters: parameters)
        return runner.run(work, data: data, parameters: parameters, state: state, steps: steps)
    }

    /// Per (step): the mean over BNTT layers of the mean over channels of γ_{l,t,c}.
    public func meanGamma(parameters: [Float]) -> [Float] {
        let bns = network.layers.compactMap { $0 as? BatchNormLayer }.filter(\.perStep)
        guard !bns.isEmpty else { return [] }
        return (0..<network.timesteps).map { t in
            var s: Float = 0
            for bn in bns {
                var m: Float = 0
                for c in 0..<bn.channels { m += parameters[bn.gammaOffset + t * bn.channels + c] }
                s += m / Float(bn.channels)
            }
            return s / Float(bns.count)
        }
    }

    /// Per step, per BNTT layer: the mean over channels of γ_{l,t,c}.
    public func layerGamma(parameters: [Float]) -> [[Float]] {
        let bns = network.layers.compactMap { $0 as? BatchNormLayer }.filter(\.perStep)
        return (0..<network.timesteps).map { t in
            bns.map { bn in
                var m: Float = 0
                for c in 0..<bn.channels { m += parameters[bn.gammaOffset + t * bn.channels + c] }
                return m / Float(bn.channels)
            }
        }
    }

    public func inferenceSteps(parameters: [Float]) -> Int {
        guard let rule = earlyExit else { return network.timesteps }
        // The mean aggregate keeps the original summation order (bit-identical exit steps for existing runs).
        let perStep = rule.aggregate == .mean ? meanGamma(parameters: parameters)
            : layerGamma(parameters: parameters).map { $0.isEmpty ? 0 : rule.combine($0) }
        return rule.exitSteps(meanGamma: perStep)
    }
}

/// A method could not be built from the network it was given.
public struct MethodError: Error, CustomStringConvertible {
    public let description: String
    public init(_ d: String) { description = d }
}
