import Foundation
import Testing
import SNNCluster
import SNNEnergy

/// `snn-coord query --energy` on a real run (the built binary on a tiny BNTT trained for two epochs): `--epoch`,
/// `--phase`, `--format json` carrying the table's content, and one-line errors for bad values.
///
/// The run: 256 training images, batch 32, micro-batch 8, so each epoch is 8 steps of 4 micro-batches (32).
@Suite(.serialized) struct EnergyQueryTests {
    /// Trains the tiny run; returns the database path.
    func trainedRun() throws -> (dir: String, db: String) {
        let dir = temporaryDirectory()
        let spec = try writeTinySpec(in: dir, epochs: 2)
        let r = try run("snn-coord", ["start", "--spec", spec, "--standalone", "--limit", "256", "--seed", "5", "--quiet",
                                      "--db", dir + "/m.sqlite", "--checkpoint-dir", dir + "/ck"], cwd: dir, timeout: 300)
        #expect(r.status == 0, "\(r.stderr)")
        return (dir, dir + "/m.sqlite")
    }

    func report(_ db: String, _ extra: [String]) throws -> EnergyReport {
        let r = try run("snn-coord", ["query", "--db", db, "--energy", "--format", "json"] + extra)
        #expect(r.status == 0, "\(r.stderr)")
        return try JSONDecoder().decode(EnergyReport.self, from: Data(r.stdout.utf8))
    }

    @Test func epochPhaseAndJSONOnARealRun() throws {
        let (dir, db) = try trainedRun()
        let e1 = try report(db, ["--epoch", "1"]), e2 = try report(db, ["--epoch", "2"]), all = try report(db, [])

        // --epoch: each epoch's counts alone; the run's are their exact sum, layer by layer and phase by phase.
        #expect(e1.trainingSteps == 8 && e2.trainingSteps == 8 && all.trainingSteps == 16)
        #expect(e1.samples > 0 && e1.samples == e2.samples && all.samples == e1.samples + e2.samples)
        #expect(all.layerCounts.count == 6 && e1.layerCounts.map(\.name) == all.layerCounts.map(\.name))
        for (l, lc) in all.layerCounts.enumerated() {
            for (phase, c) in lc.counts {
                let a = e1.layerCounts[l].counts[phase]?.fields ?? [], b = e2.layerCounts[l].counts[phase]?.fields ?? []
                #expect(zip(a, b).map { $0 + $1 } == c.fields, "\(lc.name) \(phase)")
            }
        }
        #expect(all.layerCounts.contains { ($0.counts["inference"]?.synapticOps ?? 0) > 0 })

        // Intervals, the same-memory ratio and the literature figure are there, and agree with each other.
        let cmp = try #require(e1.comparison)
        let ann = try #require(cmp.annJ), ratio = try #require(cmp.ratio)
        #expect(cmp.snnJ.low <= cmp.snnJ.nominal && cmp.snnJ.nominal <= cmp.snnJ.high && cmp.snnJ.low > 0)
        #expect(ann.low <= ann.nominal && ann.nominal <= ann.high && ann.low > 0)
        #expect(abs(ratio.nominal - cmp.snnJ.nominal / ann.nominal) <= 1e-12 * ratio.nominal)
        let lit = try #require(e1.literature)
        #expect(lit.snnOverAnn != nil && lit.bnAndPoolingExcluded)

        // Derived training traffic: 2 × parameters × 32 micro-batches of gradient-buffer RMW per epoch, where the
        // parameters are the optimizer's weight reads per step (one per parameter).
        let params = e1.layerCounts.reduce(Int64(0)) { $0 + ($1.counts["optimizer"]?.weightReads ?? 0) } / 8
        #expect(params > 0)
        #expect(e1.derivedTerms.first { $0.name == "gradient_rmw" }?.count == 2 * params * 32)
        #expect(e1.derivedTerms.first { $0.name == "weight_write_back" }?.count == params * 8)
        #expect(all.derivedTerms.first { $0.name == "gradient_rmw" }?.count == 2 * params * 64)

        // The table carries the same content as the JSON: the decoded report renders to exactly the table's lines.
        let table = try run("snn-coord", ["query", "--db", db, "--energy", "--epoch", "1"])
        #expect(table.status == 0, "\(table.stderr)")
        let lines = table.stdout.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.first?.hasPrefix("run ") == true && lines.first?.contains("e2e-bntt") == true)
        #expect(lines.dropFirst().joined(separator: "\n") == e1.text() + "\n")
        for s in ["full-model SNN vs equivalent ANN [cmos45-fp32]", "SNN/ANN: ", "counts per layer",
                  "literature-style figure", "SNN/ANN energy ratio (literature convention): ",
                  "gradient accumulate RMW (words, derived) [train-backward]"] {
            #expect(table.stdout.contains(s), "missing \(s)")
        }

        // --phase inference: the inference counts only, the comparison, no training figure.
        let inf = try report(db, ["--epoch", "1", "--phase", "inference"])
        #expect(inf.phases == ["inference"] && inf.trainingJPerStep == nil && inf.derivedTerms.isEmpty)
        // (Separate processes may sum a phase's terms in another order: equal to the last few bits.)
        func near(_ a: Double?, _ b: Double?) -> Bool { guard let a, let b else { return false }; return abs(a - b) <= 1e-12 * abs(b) }
        #expect(inf.comparison == e1.comparison && near(inf.inferenceJPerSample, e1.inferenceJPerSample))
        #expect(inf.layerCounts.allSatisfy { Array($0.counts.keys) == ["inference"] })
        // --phase train: the three training phases, priced per step; no inference figures.
        let train = try report(db, ["--epoch", "1", "--phase", "train"])
        #expect(train.phases == ["train-forward", "train-backward", "optimizer"])
        #expect(train.inferenceJPerSample == nil && train.comparison == nil && train.literature == nil)
        #expect(near(train.trainingJPerStep, e1.trainingJPerStep) && train.derivedTerms == e1.derivedTerms)
        _ = dir
    }

    /// A run stopped mid-epoch (--max-steps 3 of 8) keeps that epoch's training counters; they are priced, with the
    /// derived gradient-buffer traffic of its 3 steps × 4 micro-batches.
    @Test func aRunStoppedMidEpochKeepsItsTrainingCounts() throws {
        let dir = temporaryDirectory()
        let spec = try writeTinySpec(in: dir)
        let r = try run("snn-coord", ["start", "--spec", spec, "--standalone", "--limit", "256", "--max-steps", "3", "--quiet",
                                      "--db", dir + "/m.sqlite", "--checkpoint-dir", dir + "/ck"], cwd: dir, timeout: 300)
        #expect(r.status == 0, "\(r.stderr)")
        let t = try report(dir + "/m.sqlite", ["--phase", "training"])
        #expect(t.trainingSteps == 3)
        let forward = t.layerCounts.reduce(Int64(0)) { $0 + ($1.counts["train-forward"]?.synapticOps ?? 0) + ($1.counts["train-forward"]?.macs ?? 0) }
        #expect(forward > 0)
        let params = t.layerCounts.reduce(Int64(0)) { $0 + ($1.counts["optimizer"]?.weightReads ?? 0) } / 3
        #expect(params > 0 && t.derivedTerms.first { $0.name == "gradient_rmw" }?.count == 2 * params * 12)
        #expect(t.trainingJPerStep.map { $0 > 0 } == true)
    }

    @Test func badValuesAreOneLineAndANonZeroExit() throws {
        let (_, db) = try trainedRun()
        let cases: [([String], String)] = [
            (["--energy", "--epoch", "7"], "no event counts for epoch 7"),
            (["--energy", "--epoch", "0"], "--epoch must be an epoch number ≥ 1 (got '0'"),
            (["--energy", "--epoch", "-1"], "--epoch must be an epoch number ≥ 1 (got '-1'"),
            (["--energy", "--epoch", "x"], "--epoch must be an epoch number ≥ 1 (got 'x'"),
            (["--energy", "--phase", "bogus"], "'bogus' is invalid for '--phase <phase>'"),
            (["--energy", "--profile", "no-such-chip"], "no-such-chip"),
            (["--energy", "--format", "yaml"], "'yaml' is invalid for '--format <format>'. Please provide one of 'table', 'json', 'csv' or 'prometheus'"),
            (["--energy", "--format", "csv"], "--energy prints a table or JSON"),
            (["--epoch", "1"], "add --energy"),
        ]
        for (args, says) in cases {
            let r = try run("snn-coord", ["query", "--db", db] + args)
            #expect(r.status != 0, "\(args)")
            #expect(r.stderr.split(separator: "\n").count == 1, "\(args): \(r.stderr)")
            #expect(r.stderr.contains(says), "\(args): \(r.stderr)")
            #expect(r.stdout.isEmpty, "\(args)")
        }
    }
}
