import Foundation
import SNNModel

/// Spec JSON used across the spec tests, and helpers to decode it.
enum SpecFixtures {
    /// A small valid spec that leaves every defaulted field out.
    static let minimal = """
    {
      "name": "t", "method": "bptt", "timesteps": 4,
      "input": {"shape": [8, 8, 1], "encoding": "direct"},
      "neuron": {"surrogate": {"kind": "triangular"}},
      "layers": [
        {"type": "conv", "channels": 4, "kernel": 3, "padding": 1},
        {"type": "spiking"},
        {"type": "flatten"},
        {"type": "dense", "units": 10},
        {"type": "spiking"}
      ],
      "output": {"readout": "spike-count"},
      "training": {"epochs": 1, "batchSize": 16, "optimizer": {"kind": "sgd", "lr": 0.1}}
    }
    """

    /// `minimal` with each `(old, new)` text replacement applied (each `old` must occur).
    static func minimal(_ edits: (String, String)...) -> String {
        var text = minimal
        for (old, new) in edits {
            precondition(text.contains(old), "fixture edit: '\(old)' not in the minimal spec")
            text = text.replacingOccurrences(of: old, with: new)
        }
        return text
    }

    static func decode(_ json: String) throws -> RunSpec {
        try RunSpec.decode(Data(json.utf8), source: "runs/x.json")
    }

    /// The `SpecError` text decoding `json` gives, or nil when it decodes and validates.
    static func error(_ json: String) -> String? {
        do {
            _ = try decode(json)
            return nil
        } catch let error as SpecError {
            return error.description
        } catch {
            return "not a SpecError: \(error)"
        }
    }

    /// The repository's `cluster/runs` directory (found from this file's path).
    static var runsDirectory: String {
        URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("cluster/runs").path
    }
}
