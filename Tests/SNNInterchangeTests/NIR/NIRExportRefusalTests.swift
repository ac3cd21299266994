import Foundation
import Testing
import SNNInterchange
import SNNModel

/// What cannot be exported is refused with one line naming the layer (or method) and the reason; never
/// approximated. The example specs of cluster/runs are checked one by one (the README's table says the same).
@Suite struct NIRExportRefusalTests {
    func refusal(_ spec: RunSpec) throws -> String {
        let net = Network(try Inference.config(spec))
        let (p, s) = net.initialValues(seed: 0)
        do { _ = try NIRExport.graph(spec: spec, parameters: p, state: s); return "exported" } catch let e as NIRError { return e.description }
    }

    func example(_ name: String) throws -> RunSpec {
        try RunSpec.load(path: NIRRoundTripTests.repo + "/cluster/runs/\(name).json")
    }

    func spec(layers: String, neuron: String = #""reset": "hard""#, method: String = "bptt", readout: String = "spike-count") throws -> RunSpec {
        let json = """
        {"name": "t", "method": "\(method)", "timesteps": 4, "input": {"shape": [8, 8, 1], "encoding": "direct"},
         "neuron": {\(neuron), "surrogate": {"kind": "atan"}}, "layers": [\(layers)], "output": {"readout": "\(readout)"},
         "training": {"epochs": 1, "batchSize": 8, "optimizer": {"kind": "adam", "lr": 0.001}}}
        """
        return try RunSpec.decode(Data(json.utf8), source: "test")
    }

    @Test func exampleSpecsExportOrSayWhyNot() throws {
        #expect(try refusal(example("w1-mlp")) == "layers[2] (spiking): soft reset (U ← U − θ) has no NIR equivalent: NIR's LIF and IF reset to v_reset; use \"reset\": \"hard\"")
        #expect(try refusal(example("w2-conv")) == "layers[2] (spiking): soft reset (U ← U − θ) has no NIR equivalent: NIR's LIF and IF reset to v_reset; use \"reset\": \"hard\"")
        #expect(try refusal(example("bntt-fmnist")) == "layers[1] (batchnorm, perStep): BNTT's per-step γ_t (a different scale at every time step) has no NIR equivalent; NIR parameters are constant in time")
        #expect(try refusal(example("bntt-vgg9")) == "layers[1] (batchnorm, perStep): BNTT's per-step γ_t (a different scale at every time step) has no NIR equivalent; NIR parameters are constant in time")
        #expect(try refusal(example("nir-conv")) == "exported")
    }

    @Test func dsrIsRefusedForItsSpikeAmplitude() throws {
        let dsr = try example("dsr-fmnist")
        let net = Network(try Inference.config(dsr))   // shapes only: the method is refused before parameters are read
        let (p, s) = net.initialValues(seed: 0)
        #expect(throws: NIRError("method dsr: DSR neurons emit spikes of amplitude V_th (IF) or V_th/Δt (LIF) with a trainable V_th and a rate readout; NIR's IF/LIF emit unit spikes, so there is no equivalent graph")) {
            try NIRExport.graph(spec: dsr, parameters: p, state: s)
        }
    }

    @Test func layersWithoutAnExactEquivalentAreRefused() throws {
        #expect(try refusal(spec(layers: #"{"type": "conv", "channels": 2, "kernel": 3}, {"type": "spiking"}, {"type": "maxpool", "size": 2}, {"type": "flatten"}, {"type": "dense", "units": 3}, {"type": "spiking"}"#))
                == "layers[2] (maxpool): NIR has no max pooling (its pooling primitives are SumPool2d and AvgPool2d); use avgpool")
        #expect(try refusal(spec(layers: #"{"type": "batchnorm"}, {"type": "spiking"}, {"type": "flatten"}, {"type": "dense", "units": 3}, {"type": "spiking"}"#))
                == "layers[0] (batchnorm): a batch norm not directly after a conv or dense layer cannot be folded, and NIR has no batch norm; move it after one")
        #expect(try refusal(spec(layers: #"{"type": "flatten"}, {"type": "dense", "units": 3}, {"type": "spiking"}"#, neuron: #""reset": "hard", "initialPotential": 0.5"#))
                == "layers[2] (spiking): initialPotential 0.5 ≠ 0: NIR neurons have no initial-state field")
        #expect(try refusal(spec(layers: #"{"type": "flatten"}, {"type": "dense", "units": 3}, {"type": "spiking"}"#, neuron: #""reset": "soft-unleaked", "leak": 0.5"#))
                == "layers[2] (spiking): soft-unleaked reset (U ← leak·U − θ) has no NIR equivalent: NIR's LIF and IF reset to v_reset; use \"reset\": \"hard\"")
    }

    /// `>=` is exported exactly for float32 potentials as `v_threshold = nextDown(α·θ)`; α scales the level.
    @Test func atOrAboveExportsTheNextLowerThreshold() throws {
        let s = try spec(layers: #"{"type": "flatten"}, {"type": "dense", "units": 3}, {"type": "spiking"}"#,
                         neuron: #""reset": "hard", "compare": ">=", "threshold": 2, "alpha": 0.5, "leak": 0.75, "inputGain": 0.5"#)
        let net = Network(try Inference.config(s))
        let (p, st) = net.initialValues(seed: 0)
        let g = try NIRExport.graph(spec: s, parameters: p, state: st, dt: 1e-4)
        let lif = g.node("lif1")!
        #expect(lif.type == "LIF")
        #expect(lif.floats("v_threshold")!.values.allSatisfy { $0 == Float(1).nextDown })
        // τ = Δt/(1 − λ) = 1e-4/0.25, R = g/(1 − λ) = 0.5/0.25.
        #expect(lif.numbers("tau")!.values.first == 4e-4)
        #expect(lif.numbers("r")!.values.first == 2)
        let back = try NIRImport.run(g, name: "t")
        #expect(back.spec.neuron.leak == 0.75 && back.spec.neuron.inputGain == 0.5 && back.spec.neuron.threshold == Float(1).nextDown)
    }
}
