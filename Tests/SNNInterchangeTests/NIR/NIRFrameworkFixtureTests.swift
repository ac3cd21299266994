import Foundation
import Testing
import SNNInterchange
import SNNModel

/// Import of `.nir` files written by real frameworks' own exporters, run by our kernels, against the output spike
/// counts the framework itself computed over T = 12 steps on the first 6 Fashion-MNIST test images:
/// snnTorch 1.0.0 (`export_to_nir`, Fixtures/nir/make_snntorch_fixtures.py) and Norse 1.1.0 (`to_nir`,
/// make_norse_fixtures.py). snnTorch writes a `Leaky(beta)` as a LIF with τ = dt/(1 − β), r = τ/dt at its fixed
/// dt = 1e-4; imported at Δt = 1e-4 the README's forward-Euler mapping gives back leak = 1 − Δt/τ = β and
/// inputGain = Δt·r/τ = 1, snnTorch's U_t = β·U_{t−1} + I_t.
@Suite struct NIRFrameworkFixtureTests {
    struct Outputs: Decodable {
        var dt: Double
        var timesteps: Int
        var inputShape: [Int]
        var inputs: [[Double]]
        var outputs: [[Double]]
        var predictions: [Int]
    }

    /// Imports `name` at the fixture's Δt and T, runs its inputs; returns our counts (flattened), snnTorch's, the import.
    func run(_ name: String) throws -> (ours: [Float], theirs: [Float], fixture: Outputs, result: NIRImportResult) {
        let url = URL(fileURLWithPath: FixturePaths.fixture("nir/\(name).json"))
        let fixture = try JSONDecoder().decode(Outputs.self, from: Data(contentsOf: url))
        let graph = try NIRFile.read(FixturePaths.fixture("nir/\(name).nir"))
        let result = try NIRImport.run(graph, name: name, dt: fixture.dt, timesteps: fixture.timesteps)
        let inputs = fixture.inputs.flatMap { Inference.channelsLast($0, nirShape: fixture.inputShape) }
        let ours = try Inference.logits(result.spec, parameters: result.parameters, state: result.state,
                                        inputs: inputs, batch: fixture.inputs.count)
        return (ours, fixture.outputs.flatMap { $0.map { Float($0) } }, fixture, result)
    }

    /// The spiking layers' neurons as imported (a layer without an override has the run's neuron).
    func neurons(_ spec: RunSpec) -> [NeuronSpec] {
        spec.layers.compactMap { if case .spiking(let s) = $0 { return s.neuron ?? spec.neuron } else { return nil } }
    }

    /// Equal spike counts and predictions; the counts are also non-trivial (neither all 0 nor all T).
    func expectAgreement(_ name: String, classes: Int) throws -> (ours: [Float], theirs: [Float], result: NIRImportResult) {
        let (ours, theirs, fixture, result) = try run(name)
        let diff = zip(ours, theirs).map { abs($0 - $1) }.max() ?? .infinity
        print("NIR framework fixture \(name): max spike-count difference \(diff) over \(fixture.inputs.count) inputs")
        #expect(ours.count == theirs.count)
        #expect(diff == 0)
        #expect(Inference.predictions(ours, classes: classes) == fixture.predictions)
        #expect(theirs.contains { $0 > 0 && $0 < Float(fixture.timesteps) })
        return (ours, theirs, result)
    }

    @Test func mlpOfLeakyNeuronsReproducesSnnTorchsSpikeCounts() throws {
        let (_, _, result) = try expectAgreement("snntorch_mlp", classes: 10)
        #expect(result.spec.layers.map(\.typeName) == ["dense", "spiking", "dense", "spiking"])
        #expect(result.spec.input.shape == [784])
        // β 0.9 and 0.8 come back exactly; the input gain is exactly 1; zero reset, strict comparison.
        #expect(neurons(result.spec).map(\.leak) == [Float(0.9), Float(0.8)])
        #expect(neurons(result.spec).allSatisfy { $0.inputGain == 1 && $0.reset == .hard && $0.compare == .greater && $0.threshold == 1 })
    }

    @Test func convNetOfLeakyNeuronsReproducesSnnTorchsSpikeCounts() throws {
        let (_, _, result) = try expectAgreement("snntorch_conv", classes: 10)
        #expect(result.spec.layers.map(\.typeName) == ["conv", "spiking", "avgpool", "flatten", "dense", "spiking"])
        #expect(result.spec.input.shape == [28, 28, 1])
        #expect(neurons(result.spec).map(\.leak) == [Float(0.85), Float(0.9)])
        #expect(neurons(result.spec).allSatisfy { $0.inputGain == 1 })
    }

    /// At our default Δt (1 ms, Norse's) an snnTorch file cannot be read as snnTorch meant it: β 0.9 at dt 1e-4 is
    /// τ = 1e-4/(1 − 0.9), just under 1 ms in float32, so the forward-Euler leak would be negative. The import refuses
    /// with one line asking for a smaller step (README: import snnTorch graphs with `--dt 1e-4`).
    @Test func snnTorchsGraphAtOurDefaultStepIsRefusedAskingForASmallerStep() throws {
        let graph = try NIRFile.read(FixturePaths.fixture("nir/snntorch_mlp.nir"))
        #expect(throws: NIRError("node '1' (LIF): τ = 0.0009999996982514858 is shorter than the step Δt = 0.001: the forward-Euler leak 1 − Δt/τ would be negative; pass a smaller --dt (files from snnTorch's exporter need --dt 1e-4, from Norse's --dt 1e-6 at its default dt of 1 ms)")) {
            try NIRImport.run(graph, name: "x", dt: 1e-3, timesteps: 12)
        }
    }

    /// Norse's `tau` is dt/tau_mem_inv (dt times the time constant), so the file describes Norse's step only at
    /// Δt = dt² = 1e-6 (make_norse_fixtures.py): leak 1 − dt·tau_mem_inv, inputGain dt·tau_mem_inv.
    @Test func mlpOfNorseLIFBoxNeuronsReproducesNorsesSpikeCounts() throws {
        let (_, _, result) = try expectAgreement("norse_mlp", classes: 10)
        #expect(result.spec.layers.map(\.typeName) == ["dense", "spiking", "dense", "spiking"])
        let n = neurons(result.spec)
        #expect(abs(n[0].leak - 0.8) < 1e-6 && abs(n[0].inputGain - 0.2) < 1e-6)
        #expect(abs(n[1].leak - 0.75) < 1e-6 && abs(n[1].inputGain - 0.25) < 1e-6)
    }
}
