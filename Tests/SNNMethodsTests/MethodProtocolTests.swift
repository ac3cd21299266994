import Foundation
import Testing
import SNNCore
import SNNEnergy
import SNNModel
import SNNMethods

/// Method-specific choices live behind the `TrainingMethod` protocol: `MethodFactory` picks the method type once by
/// the spec's method kind, and the type says what a spiking layer is and builds itself.
@Suite struct MethodProtocolTests {
    static func example(_ name: String) throws -> RunSpec {
        let runs = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("cluster/runs")
        return try RunSpec.load(path: runs.appendingPathComponent("\(name).json").path)
    }

    @Test func eachMethodKindNamesItsType() {
        #expect(MethodFactory.methodType(.bptt) is SurrogateBPTT.Type)
        #expect(MethodFactory.methodType(.bntt) is BNTT.Type)
        #expect(MethodFactory.methodType(.dsr) is DSR.Type)
        #expect(MethodFactory.methodType(.ttfs) is TTFS.Type)
        #expect(MethodFactory.methodType(.ann) is ANN.Type)
    }

    /// The example specs' first spiking layer, as each method makes it from the spec's neuron and settings.
    @Test func eachMethodDecidesWhatASpikingLayerIs() throws {
        let w1 = try Self.example("w1-mlp")   // bptt: LIF with the neuron's surrogate
        #expect(try MethodFactory.networkConfig(w1).layers[2] == .spiking(LIFParameters(leak: 0.5, threshold: 1, comparison: .greaterOrEqual),
                                                                         .atan(alpha: 2)))
        let dsr = try Self.example("dsr-fmnist")   // IF neurons, α 0.5, floor 0.01, trainable threshold from θ = 6
        let d = try #require(dsr.neuron.dsr)
        #expect(try MethodFactory.networkConfig(dsr).layers[2]
                == .dsrSpiking(DSRParameters(model: .integrateAndFire, alpha: 0.5, thresholdFloor: 0.01, tau: d.tau, dt: d.dt), threshold: 6))
        let ttfs = try Self.example("ttfs-fmnist")   // the temporal kernel with the spec's τ 2, t_d 0, T_w 8
        #expect(try MethodFactory.networkConfig(ttfs).layers[2] == .temporalKernel(TemporalKernel(tau: 2, delay: 0, window: 8)))
        // The same neuron under another method type is that method's layer.
        #expect(try SurrogateBPTT.spikingLayer(for: w1.neuron, spec: w1) == BNTT.spikingLayer(for: w1.neuron, spec: w1))
        #expect(try MethodFactory.make(dsr) is DSR && MethodFactory.make(ttfs) is TTFS && MethodFactory.make(w1) is SurrogateBPTT)
    }

    @Test func dsrRefusesANeuronWithoutDSRSettings() throws {
        let w1 = try Self.example("w1-mlp")
        do {
            _ = try DSR.spikingLayer(for: w1.neuron, spec: w1)
            Issue.record("a neuron without dsr settings was accepted")
        } catch {
            #expect(error.description.contains("neuron.dsr"), "\(error)")
        }
    }

    /// A work phase runs the pass mode `WorkPhase.passMode` names, and its events land in that mode's energy phase:
    /// a train micro-batch counts forward and backward events (and returns a gradient), an evaluation one only
    /// inference events.
    @Test func workPhaseSelectsThePassAndItsEnergyPhases() throws {
        let m = try MethodFactory.make(try MethodFactoryConformanceTests.spec(surrogate: #"{"kind": "atan"}"#))
        let data = syntheticImages(count: 16)
        let (p, s) = m.network.initialValues(seed: 4)
        for phase in [WorkPhase.train, .evaluate] {
            let work = MicroBatch(epoch: 0, step: 0, index: 0, phase: phase, samples: (0..<8).map { Int32($0) }, seed: 1)
            let r = m.run(work, data: data, parameters: p, state: s)
            let none = EventCounts()
            switch phase.passMode {
            case .training:
                #expect(r.gradient.count == m.network.parameterCount)
                #expect(r.ledger.total(.trainForward) != none && r.ledger.total(.trainBackward) != none)
                #expect(r.ledger.total(.inference) == none)
            case .inference:
                #expect(r.gradient.isEmpty)
                #expect(r.ledger.total(.inference) != none)
                #expect(r.ledger.total(.trainForward) == none && r.ledger.total(.trainBackward) == none)
            }
            #expect(PassMode.training.forwardPhase == .trainForward && PassMode.inference.forwardPhase == .inference)
        }
        #expect(WorkPhase.allCases.filter { $0.passMode == .training } == [.train])
    }
}
