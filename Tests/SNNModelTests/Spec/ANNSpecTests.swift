import Foundation
import Testing
import SNNModel

/// Method `ann` (the source CNN of ECC): its example specs and the one-line refusals of what it cannot run.
@Suite struct ANNSpecTests {
    func spec(timesteps: Int = 1, activation: String = "{\"type\": \"relu\"}", encoding: String = "direct") -> Data {
        Data("""
        {"name": "a", "method": "ann", "timesteps": \(timesteps),
         "input": {"shape": [8, 8, 1], "encoding": "\(encoding)"}, "neuron": {"surrogate": {"kind": "triangular"}},
         "layers": [{"type": "conv", "channels": 2, "kernel": 3, "padding": 1}, {"type": "batchnorm"}, \(activation),
                    {"type": "avgpool", "size": 2}, {"type": "flatten"}, {"type": "dense", "units": 3}],
         "output": {"readout": "mean-potential"},
         "training": {"epochs": 1, "batchSize": 4, "microBatch": 2, "optimizer": {"kind": "adam", "lr": 0.001}}}
        """.utf8)
    }

    func message(_ d: Data) -> String? {
        do { _ = try RunSpec.decode(d, source: "a.json"); return nil } catch { return "\(error)" }
    }

    @Test func validANNSpecDecodes() throws {
        let s = try RunSpec.decode(spec(), source: "a.json")
        #expect(s.method == .ann)
        #expect(try s.shapes().last == [3])
    }

    @Test func refusalsNameTheFieldAndTheFix() {
        #expect(message(spec(timesteps: 4)) == "spec a.json: timesteps: method ann has no time axis; set \"timesteps\": 1 (got 4)")
        #expect(message(spec(activation: "{\"type\": \"spiking\"}")) == "spec a.json: layers[2]: method ann has no spiking layers; use {\"type\":\"relu\"}")
        #expect(message(spec(encoding: "poisson"))?.contains("input.encoding: method ann takes the image itself") == true)
    }
}
