import Foundation
import Testing
import SNNCluster
import SNNEnergy
import SNNReport

/// The exposition of a hand-built run, checked line by line against values written out by hand, and checked
/// against the text-format grammar (every sample line `name{labels} value`, HELP/TYPE before each family).
@Suite struct PrometheusExpositionTests {
    static func fixture() throws -> RunReportData {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("snn-report-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let store = try MetricsStore.open(path: dir.appendingPathComponent("m.sqlite").path)
        let t0 = Date(timeIntervalSince1970: 1_800_000_000)
        try store.beginRun(RunRecord(runID: "r\"1", name: "demo", method: "bntt", specJSON: "{}", seed: 1, startedAt: t0))
        try store.recordStep("r\"1", StepRecord(epoch: 0, step: 0, loss: 2.5, accuracy: 0.25, samples: 32, samplesPerSec: 100))
        try store.recordStep("r\"1", StepRecord(epoch: 0, step: 1, loss: .nan, accuracy: 0.5, samples: 32, samplesPerSec: 150.5))
        try store.recordEval("r\"1", EvalRecord(epoch: 0, split: "test", loss: 1.75, accuracy: 0.625, samples: 64))
        try store.recordLayerSpikes("r\"1", epoch: 0, split: "test", [LayerSpikes(layer: 2, name: "lif1", spikesPerSample: 12.5)])
        try store.recordMembership("r\"1", MembershipRecord(at: t0, workerID: "w1", workerName: "a", event: .joined))
        try store.recordMembership("r\"1", MembershipRecord(at: t0, workerID: "w2", workerName: "b", event: .joined))
        try store.recordMembership("r\"1", MembershipRecord(at: t0.addingTimeInterval(5), workerID: "w2", workerName: "b", event: .lost))
        try store.recordMicroBatches("r\"1", [
            MicroBatchRecord(epoch: 0, step: 1, microBatch: 0, phase: "train", workerID: "w2", workerName: "b",
                             assignedAt: t0.addingTimeInterval(1), finishedAt: t0.addingTimeInterval(5), samples: 8, outcome: .requeued),
            MicroBatchRecord(epoch: 0, step: 1, microBatch: 0, phase: "train", workerID: "w1", workerName: "a",
                             assignedAt: t0.addingTimeInterval(5), finishedAt: t0.addingTimeInterval(6), samples: 8, outcome: .done),
        ])
        try store.addWire("r\"1", epoch: 0, kind: "RESULT received", messages: 3, rawBytes: 3000, wireBytes: 1000)
        let catalog = try ProfileCatalog.load()
        return try RunReportData.load(store: store, runID: nil, profile: catalog.profile(named: ProfileCatalog.defaultProfileName),
                                      profileName: ProfileCatalog.defaultProfileName)
    }

    @Test func valuesMatchTheStoredRun() throws {
        let text = PrometheusExposition.render(try Self.fixture())
        let lines = Set(text.split(separator: "\n").map(String.init))
        for expected in [
            #"snn_epoch{run="r\"1"} 1"#,                         // epoch 0 stored → 1 shown
            #"snn_step{run="r\"1"} 2"#,                          // step 1 stored → 2 shown
            #"snn_steps_committed_total{run="r\"1"} 2"#,
            #"snn_samples_trained_total{run="r\"1"} 64"#,
            #"snn_samples_per_second{run="r\"1"} 150.5"#,
            #"snn_loss{run="r\"1"} NaN"#,
            #"snn_train_accuracy{run="r\"1"} 0.5"#,
            #"snn_test_accuracy{run="r\"1",epoch="1"} 0.625"#,
            #"snn_test_loss{run="r\"1",epoch="1"} 1.75"#,
            #"snn_workers_alive{run="r\"1"} 1"#,                 // w1 joined; w2 joined then lost
            #"snn_worker_events_total{run="r\"1",event="lost"} 1"#,
            #"snn_micro_batches_requeued_total{run="r\"1"} 1"#,
            #"snn_wire_bytes_total{run="r\"1",direction="received",kind="RESULT"} 1000"#,
            #"snn_wire_raw_bytes_total{run="r\"1",direction="received",kind="RESULT"} 3000"#,
            #"snn_spikes_per_sample{run="r\"1",layer="2",name="lif1"} 12.5"#,
            "# TYPE snn_wire_bytes_total counter",
        ] {
            #expect(lines.contains(expected), "missing: \(expected)")
        }
        #expect(!text.contains("snn_energy_joules"))          // no counters stored: no energy sample, not a zero
        // 13 single-sample families + 4 membership events + 3 wire families with one kind each.
        #expect(try PrometheusTextGrammar.check(text) == 20)
    }

    @Test func valueAndLabelSpelling() {
        #expect(PrometheusExposition.value(3) == "3")
        #expect(PrometheusExposition.value(0.1) == "0.1")
        #expect(PrometheusExposition.value(-.infinity) == "-Inf" && PrometheusExposition.value(.infinity) == "+Inf")
        #expect(PrometheusExposition.escape("a\\b\"c\nd") == #"a\\b\"c\nd"#)
    }
}

/// A strict reader of the Prometheus text format (0.0.4): returns the number of samples, throws on the first
/// line that does not parse. Written from the format's specification, independently of the writer.
enum PrometheusTextGrammar {
    struct Bad: Error, CustomStringConvertible { let description: String }

    static func check(_ text: String) throws -> Int {
        var typed = Set<String>(), samples = 0
        for line in text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) where !line.isEmpty {
            if line.hasPrefix("# HELP ") { continue }
            if line.hasPrefix("# TYPE ") {
                let p = line.split(separator: " ")
                guard p.count == 4, ["counter", "gauge", "histogram", "summary", "untyped"].contains(p[3]) else { throw Bad(description: line) }
                guard typed.insert(String(p[2])).inserted else { throw Bad(description: "TYPE twice: \(line)") }
                continue
            }
            var i = line.startIndex
            func isNameChar(_ c: Character, first: Bool) -> Bool { c.isASCII && (c.isLetter || c == "_" || c == ":" || (!first && c.isNumber)) }
            let nameStart = i
            while i < line.endIndex, isNameChar(line[i], first: i == nameStart) { i = line.index(after: i) }
            let name = String(line[nameStart..<i])
            guard !name.isEmpty, typed.contains(name) else { throw Bad(description: "sample without TYPE: \(line)") }
            if i < line.endIndex, line[i] == "{" {
                i = line.index(after: i)
                while line[i] != "}" {
                    let ls = i
                    while isNameChar(line[i], first: i == ls) { i = line.index(after: i) }
                    guard i > ls, line[i] == "=", line[line.index(after: i)] == "\"" else { throw Bad(description: "label: \(line)") }
                    i = line.index(i, offsetBy: 2)
                    while line[i] != "\"" {
                        if line[i] == "\\" {
                            let n = line[line.index(after: i)]
                            guard n == "\\" || n == "\"" || n == "n" else { throw Bad(description: "escape: \(line)") }
                            i = line.index(after: i)
                        }
                        i = line.index(after: i)
                    }
                    i = line.index(after: i)
                    if line[i] == "," { i = line.index(after: i) }
                }
                i = line.index(after: i)
            }
            guard i < line.endIndex, line[i] == " " else { throw Bad(description: "no value: \(line)") }
            let value = line[line.index(after: i)...]
            guard ["NaN", "+Inf", "-Inf"].contains(value) || Double(value) != nil else { throw Bad(description: "value: \(line)") }
            samples += 1
        }
        return samples
    }
}
