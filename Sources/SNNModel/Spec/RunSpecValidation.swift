import Foundation

/// The semantic checks behind `RunSpec.validate()`: value ranges, allowed strings, shapes, and that the
/// readout fits the last layer. Each failure is a `SpecError` naming the field and the fix.
extension RunSpec {
    /// Throws the first problem found, in file order.
    public func validate() throws {
        try check(!name.trimmingCharacters(in: .whitespaces).isEmpty, "name", "empty; give the run a name")
        try check(timesteps >= 1, "timesteps", "must be ≥ 1 (got \(timesteps))")
        try validateInput()
        try Self.validate(neuron, at: "neuron")
        try check(!layers.isEmpty, "layers", "empty; add at least one layer")
        _ = try shapes()
        for (index, layer) in layers.enumerated() {
            try Self.validate(layer, at: "layers[\(index)]")
        }
        if method == .ann {
            try validateANN()
        } else {
            try check(layers.contains { if case .spiking = $0 { true } else { false } }, "layers",
                      "no spiking layer; add {\"type\":\"spiking\"} after a conv or dense layer")
        }
        try validateReadout()
        if method == .dsr {
            for (i, layer) in layers.enumerated() {
                if case .spiking = layer {
                    try check(self.neuron(ofLayer: i)?.dsr != nil, "neuron.dsr",
                              "method dsr needs DSR neurons: add \"dsr\": {\"model\": \"if\"} (or \"lif\") to the neuron")
                }
            }
        }
        if let d = neuron.dsr {
            try check(d.thresholdFloor.isFinite && d.thresholdFloor > 0, "neuron.dsr.thresholdFloor", "must be > 0 (got \(d.thresholdFloor))")
            try check(d.tau.isFinite && d.tau > 0, "neuron.dsr.tau", "must be > 0 (got \(d.tau))")
            try check(d.dt.isFinite && d.dt > 0, "neuron.dsr.dt", "must be > 0 (got \(d.dt))")
        }
        try validateTraining()
        try validateInference()
        try validateTTFS()
    }

    private func validateInput() throws {
        try check(input.poissonScale.isFinite && input.poissonScale > 0, "input.poissonScale",
                  "must be > 0 (got \(input.poissonScale))")
        if let normalize = input.normalize {
            try check(normalize.mean.isFinite, "input.normalize.mean", "must be a finite number (got \(normalize.mean))")
            try check(normalize.std.isFinite && normalize.std > 0, "input.normalize.std", "must be > 0 (got \(normalize.std))")
        }
    }

    static func validate(_ neuron: NeuronSpec, at path: String) throws {
        try check(neuron.leak.isFinite && neuron.leak >= 0 && neuron.leak <= 1, "\(path).leak",
                  "must be in [0, 1] (got \(neuron.leak)); 1 = no leak (IF)")
        try check(neuron.threshold.isFinite && neuron.threshold > 0, "\(path).threshold", "must be > 0 (got \(neuron.threshold))")
        try check(neuron.alpha.isFinite && neuron.alpha > 0, "\(path).alpha", "must be > 0 (got \(neuron.alpha))")
        try check(neuron.inputGain.isFinite && neuron.inputGain != 0, "\(path).inputGain",
                  "must be a non-zero number (got \(neuron.inputGain))")
        try check(neuron.initialPotential.isFinite, "\(path).initialPotential", "must be a finite number")
        try check(neuron.reset != .softUnleaked || neuron.leak > 0, "\(path).reset",
                  "soft-unleaked subtracts θ after the leak and needs leak > 0 (got leak \(neuron.leak)); raise leak or use soft/hard")
        let surrogate = neuron.surrogate
        if let scale = surrogate.scale {
            try check(scale.isFinite && scale > 0, "\(path).surrogate.scale", "must be > 0 (got \(scale))")
        }
        if let alpha = surrogate.alpha {
            try check(surrogate.kind != .triangular, "\(path).surrogate.alpha",
                      "does not apply to the triangular surrogate (its width is fixed); remove it or use scale")
            try check(alpha.isFinite && alpha > 0, "\(path).surrogate.alpha", "must be > 0 (got \(alpha))")
        }
    }

    static func validate(_ layer: LayerSpec, at path: String) throws {
        switch layer {
        case .batchNorm(let bn):
            try check(bn.epsilon.isFinite && bn.epsilon > 0, "\(path).epsilon", "must be > 0 (got \(bn.epsilon))")
            try check(bn.momentum.isFinite && bn.momentum >= 0 && bn.momentum <= 1, "\(path).momentum",
                      "must be in [0, 1] (got \(bn.momentum))")
            try check(!bn.sharedAffine || bn.perStep, "\(path).sharedAffine",
                      "needs \"perStep\": true (it shares γ/β across per-step statistics); add it or remove sharedAffine")
        case .spiking(let spiking):
            if let neuron = spiking.neuron { try validate(neuron, at: "\(path).neuron") }
        case .conv, .dense, .avgPool, .maxPool, .flatten, .relu:
            break  // sizes are checked by shapes()
        }
    }

    private func validateReadout() throws {
        let last = layers[layers.count - 1]
        let lastPath = "layers[\(layers.count - 1)]"
        switch output.readout {
        case .meanPotential:
            guard case .dense = last else {
                throw SpecError(path: "output.readout", "'mean-potential' needs the last layer to be dense, but \(lastPath) is \(last.typeName); "
                                + "end with {\"type\":\"dense\",...} or use 'spike-count'")
            }
        case .spikeCount, .rate:
            guard case .spiking = last else {
                throw SpecError(path: "output.readout", "'\(output.readout.rawValue)' needs the last layer to be spiking, but \(lastPath) is \(last.typeName); "
                                + "add {\"type\":\"spiking\"} at the end or use 'mean-potential'")
            }
        }
    }

    private func validateTraining() throws {
        let t = training
        try check(t.epochs >= 1, "training.epochs", "must be ≥ 1 (got \(t.epochs))")
        try check(t.batchSize >= 1, "training.batchSize", "must be ≥ 1 (got \(t.batchSize))")
        try check(t.microBatch >= 1, "training.microBatch", "must be ≥ 1 (got \(t.microBatch))")
        if let every = t.checkpointEvery {
            try check(every >= 1, "training.checkpointEvery", "must be ≥ 1 step (got \(every)); leave it out for per-epoch checkpoints")
        }
        if let c = t.communication {
            for (bits, key) in [(c.gradientBits, "gradientBits"), (c.updateBits, "updateBits")] {
                if let b = bits {
                    try check((2...24).contains(b), "training.communication.\(key)",
                              "must be 2…24 significant bits (got \(b)); leave it out for exact values")
                }
            }
        }
        let o = t.optimizer
        try check(o.lr.isFinite && o.lr > 0, "training.optimizer.lr", "must be > 0 (got \(o.lr))")
        try check(o.momentum.isFinite && o.momentum >= 0 && o.momentum < 1, "training.optimizer.momentum",
                  "must be in [0, 1) (got \(o.momentum))")
        try check(o.weightDecay.isFinite && o.weightDecay >= 0, "training.optimizer.weightDecay", "must be ≥ 0 (got \(o.weightDecay))")
        try check(o.beta1.isFinite && o.beta1 >= 0 && o.beta1 < 1, "training.optimizer.beta1", "must be in [0, 1) (got \(o.beta1))")
        try check(o.beta2.isFinite && o.beta2 >= 0 && o.beta2 < 1, "training.optimizer.beta2", "must be in [0, 1) (got \(o.beta2))")
        try check(o.epsilon.isFinite && o.epsilon > 0, "training.optimizer.epsilon", "must be > 0 (got \(o.epsilon))")
        try check(!o.nesterov || o.kind == .sgd, "training.optimizer.nesterov", "applies to sgd only; remove it for adam")

        let s = t.schedule
        for (i, m) in s.milestones.enumerated() {
            try check(m.isFinite && m > 0 && m <= 1, "training.schedule.milestones[\(i)]",
                      "must be a fraction of the epochs in (0, 1] (got \(m))")
            try check(i == 0 || m > s.milestones[i - 1], "training.schedule.milestones[\(i)]",
                      "must be larger than the one before (\(s.milestones[i - 1]))")
        }
        try check(s.factor.isFinite && s.factor > 0, "training.schedule.factor", "must be > 0 (got \(s.factor))")
        try check(s.warmupIterations >= 0, "training.schedule.warmupIterations", "must be ≥ 0 (got \(s.warmupIterations))")

        try check(t.initialization.gain.isFinite && t.initialization.gain > 0, "training.initialization.gain",
                  "must be > 0 (got \(t.initialization.gain))")
    }

    private func validateInference() throws {
        guard let exit = inference.earlyExit else { return }
        try check(exit.threshold.isFinite && exit.threshold >= 0, "inference.earlyExit.threshold", "must be ≥ 0 (got \(exit.threshold))")
        let hasPerStepBN = layers.contains { if case .batchNorm(let bn) = $0 { bn.perStep && !bn.sharedAffine } else { false } }
        try check(hasPerStepBN, "inference.earlyExit",
                  "needs a batchnorm layer with \"perStep\": true and no sharedAffine (early exit reads its per-step scales); add one or remove earlyExit")
    }

    private func check(_ condition: Bool, _ path: String, _ message: @autoclosure () -> String) throws {
        try Self.check(condition, path, message())
    }

    static func check(_ condition: Bool, _ path: String, _ message: @autoclosure () -> String) throws {
        guard condition else { throw SpecError(path: path, message()) }
    }
}
