import Foundation
import SNNModel
import Testing

/// Defaults, neuron-override merging and encode/decode round trips.
@Suite struct RunSpecCodingTests {
    @Test func omittedFieldsTakeTheirDefaults() throws {
        let spec = try SpecFixtures.decode(SpecFixtures.minimal)
        #expect(spec.input.poissonScale == 2 && spec.input.normalize == nil)
        #expect(spec.neuron == NeuronSpec(surrogate: SurrogateSpec(kind: .triangular)))
        #expect(spec.neuron.leak == 1 && spec.neuron.threshold == 1 && spec.neuron.alpha == 1 && spec.neuron.inputGain == 1)
        #expect(spec.neuron.reset == .soft && spec.neuron.compare == .greater && spec.neuron.initialPotential == 0)
        #expect(spec.neuron.surrogate.effectiveScale == 0.3)
        #expect(spec.layers[0] == .conv(ConvSpec(channels: 4, kernel: 3, stride: 1, padding: 1, bias: false)))
        #expect(spec.layers[1] == .spiking(SpikingSpec(neuron: nil)))
        #expect(spec.layers[3] == .dense(DenseSpec(units: 10, bias: false)))
        let t = spec.training
        #expect(t.microBatch == 32 && t.seed == 0 && t.checkpointEvery == nil)
        #expect(t.optimizer == OptimizerSpec(kind: .sgd, lr: 0.1, momentum: 0.9, weightDecay: 0, nesterov: false,
                                             beta1: 0.9, beta2: 0.999, epsilon: 1e-8, decoupled: false))
        #expect(t.schedule == ScheduleSpec(kind: .constant, milestones: [0.5, 0.7, 0.9], factor: 0.1, warmupIterations: 0))
        #expect(t.initialization == InitSpec(kind: .xavierUniform, gain: 1))
        #expect(spec.inference.earlyExit == nil)
    }

    @Test func batchNormAndEarlyExitDefaults() throws {
        let spec = try SpecFixtures.decode(SpecFixtures.minimal(
            ("{\"type\": \"spiking\"},\n    {\"type\": \"flatten\"}", "{\"type\": \"batchnorm\"}, {\"type\": \"spiking\"}, {\"type\": \"flatten\"}"),
            ("\"training\":", "\"inference\": {\"earlyExit\": {\"threshold\": 0.2}}, \"training\":"),
            ("{\"type\": \"batchnorm\"}", "{\"type\": \"batchnorm\", \"perStep\": true}")))
        #expect(spec.layers[1] == .batchNorm(BatchNormSpec(perStep: true, shift: true, epsilon: 1e-5, momentum: 0.1)))
        #expect(spec.inference.earlyExit == EarlyExitSpec(threshold: 0.2, aggregate: .mean, convention: .before))
    }

    /// `sharedAffine` decodes, round-trips, is left out of the encoding when false (older specs encode as before),
    /// needs `perStep`, and cannot serve BNTT's early exit (which reads a γ_t per step).
    @Test func batchNormSharedAffine() throws {
        let withBN = ("{\"type\": \"spiking\"},\n    {\"type\": \"flatten\"}", "{\"type\": \"batchnorm\"}, {\"type\": \"spiking\"}, {\"type\": \"flatten\"}")
        let spec = try SpecFixtures.decode(SpecFixtures.minimal(withBN,
            ("{\"type\": \"batchnorm\"}", "{\"type\": \"batchnorm\", \"perStep\": true, \"sharedAffine\": true}")))
        #expect(spec.layers[1] == .batchNorm(BatchNormSpec(perStep: true, sharedAffine: true)))
        #expect(try RunSpec.decode(spec.encoded(), source: "re-encoded") == spec)
        let plain = try SpecFixtures.decode(SpecFixtures.minimal(withBN))
        #expect(plain.layers[1] == .batchNorm(BatchNormSpec()))
        #expect(!String(decoding: plain.encoded(), as: UTF8.self).contains("sharedAffine"))
        #expect(SpecFixtures.error(SpecFixtures.minimal(withBN, ("{\"type\": \"batchnorm\"}", "{\"type\": \"batchnorm\", \"sharedAffine\": true}")))
                == "spec runs/x.json: layers[1].sharedAffine: needs \"perStep\": true (it shares γ/β across per-step statistics); add it or remove sharedAffine")
        let earlyExit = SpecFixtures.error(SpecFixtures.minimal(withBN,
            ("{\"type\": \"batchnorm\"}", "{\"type\": \"batchnorm\", \"perStep\": true, \"sharedAffine\": true}"),
            ("\"training\":", "\"inference\": {\"earlyExit\": {\"threshold\": 0.2}}, \"training\":")))
        #expect(earlyExit?.contains("inference.earlyExit: needs a batchnorm layer with \"perStep\": true and no sharedAffine") == true)
    }

    @Test func surrogateDefaultsPerKind() {
        #expect(SurrogateSpec(kind: .triangular).effectiveScale == 0.3)
        #expect(SurrogateSpec(kind: .atan).effectiveAlpha == 2 && SurrogateSpec(kind: .atan).effectiveScale == 1)
        #expect(SurrogateSpec(kind: .sigmoid).effectiveAlpha == 4)
        #expect(SurrogateSpec(kind: .sigmoid, alpha: 5).effectiveAlpha == 5)
    }

    @Test func neuronOverrideMergesOverTheRunNeuron() throws {
        let spec = try SpecFixtures.decode(SpecFixtures.minimal(
            ("\"neuron\": {\"surrogate\": {\"kind\": \"triangular\"}}",
             "\"neuron\": {\"leak\": 0.9, \"compare\": \">=\", \"surrogate\": {\"kind\": \"atan\", \"alpha\": 3}}"),
            ("{\"type\": \"spiking\"},\n    {\"type\": \"flatten\"}",
             "{\"type\": \"spiking\", \"neuron\": {\"threshold\": 0.5, \"surrogate\": {\"scale\": 2}}},\n    {\"type\": \"flatten\"}"),
            ("{\"type\": \"dense\", \"units\": 10},\n    {\"type\": \"spiking\"}",
             "{\"type\": \"dense\", \"units\": 10},\n    {\"type\": \"spiking\", \"neuron\": {\"surrogate\": {\"kind\": \"sigmoid\"}}}")))
        #expect(spec.neuron(ofLayer: 1) == NeuronSpec(leak: 0.9, threshold: 0.5, compare: .greaterOrEqual,
                                                      surrogate: SurrogateSpec(kind: .atan, scale: 2, alpha: 3)))
        // Another surrogate kind replaces the run's surrogate instead of inheriting its alpha.
        #expect(spec.neuron(ofLayer: 4) == NeuronSpec(leak: 0.9, compare: .greaterOrEqual, surrogate: SurrogateSpec(kind: .sigmoid)))
        #expect(spec.neuron(ofLayer: 0) == nil)
        #expect(try RunSpec.decode(spec.encoded(), source: "re-encoded") == spec)
    }

    @Test func encodedRoundTripsWithSortedKeysAndExplicitDefaults() throws {
        var spec = try SpecFixtures.decode(SpecFixtures.minimal)
        spec.training.checkpointEvery = 50
        spec.training.seed = 42
        spec.input.normalize = Normalization(mean: 0.286, std: 0.353)
        spec.neuron.surrogate.scale = 0.25
        let data = spec.encoded()
        let text = String(decoding: data, as: UTF8.self)
        #expect(try RunSpec.decode(data, source: "encoded") == spec)
        #expect(text.contains("\"microBatch\" : 32"))
        #expect(text.contains("\"poissonScale\" : 2"))
        let batch = try #require(text.range(of: "\"batchSize\""))
        let epochs = try #require(text.range(of: "\"epochs\""))
        #expect(batch.lowerBound < epochs.lowerBound)
        #expect(!text.contains("earlyExit"))
        #expect(spec.encoded() == data)
    }

    @Test func programmaticSpecValidatesWithoutAFile() throws {
        let spec = RunSpec(
            name: "built", method: .dsr, timesteps: 5,
            input: InputSpec(shape: [784], encoding: .direct),
            neuron: NeuronSpec(alpha: 0.5, compare: .greaterOrEqual, surrogate: SurrogateSpec(kind: .triangular), dsr: DSRNeuronSpec(model: .integrateAndFire)),
            layers: [.dense(DenseSpec(units: 100)), .batchNorm(BatchNormSpec()), .spiking(SpikingSpec()),
                     .dense(DenseSpec(units: 10)), .spiking(SpikingSpec())],
            output: OutputSpec(readout: .rate),
            training: TrainingSpec(epochs: 2, batchSize: 100, optimizer: OptimizerSpec(kind: .sgd, lr: 0.05)))
        try spec.validate()
        #expect(try spec.shapes() == [[784], [100], [100], [100], [10], [10]])
        var bad = spec
        bad.timesteps = 0
        #expect(throws: SpecError(path: "timesteps", "must be ≥ 1 (got 0)")) { try bad.validate() }
        #expect(SpecError(path: "timesteps", "must be ≥ 1 (got 0)").description == "spec: timesteps: must be ≥ 1 (got 0)")
    }

    @Test func earlyExitStepRule() {
        // METHODS §3.7 oracle 5: γ̄ = [0.95, 0.75, 0.45, 0.15, 0.05], η = 0.2 → first below at t = 4 → 3 steps.
        let gammaBar: [Float] = [0.95, 0.75, 0.45, 0.15, 0.05]
        #expect(EarlyExitSpec(threshold: 0.2).exitSteps(gammaBar: gammaBar) == 3)
        #expect(EarlyExitSpec(threshold: 0.2, convention: .at).exitSteps(gammaBar: gammaBar) == 4)
        #expect(EarlyExitSpec(threshold: 0.01).exitSteps(gammaBar: gammaBar) == 5)
        #expect(EarlyExitSpec(threshold: 2).exitSteps(gammaBar: gammaBar) == 1)
    }
}
