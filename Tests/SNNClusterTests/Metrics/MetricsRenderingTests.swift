import Foundation
import Testing
import SNNCluster

@Suite("Metrics query rendering: table, JSON, CSV")
struct MetricsRenderingTests {
    func sampleSummary() throws -> (RunSummary, MetricsStore, URL) {
        let dir = try metricsTempDir()
        let store = try MetricsStore.open(path: dir.appendingPathComponent("metrics.sqlite").path)
        try writeSampleRun(store)
        return (try store.summary(run: "r1"), store, dir)
    }

    @Test func tableHasUnitsAndAlignedEpochRows() throws {
        let (s, _, dir) = try sampleSummary()
        defer { try? FileManager.default.removeItem(at: dir) }
        let text = renderSummary(s, format: .table)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines[0] == "run r1  name fmnist-bntt  method bntt  status completed  seed 42")
        #expect(text.contains("parameter digest d-final  latest checkpoint epoch 1 step 2: /ckpt/r1-e1.ckpt"))
        #expect(text.contains("workers: 2 distinct; 3 joined, 1 lost, 0 left, 1 refused"))
        let header = try #require(lines.first { $0.hasPrefix("epoch") })
        #expect(header.contains("mean loss") && header.contains("test acc (%)") && header.contains("throughput (samples/s)"))
        let row1 = try #require(lines.first { $0.hasPrefix("    2") })   // stored epoch 1, shown 1-based
        #expect(row1.count == header.count)   // right-aligned to the header
        #expect(row1.contains("0.6500") && row1.contains("87.50") && row1.contains("81.25") && row1.contains("128.0"))
        #expect(text.contains("layer (test)"))
        #expect(lines.contains { $0.hasPrefix("conv1") && $0.hasSuffix("100.50") })
        #expect(lines.contains { $0.hasPrefix("gradient") && $0.hasSuffix("1.500") })
        #expect(lines.contains { $0.hasPrefix("spikes") && $0.hasSuffix("4.000") })
        #expect(lines.contains { $0.hasPrefix("inference") && $0.contains("200") })
    }

    @Test func jsonIsStableAndParsesBack() throws {
        let (s, _, dir) = try sampleSummary()
        defer { try? FileManager.default.removeItem(at: dir) }
        let json = renderSummary(s, format: .json)
        #expect(try RunSummary.fromJSON(json) == s)
        #expect(renderSummary(s, format: .json) == json)
        #expect(json.contains("\"startedAt\" : \"2027-01-15T08:00:00Z\""))
        // sorted keys: "counters" before "epochs" before "run" at top level
        let c = try #require(json.range(of: "\n  \"counters\"")), e = try #require(json.range(of: "\n  \"epochs\"")),
            r = try #require(json.range(of: "\n  \"run\""))
        #expect(c.lowerBound < e.lowerBound && e.lowerBound < r.lowerBound)
        let obj = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        let wire = try #require(obj["wire"] as? [[String: Any]])
        #expect(wire.first?["ratio"] as? Double == 1.5)
    }

    @Test func csvHasHeaderAndOneRowPerEpoch() throws {
        let (s, store, dir) = try sampleSummary()
        defer { try? FileManager.default.removeItem(at: dir) }
        let rows = renderSummary(s, format: .csv).split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        #expect(rows.count == 3)
        let h = rows[0]
        #expect(h.prefix(5) == ["run_id", "epoch", "steps", "samples", "mean_loss"])
        func col(_ name: String, _ row: Int) -> String { rows[row][h.firstIndex(of: name)!] }
        #expect(col("mean_loss", 1) == "0.65" && col("train_accuracy", 1) == "0.875" && col("test_accuracy", 1) == "0.8125")
        #expect(col("samples_per_sec", 1) == "128.0" && col("wire_raw_bytes", 1) == "4800" && col("wire_bytes", 1) == "3200")
        #expect(col("test_spikes_per_sample", 2) == "1000.0")

        let steps = renderSteps(try store.steps(run: "r1", last: 2), format: .csv).split(separator: "\n")
        #expect(steps.count == 3 && steps[0].hasPrefix("epoch,step,loss,accuracy,samples"))
        #expect(steps[1].hasPrefix("3,0,0.5,0.9,64,"))   // stored epoch 2, shown 1-based
        let stepTable = renderSteps(try store.steps(run: "r1", last: 2), format: .table)
        #expect(stepTable.split(separator: "\n").count == 3 && stepTable.contains("wall (ms)"))
        let runs = renderRuns(try store.runs(), format: .csv)
        #expect(runs == "run_id,name,method,status,seed,started_at,finished_at,parameter_digest\n"
                + "r1,fmnist-bntt,bntt,completed,42,2027-01-15T08:00:00Z,2027-01-15T08:02:00Z,d-final")
    }
}
