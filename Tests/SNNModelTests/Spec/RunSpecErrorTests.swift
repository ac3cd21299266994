import Foundation
import SNNModel
import Testing

/// Every kind of bad spec gives one line: `spec FILE: FIELD.PATH: what is wrong; how to fix`.
@Suite struct RunSpecErrorTests {
    /// The error for `json`, checked to be one line attributed to the file.
    func error(_ json: String) throws -> String {
        let message = try #require(SpecFixtures.error(json))
        #expect(!message.contains("\n"))
        #expect(message.hasPrefix("spec runs/x.json: "))
        return message
    }

    let denseAfterFlatten = "{\"type\": \"flatten\"},\n    {\"type\": \"dense\", \"units\": 10}"

    @Test func minimalSpecIsValid() {
        #expect(SpecFixtures.error(SpecFixtures.minimal) == nil)
    }

    @Test func unknownLayerTypeListsTheTypes() throws {
        let message = try error(SpecFixtures.minimal(("\"type\": \"dense\"", "\"type\": \"convv\"")))
        #expect(message == "spec runs/x.json: layers[3].type: unknown layer 'convv' (expected conv, dense, batchnorm, spiking, avgpool, maxpool, flatten, relu)")
    }

    @Test func missingRequiredFieldIsNamed() throws {
        let message = try error(SpecFixtures.minimal(("\"units\": 10", "\"bias\": true")))
        #expect(message == "spec runs/x.json: layers[3].units: missing")
        #expect(try error(SpecFixtures.minimal(("\"timesteps\": 4,", ""))) == "spec runs/x.json: timesteps: missing")
        #expect(try error(SpecFixtures.minimal(("\"lr\": 0.1", "\"momentum\": 0.5"))) == "spec runs/x.json: training.optimizer.lr: missing")
        #expect(try error(SpecFixtures.minimal(("{\"surrogate\": {\"kind\": \"triangular\"}}", "{}")))
                == "spec runs/x.json: neuron.surrogate: missing")
    }

    /// A repeated key used to be decoded as its last value without a word (issue 8 item 12).
    @Test func repeatedKeyIsRefusedWithItsPath() throws {
        #expect(try error(SpecFixtures.minimal(("\"lr\": 0.1", "\"lr\": 0.1, \"lr\": 10")))
                == "spec runs/x.json: training.optimizer.lr: the key appears twice in one object (JSON keeps only the last); keep one")
        #expect(try error(SpecFixtures.minimal(("\"kernel\": 3", "\"kernel\": 3, \"kernel\": 5")))
                .hasPrefix("spec runs/x.json: layers[0].kernel: the key appears twice"))
        #expect(try error(SpecFixtures.minimal(("\"timesteps\": 4,", "\"timesteps\": 4, \"timesteps\": 8,")))
                .hasPrefix("spec runs/x.json: timesteps: the key appears twice"))
        // The same key in different objects ("type" in every layer) is fine: the minimal spec is valid.
        #expect(SpecFixtures.error(SpecFixtures.minimal) == nil)
    }

    @Test func misspelledFieldIsAnErrorNotIgnored() throws {
        let message = try error(SpecFixtures.minimal(("\"kernel\": 3", "\"kernal\": 3")))
        #expect(message == "spec runs/x.json: layers[0].kernal: unknown field (expected one of channels, kernel, stride, padding, bias)")
        let top = try error(SpecFixtures.minimal(("\"timesteps\": 4", "\"timesteps\": 4, \"epochs\": 3")))
        #expect(top.contains(": epochs: unknown field (expected one of name, method, timesteps,"))
        let nested = try error(SpecFixtures.minimal(("\"lr\": 0.1", "\"lr\": 0.1, \"weight_decay\": 1e-4")))
        #expect(nested.contains("training.optimizer.weight_decay: unknown field (expected one of kind, lr, momentum, weightDecay,"))
        let flatten = try error(SpecFixtures.minimal(("{\"type\": \"flatten\"}", "{\"type\": \"flatten\", \"size\": 2}")))
        #expect(flatten.contains("layers[2].size: unknown field (it takes no fields)"))
        let override = try error(SpecFixtures.minimal(("{\"type\": \"spiking\"},\n    {\"type\": \"flatten\"}",
                                                         "{\"type\": \"spiking\", \"neuron\": {\"treshold\": 2}},\n    {\"type\": \"flatten\"}")))
        #expect(override.contains("layers[1].neuron.treshold: unknown field (expected one of leak, threshold,"))
    }

    @Test func denseOnImageAsksForFlatten() throws {
        let message = try error(SpecFixtures.minimal((denseAfterFlatten, "{\"type\": \"dense\", \"units\": 10}")))
        #expect(message == "spec runs/x.json: layers[2] (dense): input has shape [8, 8, 4]; add {\"type\":\"flatten\"} before it")
    }

    @Test func kernelLargerThanPaddedInput() throws {
        let message = try error(SpecFixtures.minimal(("[8, 8, 1]", "[3, 3, 1]"), ("\"kernel\": 3, \"padding\": 1", "\"kernel\": 5")))
        #expect(message.hasPrefix("spec runs/x.json: layers[0] (conv): kernel 5 larger than padded input 3x3"))
        #expect(message.contains("smaller kernel or more padding"))
    }

    @Test func convAfterFlattenNeedsAnImage() throws {
        let message = try error(SpecFixtures.minimal(("[8, 8, 1]", "[64]")))
        #expect(message.contains("layers[0] (conv): input has shape [64]; conv needs [H, W, C] input"))
    }

    @Test func poolLargerThanInput() throws {
        let message = try error(SpecFixtures.minimal(("{\"type\": \"flatten\"}", "{\"type\": \"maxpool\", \"size\": 9}, {\"type\": \"flatten\"}")))
        #expect(message.contains("layers[2] (maxpool): size 9 larger than input 8x8"))
    }

    @Test func sizeParametersMustBePositive() throws {
        #expect(try error(SpecFixtures.minimal(("\"channels\": 4", "\"channels\": 0"))).contains("layers[0].channels: must be ≥ 1 (got 0)"))
        #expect(try error(SpecFixtures.minimal(("\"padding\": 1", "\"padding\": 1, \"stride\": 0"))).contains("layers[0].stride: must be ≥ 1"))
        #expect(try error(SpecFixtures.minimal(("\"units\": 10", "\"units\": -1"))).contains("layers[3].units: must be ≥ 1 (got -1)"))
        #expect(try error(SpecFixtures.minimal(("[8, 8, 1]", "[8, 8]"))).contains("input.shape: [8, 8] is not a valid shape; give [H, W, C]"))
    }

    @Test func timestepsBelowOne() throws {
        #expect(try error(SpecFixtures.minimal(("\"timesteps\": 4", "\"timesteps\": 0")))
                == "spec runs/x.json: timesteps: must be ≥ 1 (got 0)")
    }

    @Test func normalisationLayersMayComeFirst() {
        let json = SpecFixtures.minimal(("{\"type\": \"conv\", \"channels\": 4, \"kernel\": 3, \"padding\": 1},",
                                         "{\"type\": \"batchnorm\"}, {\"type\": \"spiking\"}, {\"type\": \"conv\", \"channels\": 4, \"kernel\": 3, \"padding\": 1},"))
        #expect(SpecFixtures.error(json) == nil)
    }

    @Test func meanPotentialNeedsDenseLast() throws {
        let message = try error(SpecFixtures.minimal(("\"spike-count\"", "\"mean-potential\"")))
        #expect(message.contains("output.readout: 'mean-potential' needs the last layer to be dense, but layers[4] is spiking"))
    }

    @Test func spikeCountAndRateNeedSpikingLast() throws {
        let withoutLastSpiking = ("{\"type\": \"dense\", \"units\": 10},\n    {\"type\": \"spiking\"}", "{\"type\": \"dense\", \"units\": 10}")
        let message = try error(SpecFixtures.minimal(withoutLastSpiking))
        #expect(message.contains("output.readout: 'spike-count' needs the last layer to be spiking, but layers[3] is dense"))
        #expect(message.contains("add {\"type\":\"spiking\"} at the end"))
        #expect(try error(SpecFixtures.minimal(withoutLastSpiking, ("\"spike-count\"", "\"rate\"")))
            .contains("'rate' needs the last layer to be spiking"))
        #expect(SpecFixtures.error(SpecFixtures.minimal(withoutLastSpiking, ("\"spike-count\"", "\"mean-potential\""))) == nil)
    }

    @Test func invalidJSONSaysWhere() throws {
        let message = try error(SpecFixtures.minimal(("\"timesteps\": 4,", "\"timesteps\": 4,,")))
        #expect(message.hasPrefix("spec runs/x.json: invalid JSON"))
        #expect(message.contains("line 2"))
        #expect(message.hasSuffix("fix the syntax"))
    }

    @Test func wrongValueTypeIsNamed() throws {
        let message = try error(SpecFixtures.minimal(("\"units\": 10", "\"units\": \"ten\"")))
        #expect(message.hasPrefix("spec runs/x.json: layers[3].units: expected an integer"))
        let fraction = try error(SpecFixtures.minimal(("\"units\": 10", "\"units\": 2.5")))
        #expect(fraction == "spec runs/x.json: layers[3].units: expected an integer (got 2.5)")
        #expect(try error(SpecFixtures.minimal(("\"layers\": [", "\"layers\": {\"a\": ["), ("\n  ],\n  \"output\"", "\n  ]},\n  \"output\"")))
            .contains(": layers: expected a list"))
    }

    @Test func unknownEnumValuesListTheChoices() throws {
        #expect(try error(SpecFixtures.minimal(("\"bptt\"", "\"backprop\"")))
                == "spec runs/x.json: method: unknown method 'backprop' (expected bptt, bntt, dsr, ttfs, ann)")
        #expect(try error(SpecFixtures.minimal(("\"spike-count\"", "\"spikes\"")))
            .contains("output.readout: unknown readout 'spikes' (expected mean-potential, spike-count, rate)"))
        #expect(try error(SpecFixtures.minimal(("\"sgd\"", "\"rmsprop\"")))
            .contains("training.optimizer.kind: unknown optimizer 'rmsprop' (expected sgd, adam)"))
        #expect(try error(SpecFixtures.minimal(("\"triangular\"", "\"relu\"")))
            .contains("neuron.surrogate.kind: unknown surrogate 'relu' (expected triangular, atan, sigmoid)"))
        #expect(try error(SpecFixtures.minimal(("{\"surrogate\"", "{\"reset\": \"zero\", \"surrogate\"")))
            .contains("neuron.reset: unknown reset 'zero' (expected soft, hard, soft-unleaked)"))
        #expect(try error(SpecFixtures.minimal(("{\"surrogate\"", "{\"compare\": \"=>\", \"surrogate\"")))
            .contains("neuron.compare: unknown comparison '=>' (expected >, >=)"))
    }

    @Test func rangeChecksNameTheField() throws {
        #expect(try error(SpecFixtures.minimal(("{\"surrogate\"", "{\"leak\": 1.5, \"surrogate\""))).contains("neuron.leak: must be in [0, 1] (got 1.5)"))
        #expect(try error(SpecFixtures.minimal(("\"lr\": 0.1", "\"lr\": 0"))).contains("training.optimizer.lr: must be > 0"))
        #expect(try error(SpecFixtures.minimal(("\"batchSize\": 16", "\"batchSize\": 16, \"microBatch\": 0")))
            .contains("training.microBatch: must be ≥ 1 (got 0)"))
        #expect(SpecFixtures.error(SpecFixtures.minimal(("\"batchSize\": 16", "\"batchSize\": 16, \"microBatch\": 5"))) == nil)
        #expect(try error(SpecFixtures.minimal(("\"lr\": 0.1", "\"lr\": 0.1}, \"schedule\": {\"kind\": \"step\", \"milestones\": [0.7, 0.5]")))
            .contains("training.schedule.milestones[1]: must be larger than the one before"))
        let override = SpecFixtures.minimal(("{\"type\": \"spiking\"},\n    {\"type\": \"flatten\"}",
                                             "{\"type\": \"spiking\", \"neuron\": {\"threshold\": -1}},\n    {\"type\": \"flatten\"}"))
        #expect(try error(override).contains("layers[1].neuron.threshold: must be > 0 (got -1.0)"))
        #expect(try error(SpecFixtures.minimal(("{\"kind\": \"triangular\"}", "{\"kind\": \"triangular\", \"alpha\": 2}")))
            .contains("neuron.surrogate.alpha: does not apply to the triangular surrogate"))
        // soft-unleaked subtracts θ after the leak (the kernels use θ/leak): leak 0 is refused, leak > 0 accepted.
        #expect(try error(SpecFixtures.minimal(("{\"surrogate\"", "{\"reset\": \"soft-unleaked\", \"leak\": 0, \"surrogate\"")))
                == "spec runs/x.json: neuron.reset: soft-unleaked subtracts θ after the leak and needs leak > 0 (got leak 0.0); raise leak or use soft/hard")
        #expect(SpecFixtures.error(SpecFixtures.minimal(("{\"surrogate\"", "{\"reset\": \"soft-unleaked\", \"leak\": 0.5, \"surrogate\""))) == nil)
        #expect(try error(SpecFixtures.minimal(("\"lr\": 0.1}", "\"lr\": 0.1}, \"initialization\": {\"kind\": \"torch\"}")))
            .contains("training.initialization.kind: unknown initialization 'torch' (expected xavier-uniform, kaiming-normal, torch-default)"))
    }

    @Test func earlyExitNeedsPerStepBatchNorm() throws {
        let message = try error(SpecFixtures.minimal(("\"training\":", "\"inference\": {\"earlyExit\": {\"threshold\": 0.2}}, \"training\":")))
        #expect(message.contains("inference.earlyExit: needs a batchnorm layer with \"perStep\": true"))
    }

    @Test func noSpikingLayerIsAnError() throws {
        let json = SpecFixtures.minimal(("{\"type\": \"spiking\"},\n    {\"type\": \"flatten\"}", "{\"type\": \"flatten\"}"),
                                        ("{\"type\": \"dense\", \"units\": 10},\n    {\"type\": \"spiking\"}", "{\"type\": \"dense\", \"units\": 10}"),
                                        ("\"spike-count\"", "\"mean-potential\""))
        #expect(try error(json).contains("layers: no spiking layer"))
    }

    @Test func missingFileSaysNotFound() throws {
        #expect(throws: SpecError.self) { try RunSpec.load(path: "/nonexistent/run.json") }
        do {
            _ = try RunSpec.load(path: "/nonexistent/run.json")
        } catch let error as SpecError {
            #expect(error.description.hasPrefix("spec /nonexistent/run.json: not found; check the path"))
        }
    }
}
