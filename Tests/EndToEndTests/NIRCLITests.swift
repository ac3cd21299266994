import Foundation
import Testing

/// `snn-coord export --nir` / `import --nir` as processes: a briefly trained run leaves as NIR, comes back as a
/// spec + checkpoint, and `start --resume` of that checkpoint evaluates the same parameters (same SHA-256) to the
/// same test accuracy and spike counts. Refusals are one line on stderr with a non-zero exit.
@Suite struct NIRCLITests {
    static let spec = """
    {"name": "nir-e2e", "method": "bptt", "timesteps": 4, "input": {"shape": [28, 28, 1], "encoding": "direct"},
     "neuron": {"leak": 0.75, "threshold": 1, "reset": "hard", "compare": ">", "surrogate": {"kind": "atan"}},
     "layers": [{"type": "flatten"}, {"type": "dense", "units": 32, "bias": true}, {"type": "spiking"},
                {"type": "dense", "units": 10}, {"type": "spiking"}],
     "output": {"readout": "spike-count"},
     "training": {"epochs": 1, "batchSize": 64, "microBatch": 32, "optimizer": {"kind": "adam", "lr": 0.01}}}
    """

    /// The summary line starting with `key` (e.g. "test accuracy", "parameters").
    func line(_ out: String, _ key: String) -> String {
        out.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.first { $0.hasPrefix(key) } ?? "missing \(key)"
    }

    @Test func trainedRunRoundTripsThroughNIRToTheSameEvaluation() throws {
        let dir = temporaryDirectory()
        try Self.spec.write(toFile: dir + "/spec.json", atomically: true, encoding: .utf8)
        let train = try run("snn-coord", ["start", "--standalone", "--quiet", "--spec", dir + "/spec.json", "--max-steps", "3",
                                          "--limit", "256", "--threads", "1", "--db", dir + "/m.sqlite", "--checkpoint-dir", dir + "/run"],
                            cwd: dir, timeout: 300)
        #expect(train.status == 0, "\(train.stderr)")
        let export = try run("snn-coord", ["export", "--nir", dir + "/net.nir", dir + "/run/checkpoint.ckpt"], cwd: dir)
        #expect(export.status == 0, "\(export.stderr)")
        #expect(export.stdout.contains("Input → Flatten → Affine → LIF → Linear → LIF → Output"))
        let imp = try run("snn-coord", ["import", "--nir", dir + "/net.nir", "--spec-out", dir + "/back.json", "--finished"], cwd: dir)
        #expect(imp.status == 0, "\(imp.stderr)")
        #expect(FileManager.default.fileExists(atPath: dir + "/back.ckpt"))
        let eval = try run("snn-coord", ["start", "--standalone", "--quiet", "--resume", dir + "/back.ckpt", "--limit", "256",
                                         "--threads", "1", "--db", dir + "/m2.sqlite", "--checkpoint-dir", dir + "/run2"],
                           cwd: dir, timeout: 300)
        #expect(eval.status == 0, "\(eval.stderr)")
        for key in ["parameters", "test accuracy", "spikes/sample"] {
            #expect(!line(train.stdout, key).hasPrefix("missing"))
            #expect(line(eval.stdout, key) == line(train.stdout, key))
        }
        #expect(line(eval.stdout, "trained").hasPrefix("trained          0 steps"))
    }

    @Test func refusalsAreOneLine() throws {
        let dir = temporaryDirectory()
        let w1 = try run("snn-coord", ["export", "--nir", dir + "/w1.nir", "--spec", repositoryRoot + "/cluster/runs/w1-mlp.json"])
        #expect(w1.status != 0)
        #expect(w1.stderr == "snn-coord export: layers[2] (spiking): soft reset (U ← U − θ) has no NIR equivalent: NIR's LIF and IF reset to v_reset; use \"reset\": \"hard\"\n")
        #expect(!FileManager.default.fileExists(atPath: dir + "/w1.nir"))
        // An ECC-converted model (recognised by its file magic) is refused with the reason, not read as a checkpoint.
        try (Data("SNNECC01".utf8) + Data(count: 64)).write(to: URL(fileURLWithPath: dir + "/m.snnecc"))
        let ecc = try run("snn-coord", ["export", "--nir", dir + "/ecc.nir", dir + "/m.snnecc"])
        #expect(ecc.status != 0)
        #expect(ecc.stderr.split(separator: "\n").count == 1 && ecc.stderr.contains("an ECC-converted model"), "\(ecc.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir + "/ecc.nir"))
        let cuba = try run("snn-coord", ["import", "--nir", repositoryRoot + "/Tests/SNNInterchangeTests/Fixtures/nir/cuba.nir", "--spec-out", dir + "/c.json"])
        #expect(cuba.status != 0)
        #expect(cuba.stderr.hasPrefix("snn-coord import: node 'cuba' (CubaLIF): not supported"))
        #expect(cuba.stderr.split(separator: "\n").count == 1)
        #expect(!FileManager.default.fileExists(atPath: dir + "/c.json"))
    }

    @Test func helpDocumentsTheOptions() throws {
        let e = try run("snn-coord", ["export", "--help"])
        for s in ["--nir <file>", "<run>", "--spec <file>", "--dt <seconds>"] { #expect(e.stdout.contains(s), "missing \(s)") }
        let i = try run("snn-coord", ["import", "--help"])
        for s in ["--nir <file>", "--spec-out <file>", "--checkpoint-out <file>", "--dt <seconds>", "--timesteps <n>", "--finished"] {
            #expect(i.stdout.contains(s), "missing \(s)")
        }
    }
}
