import Foundation
import Testing
import SNNCore
import SNNModel
import SNNMethods

/// Issue 8 item 14: spec fields that were accepted and then ignored.
@Suite struct MethodFactoryConformanceTests {
    static func spec(surrogate: String, earlyExit: String? = nil, layers: String? = nil, method: String = "bptt",
                     readout: String = "spike-count") throws -> RunSpec {
        let json = """
        {"name": "t", "method": "\(method)", "timesteps": 4, "input": {"shape": [8, 8, 1], "encoding": "direct"},
         "neuron": {"leak": 0.5, "threshold": 1, "reset": "soft", "compare": ">=", "surrogate": \(surrogate)},
         "layers": \(layers ?? #"[{"type": "flatten"}, {"type": "dense", "units": 10}, {"type": "spiking"}]"#),
         "output": {"readout": "\(readout)"},
         \(earlyExit.map { #""inference": {"earlyExit": \#($0)},"# } ?? "")
         "training": {"epochs": 1, "batchSize": 8, "microBatch": 8, "optimizer": {"kind": "sgd", "lr": 0.1}}}
        """
        return try RunSpec.decode(Data(json.utf8), source: "test spec")
    }

    /// A `scale` on atan/sigmoid used to be dropped silently (the derivative stayed unscaled): now refused.
    @Test(arguments: ["atan", "sigmoid"])
    func scaleOnAnAlphaOnlySurrogateIsRefused(kind: String) throws {
        let s = try Self.spec(surrogate: #"{"kind": "\#(kind)", "scale": 2}"#)
        do {
            _ = try MethodFactory.make(s)
            Issue.record("scale 2 on \(kind) was accepted")
        } catch {
            #expect(error.description.contains("neuron.surrogate.scale") && error.description.contains(kind), "\(error)")
        }
        // Without scale it builds, with the documented α default.
        _ = try MethodFactory.make(try Self.spec(surrogate: #"{"kind": "\#(kind)"}"#))
    }

    /// `inference.earlyExit.aggregate` reaches the rule: two BNTT layers whose per-step γ means are
    /// A = [0.9, 0.5, 0.3, 0.1] and B = [0.9, 0.1, 0.05, 0.05], threshold 0.2, convention "before":
    /// mean = [0.9, 0.3, 0.175, 0.075] → first below at t=3 → 2 steps; min → t=2 → 1 step; max → t=4 → 3 steps.
    @Test(arguments: [("mean", 2), ("min", 1), ("max", 3)])
    func earlyExitAggregateChoosesTheExitStep(aggregate: String, steps: Int) throws {
        let layers = """
        [{"type": "conv", "channels": 2, "kernel": 3, "padding": 1}, {"type": "batchnorm", "perStep": true, "shift": false},
         {"type": "spiking"},
         {"type": "conv", "channels": 2, "kernel": 3, "padding": 1}, {"type": "batchnorm", "perStep": true, "shift": false},
         {"type": "spiking"}, {"type": "flatten"}, {"type": "dense", "units": 10}]
        """
        let s = try Self.spec(surrogate: #"{"kind": "triangular"}"#,
                              earlyExit: #"{"threshold": 0.2, "aggregate": "\#(aggregate)", "convention": "before"}"#,
                              layers: layers, method: "bntt", readout: "mean-potential")
        let m = try #require(try MethodFactory.make(s) as? BNTT)
        #expect(m.earlyExit?.aggregate.rawValue == aggregate)
        var (p, _) = m.network.initialValues(seed: 0)
        let bns = m.network.layers.compactMap { $0 as? BatchNormLayer }
        let means: [[Float]] = [[0.9, 0.5, 0.3, 0.1], [0.9, 0.1, 0.05, 0.05]]
        for (l, bn) in bns.enumerated() {
            for t in 0..<4 { for c in 0..<bn.channels { p[bn.gammaOffset + t * bn.channels + c] = means[l][t] } }
        }
        #expect(m.inferenceSteps(parameters: p) == steps)
    }
}
