import Foundation
import SNNModel
import Testing

/// The `ttfs` object and the TTFS network rules: defaults, round trip, and one clear line per mistake.
@Suite struct TTFSSpecTests {
    static let valid = """
    {
      "name": "t", "method": "ttfs", "timesteps": 1,
      "input": {"shape": [8, 8, 1], "encoding": "direct"},
      "ttfs": {"window": 6, "thresholdOffset": 0},
      "layers": [
        {"type": "conv", "channels": 4, "kernel": 3, "padding": 1},
        {"type": "batchnorm"},
        {"type": "spiking"},
        {"type": "maxpool", "size": 2},
        {"type": "flatten"},
        {"type": "dense", "units": 10}
      ],
      "output": {"readout": "mean-potential"},
      "training": {"epochs": 1, "batchSize": 16, "optimizer": {"kind": "adam", "lr": 0.001}}
    }
    """

    static func edited(_ edits: (String, String)...) -> String {
        var text = valid
        for (old, new) in edits {
            precondition(text.contains(old), "fixture edit: '\(old)' not in the spec")
            text = text.replacingOccurrences(of: old, with: new)
        }
        return text
    }

    func error(_ json: String) -> String? {
        do { _ = try RunSpec.decode(Data(json.utf8), source: "runs/t.json"); return nil } catch { return "\(error)" }
    }

    @Test func validSpecDecodesWithDefaultsAndRoundTrips() throws {
        let spec = try RunSpec.decode(Data(Self.valid.utf8), source: "t")
        let t = try #require(spec.ttfs)
        #expect(t.window == 6 && t.thresholdOffset == 0 && t.tau == 2 && t.delay == 0 && t.relaxationEpochs == 50 && t.tkbnAfter == 50)
        #expect(try RunSpec.decode(spec.encoded(), source: "again") == spec)
    }

    @Test func mistakesAreOneClearLine() {
        let cases: [(String, String)] = [
            (Self.edited(("\"window\": 6", "\"windw\": 6")), "spec runs/t.json: ttfs.windw: unknown field (expected one of tau, delay, window,"),
            (Self.edited(("\"window\": 6", "\"window\": 0")), "spec runs/t.json: ttfs.window: must be in 1...1000 steps (got 0)"),
            (Self.edited(("\"thresholdOffset\": 0", "\"thresholdOffset\": 0.3")), "spec runs/t.json: ttfs.thresholdOffset: must be 0.5"),
            (Self.edited(("\"timesteps\": 1", "\"timesteps\": 4")), "spec runs/t.json: timesteps: method ttfs trains without a time axis: set it to 1"),
            (Self.edited(("\"maxpool\"", "\"avgpool\"")), "spec runs/t.json: layers[3]: method ttfs pools by first spike: use maxpool instead of avgpool"),
            (Self.edited(("{\"type\": \"batchnorm\"}", "{\"type\": \"batchnorm\", \"perStep\": true}")), "spec runs/t.json: layers[1].perStep: method ttfs has no time axis"),
            (Self.edited(("\"units\": 10}", "\"units\": 10}, {\"type\": \"spiking\"}")), "spec runs/t.json: output.readout: 'mean-potential' needs the last layer to be dense"),
            (Self.edited(("\"mean-potential\"", "\"spike-count\"")), "spec runs/t.json: output.readout:"),
            (Self.edited(("\"ttfs\": {\"window\": 6, \"thresholdOffset\": 0}", "\"ttfs\": {\"relaxationBypass\": 1}")), "spec runs/t.json: ttfs.relaxationBypass: must be in [0, 1)"),
        ]
        for (json, prefix) in cases {
            let message = error(json)
            #expect(message?.hasPrefix(prefix) == true, "expected '\(prefix)…', got \(message ?? "no error")")
            #expect(message?.contains("\n") == false)
        }
    }

    /// A `ttfs` object on another method is refused by name.
    @Test func ttfsObjectOnlyForMethodTTFS() {
        let json = Self.edited(("\"method\": \"ttfs\"", "\"method\": \"bntt\""),
                               ("\"timesteps\": 1,", "\"timesteps\": 1, \"neuron\": {\"surrogate\": {\"kind\": \"triangular\"}},"))
        #expect(error(json) == "spec runs/t.json: ttfs: only applies to method ttfs (this run is bntt); remove it")
    }
}
