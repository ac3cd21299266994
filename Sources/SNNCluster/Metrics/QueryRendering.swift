import Foundation
import SNNEnergy

/// Output format of `snn-coord query --format table|json|csv` (`prometheus` lives in SNNReport).
///
/// Epochs: the table and CSV number them from 1, like the progress line and the report; JSON carries the stored
/// 0-based index (`epoch`), as the database does.
public enum QueryFormat: String, Sendable, CaseIterable, Codable {
    /// Aligned, human-readable tables with units in the headers.
    case table
    /// Stable JSON: sorted keys, ISO-8601 dates, accuracies as fractions, non-finite numbers as strings.
    case json
    /// One header row and one row per epoch (summary) or step (`--last N`); machine-oriented units (fractions, seconds).
    case csv
}

/// Renders a run summary in `format`. Table: run header, per-epoch table, spikes per layer, event counters,
/// wire traffic. JSON: the whole `RunSummary`. CSV: the per-epoch table (the JSON form holds the detail).
public func renderSummary(_ s: RunSummary, format: QueryFormat) -> String {
    switch format {
    case .json: return QueryJSON.encode(s)
    case .csv: return SummaryCSV.render(s)
    case .table: return SummaryTable.render(s)
    }
}

/// Renders steps (`snn-coord query --last N`).
public func renderSteps(_ steps: [StepRecord], format: QueryFormat) -> String {
    let headers = ["epoch", "step", "loss", "accuracy", "samples", "samples_per_sec", "lr", "wall_ms", "compute_ms",
                   "codec_ms", "wire_ms", "wait_ms", "parameter_version", "workers"]
    switch format {
    case .json: return QueryJSON.encode(steps)
    case .csv:
        return CSV.render(headers: headers, rows: steps.map { s in
            [String(s.epoch + 1), String(s.step), CSV.num(s.loss), CSV.num(s.accuracy), String(s.samples),
             CSV.num(s.samplesPerSec), CSV.num(s.lr), CSV.num(s.wallMs), CSV.num(s.computeMs), CSV.num(s.codecMs),
             CSV.num(s.wireMs), CSV.num(s.waitMs), s.parameterVersion.map(String.init) ?? "", s.workers.map(String.init) ?? ""]
        })
    case .table:
        var t = ReportTable(headers: ["epoch", "step", "loss", "train acc (%)", "samples", "throughput (samples/s)",
                                      "lr", "wall (ms)", "compute (ms)", "codec (ms)", "wire (ms)", "wait (ms)",
                                      "param version", "workers"], rightAligned: Array(repeating: true, count: 14))
        for s in steps {
            t.add([String(s.epoch + 1), String(s.step), ReportFormat.fixed(s.loss, 4), ReportFormat.fixed(s.accuracy.map { $0 * 100 }, 2),
                   String(s.samples), ReportFormat.fixed(s.samplesPerSec, 1), ReportFormat.real(s.lr, 4),
                   ReportFormat.fixed(s.wallMs, 1), ReportFormat.fixed(s.computeMs, 1), ReportFormat.fixed(s.codecMs, 1),
                   ReportFormat.fixed(s.wireMs, 1), ReportFormat.fixed(s.waitMs, 1),
                   s.parameterVersion.map(String.init) ?? "-", s.workers.map(String.init) ?? "-"])
        }
        return t.render()
    }
}

/// Renders the list of runs (`snn-coord query` with no run and several in the database).
public func renderRuns(_ runs: [RunRecord], format: QueryFormat) -> String {
    switch format {
    case .json: return QueryJSON.encode(runs)
    case .csv:
        return CSV.render(headers: ["run_id", "name", "method", "status", "seed", "started_at", "finished_at", "parameter_digest"],
                          rows: runs.map { r in
            [r.runID, r.name, r.method, r.status.rawValue, String(r.seed), QueryJSON.iso(r.startedAt),
             r.finishedAt.map(QueryJSON.iso) ?? "", r.parameterDigest ?? ""]
        })
    case .table:
        var t = ReportTable(headers: ["run", "name", "method", "status", "seed", "started (UTC)", "finished (UTC)"],
                            rightAligned: [false, false, false, false, true, false, false])
        for r in runs {
            t.add([r.runID, r.name, r.method, r.status.rawValue, String(r.seed), QueryJSON.iso(r.startedAt),
                   r.finishedAt.map(QueryJSON.iso) ?? "-"])
        }
        return t.render()
    }
}

/// Stable JSON for the query renderers.
enum QueryJSON {
    static func encode<T: Encodable>(_ value: T) -> String {
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        enc.dateEncodingStrategy = .iso8601
        enc.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        // Plain value types with string fallbacks for non-finite numbers: encoding cannot fail.
        return String(decoding: try! enc.encode(value), as: UTF8.self)
    }

    /// The decoder matching `encode` (for tools and tests that read the JSON back).
    static func decoder() -> JSONDecoder {
        let dec = JSONDecoder()
        dec.dateDecodingStrategy = .iso8601
        dec.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return dec
    }

    static func iso(_ d: Date) -> String {
        d.formatted(.iso8601)
    }
}

/// RFC 4180 CSV.
enum CSV {
    static func render(headers: [String], rows: [[String]]) -> String {
        ([headers] + rows).map { $0.map(field).joined(separator: ",") }.joined(separator: "\n")
    }

    static func field(_ s: String) -> String {
        s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" })
            ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
    }

    /// A number at full precision (shortest round-tripping form); empty for nil.
    static func num(_ x: Double?) -> String { x.map { "\($0)" } ?? "" }
}

private enum SummaryCSV {
    static func render(_ s: RunSummary) -> String {
        let headers = ["run_id", "epoch", "steps", "samples", "mean_loss", "train_accuracy", "test_accuracy", "test_loss",
                       "samples_per_sec", "wall_s", "compute_s", "codec_s", "wire_s", "wait_s", "test_spikes_per_sample",
                       "wire_raw_bytes", "wire_bytes", "parameter_version"]
        let rows = s.epochs.map { e in
            [s.run.runID, String(e.epoch + 1), String(e.steps), String(e.samples), CSV.num(e.meanLoss), CSV.num(e.lastAccuracy),
             CSV.num(e.testAccuracy), CSV.num(e.testLoss), CSV.num(e.samplesPerSec), CSV.num(e.wallSeconds),
             CSV.num(e.computeSeconds), CSV.num(e.codecSeconds), CSV.num(e.wireSeconds), CSV.num(e.waitSeconds),
             CSV.num(e.evals.first { $0.split == EvalRecord.testSplit }?.spikesPerSample),
             String(e.wire.reduce(Int64(0)) { $0 + $1.rawBytes }), String(e.wire.reduce(Int64(0)) { $0 + $1.wireBytes }),
             e.parameterVersion.map(String.init) ?? ""]
        }
        return CSV.render(headers: headers, rows: rows)
    }
}

private enum SummaryTable {
    static func render(_ s: RunSummary) -> String {
        let r = s.run
        var out: [String] = []
        out.append("run \(r.runID)  name \(r.name)  method \(r.method)  status \(r.status.rawValue)  seed \(r.seed)")
        out.append("started \(QueryJSON.iso(r.startedAt))  finished \(r.finishedAt.map(QueryJSON.iso) ?? "-")"
                   + "  build \(r.buildID ?? "-")  dataset \(r.datasetFingerprint ?? "-")")
        out.append("parameter digest \(s.latestParameterDigest ?? "-")"
                   + (s.latestCheckpoint.map { "  latest checkpoint epoch \($0.epoch) step \($0.step): \($0.path)" } ?? ""))
        let w = s.workers
        out.append("workers: \(w.distinctWorkers) distinct; \(w.joined) joined, \(w.lost) lost, \(w.left) left, \(w.refused) refused")
        out.append("")

        var t = ReportTable(headers: ["epoch", "steps", "samples", "mean loss", "train acc (%)", "test acc (%)", "test loss",
                                      "throughput (samples/s)", "wall (s)", "compute (s)", "codec (s)", "wire (s)", "wait (s)"],
                            rightAligned: Array(repeating: true, count: 13))
        for e in s.epochs {
            t.add([String(e.epoch + 1), String(e.steps), ReportFormat.count(e.samples), ReportFormat.fixed(e.meanLoss, 4),
                   ReportFormat.fixed(e.lastAccuracy.map { $0 * 100 }, 2), ReportFormat.fixed(e.testAccuracy.map { $0 * 100 }, 2),
                   ReportFormat.fixed(e.testLoss, 4), ReportFormat.fixed(e.samplesPerSec, 1), ReportFormat.fixed(e.wallSeconds, 2),
                   ReportFormat.fixed(e.computeSeconds, 2), ReportFormat.fixed(e.codecSeconds, 2),
                   ReportFormat.fixed(e.wireSeconds, 2), ReportFormat.fixed(e.waitSeconds, 2)])
        }
        out.append(t.render())

        // Spikes per sample per layer, one column per epoch, one block per split.
        let splits = Set(s.epochs.flatMap { $0.layerSpikes.keys }).sorted()
        for split in splits {
            let withSplit = s.epochs.filter { $0.layerSpikes[split] != nil }
            var layers: [Int: String] = [:]
            for e in withSplit { for l in e.layerSpikes[split]! { layers[l.layer] = l.name } }
            var st = ReportTable(headers: ["layer (\(split))"] + withSplit.map { "epoch \($0.epoch + 1) (spikes/sample)" })
            for (idx, name) in layers.sorted(by: { $0.key < $1.key }) {
                st.add([name] + withSplit.map { e in
                    ReportFormat.fixed(e.layerSpikes[split]!.first { $0.layer == idx }?.spikesPerSample, 2)
                })
            }
            out.append("")
            out.append(st.render())
        }

        if !s.counters.isEmpty {
            out.append("")
            var ct = ReportTable(headers: ["phase (run total)", "samples", "MACs", "synaptic ops", "neuron updates", "spikes",
                                           "weight reads (words)", "membrane r/w (words)", "saved-state r/w (words)"])
            for pc in s.counters {
                let c = pc.counts
                ct.add([pc.phase, ReportFormat.count(pc.samples), ReportFormat.count(c.macs), ReportFormat.count(c.synapticOps),
                        ReportFormat.count(c.neuronUpdates), ReportFormat.count(c.spikes), ReportFormat.count(c.weightReads),
                        ReportFormat.count(c.membraneReads) + " / " + ReportFormat.count(c.membraneWrites),
                        ReportFormat.count(c.savedStateReads) + " / " + ReportFormat.count(c.savedStateWrites)])
            }
            out.append(ct.render())
        }

        if !s.wire.isEmpty {
            out.append("")
            var wt = ReportTable(headers: ["message kind", "messages", "raw (bytes)", "on wire (bytes)", "ratio (raw/wire)"])
            var all = (Int64(0), Int64(0), Int64(0))
            for x in s.wire {
                wt.add([x.kind, ReportFormat.count(x.messages), ReportFormat.count(x.rawBytes), ReportFormat.count(x.wireBytes),
                        ReportFormat.fixed(x.ratio, 3)])
                all = (all.0 + x.messages, all.1 + x.rawBytes, all.2 + x.wireBytes)
            }
            let total = WireTotal(kind: "all", messages: all.0, rawBytes: all.1, wireBytes: all.2)
            wt.add(["all", ReportFormat.count(total.messages), ReportFormat.count(total.rawBytes),
                    ReportFormat.count(total.wireBytes), ReportFormat.fixed(total.ratio, 3)])
            out.append(wt.render())
        }
        return out.joined(separator: "\n")
    }
}

extension RunSummary {
    /// Reads back the JSON that `renderSummary(_:format: .json)` wrote (for tools comparing runs).
    public static func fromJSON(_ json: String) throws -> RunSummary {
        try QueryJSON.decoder().decode(RunSummary.self, from: Data(json.utf8))
    }
}
