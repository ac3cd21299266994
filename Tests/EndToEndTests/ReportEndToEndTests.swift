import Foundation
import Testing

/// A real coordinator with 2 workers on loopback serving /metrics and the live page; then `query --format
/// prometheus` and `report` on the finished run; both pages loaded in headless Chromium.
@Suite struct ReportEndToEndTests {
    static let chartIDs: Set<String> = ["loss-step", "accuracy-step", "loss-epoch", "accuracy-epoch", "throughput", "timeline",
                                        "spikes-epoch", "energy-layers", "energy-ann", "wire"]

    @Test func metricsScrapeLivePageAndReportOfARealRun() throws {
        let dir = temporaryDirectory()
        let spec = try writeTinySpec(in: dir, epochs: 2)
        let db = dir + "/m.sqlite"
        let port = freePort()
        let coord = try Child("snn-coord", ["start", "--spec", spec, "--local-workers", "2", "--limit", "3072", "--db", db,
                                            "--bind", "tcp://127.0.0.1:0", "--checkpoint-dir", dir + "/ck", "--metrics-port", String(port)])
        // Scrape while the run goes: the first answer that has a committed step.
        var scraped: [String: Double] = [:]
        var live: String?
        let gotScrape = waitUntil(240) {
            guard coord.process.isRunning, let r = httpGet(port: port, path: "/metrics"), r.status == 200,
                  let m = try? parsePrometheus(r.body), let run = m.keys.first(where: { $0.hasPrefix("snn_steps_committed_total{") }),
                  (m[run] ?? 0) >= 1 else { return false }
            scraped = m
            live = httpGet(port: port, path: "/")?.body
            return true
        }
        let result = coord.wait(timeout: 300)
        #expect(gotScrape, "no /metrics answer with a committed step while the run went; stderr: \(result.stderr.suffix(500))")
        #expect(result.status == 0, "\(result.stderr.suffix(800))")
        #expect(httpGet(port: port, path: "/metrics") == nil)           // the server ended with the coordinator

        // The scraped step is the N-th committed step: its loss and numbering match `query`'s step table.
        func value(_ prefix: String, in m: [String: Double]) -> Double? { m.first { $0.key.hasPrefix(prefix + "{") }?.value }
        let stepsCSV = try run("snn-coord", ["query", "--db", db, "--format", "csv", "--last", "100000"])
        #expect(stepsCSV.status == 0)
        let stepRows = stepsCSV.stdout.components(separatedBy: "epoch,step,loss,accuracy,samples").last!
            .split(separator: "\n").dropFirst().map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        if gotScrape, let n = value("snn_steps_committed_total", in: scraped).map(Int.init), n >= 1, n <= stepRows.count {
            let row = stepRows[n - 1]
            #expect(value("snn_loss", in: scraped) == Double(row[2]))
            #expect(value("snn_train_accuracy", in: scraped) == Double(row[3]))
            #expect(value("snn_epoch", in: scraped) == Double(row[0]))                       // both 1-based
            #expect(value("snn_step", in: scraped) == Double(row[1]).map { $0 + 1 })
            #expect((value("snn_workers_alive", in: scraped) ?? 0) >= 1)
        } else {
            Issue.record("scraped step count outside the run's \(stepRows.count) steps")
        }

        // The finished run's exposition matches the query tables.
        let prom = try run("snn-coord", ["query", "--db", db, "--format", "prometheus"])
        #expect(prom.status == 0)
        let final = try parsePrometheus(prom.stdout)
        #expect(value("snn_steps_committed_total", in: final) == Double(stepRows.count))
        let summary = try run("snn-coord", ["query", "--db", db, "--format", "csv"]).stdout.split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        let h = summary[0], lastEpoch = summary[summary.count - 1]
        #expect(value("snn_test_accuracy", in: final) == Double(lastEpoch[h.firstIndex(of: "test_accuracy")!]))
        #expect(value("snn_epoch", in: final) == Double(lastEpoch[h.firstIndex(of: "epoch")!]))
        #expect(final.keys.contains { $0.hasPrefix("snn_energy_joules{") && $0.contains("phase=\"all\"") })
        #expect(final.keys.contains { $0.hasPrefix("snn_wire_bytes_total{") && $0.contains("kind=\"RESULT\"") })

        // The report: one self-contained file, every chart drawn in a real browser, no script errors.
        let out = dir + "/report.html"
        let rep = try run("snn-coord", ["report", "--db", db, "--out", out])
        #expect(rep.status == 0 && rep.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == out, "\(rep.stderr)")
        let html = try String(contentsOfFile: out, encoding: .utf8)
        #expect(html.contains("on wire (bits/spike)"))
        #expect(!html.contains("<script") && !html.contains("src=") && !html.contains("<link"))   // nothing fetched, nothing run
        let probe = try Browser.measure(html: html, in: dir)
        #expect(probe.errors.isEmpty, "script errors: \(probe.errors)")
        // The tiny net's one spiking layer is layer 2: its raster (SPIKES from the workers) and firing-rate histogram.
        #expect(Set(probe.charts.map(\.id)) == Self.chartIDs.union(["raster-2", "rates-2"]))
        for c in probe.charts {
            #expect(c.width > 300 && c.height > 100 && c.marks > 0 && !c.empty, "chart \(c.id) did not render: \(c)")
        }
        if let live {
            #expect(live.contains("http-equiv=\"refresh\""))
            let lp = try Browser.measure(html: live, in: dir)
            #expect(lp.errors.isEmpty && Self.chartIDs.isSubset(of: Set(lp.charts.map(\.id))))
            #expect(lp.charts.allSatisfy { $0.width > 300 && $0.height > 100 }, "\(lp.charts)")
            #expect(lp.charts.first { $0.id == "loss-step" }.map { $0.marks > 0 && !$0.empty } == true)
        }

        // The screenshot kept as a test artefact (git-ignored).
        let artefacts = repositoryRoot + "/test-artifacts"
        try FileManager.default.createDirectory(atPath: artefacts, withIntermediateDirectories: true)
        try? FileManager.default.removeItem(atPath: artefacts + "/report.png")
        _ = try Browser.run(["--window-size=1280,4200", "--screenshot=\(artefacts)/report.png"], url: "file://" + out)
        let png = try Data(contentsOf: URL(fileURLWithPath: artefacts + "/report.png"))
        #expect(png.count > 20_000 && png.prefix(4) == Data([0x89, 0x50, 0x4E, 0x47]))
        try? FileManager.default.removeItem(atPath: artefacts + "/report.html")
        try? FileManager.default.copyItem(atPath: out, toPath: artefacts + "/report.html")
    }
}
