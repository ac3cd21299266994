import Foundation
import SNNCluster
import SNNEnergy

/// The run report as one self-contained HTML page: inline CSS and SVG charts, no scripts, nothing fetched.
/// `live` adds a refresh every `refreshSeconds` (the page `snn-coord start --metrics-port` serves at `/`).
public enum ReportPage {
    public static func render(_ d: RunReportData, live: Bool = false, refreshSeconds: Int = 3, generatedAt: Date = Date()) -> String {
        let r = d.run
        var h = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        h += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        if live { h += "<meta http-equiv=\"refresh\" content=\"\(refreshSeconds)\">" }
        h += "<title>\(esc(r.name)) · \(esc(r.runID)) · snn-cluster</title><style>\(ReportStyle.css)</style></head><body>"
        h += "<header><h1>\(esc(r.name)) <span class=\"muted\">\(esc(r.method)) · run \(esc(r.runID))</span></h1>"
        h += "<p class=\"status \(r.status.rawValue)\">\(esc(r.status.rawValue))\(live ? " · live, refreshed every \(refreshSeconds) s" : "")</p>"
        h += summaryTable(d, generatedAt: generatedAt) + "</header>"

        h += section("Training", "Loss and accuracy per committed step and per epoch. Epochs are numbered from 1.",
                     [lossPerStep(d), accuracyPerStep(d), lossPerEpoch(d), accuracyPerEpoch(d)])
        h += section("Throughput", "Training samples per second at each committed step, against the training time so far (the sum of the steps' wall time).",
                     [throughput(d)])
        h += section("Workers", "Every micro-batch hand-out, from assignment to result, per worker. Requeued: its worker died or left first. Outlined: took more than twice the median of its phase (a straggler).",
                     [timeline(d)], wide: true)
        h += section("Spikes", "Mean spikes per test sample in each spiking layer after each epoch's evaluation.",
                     [spikesOverEpochs(d)])
        h += rasterSection(d)
        h += section("Energy", energyCaption(d), energyCharts(d))
        h += section("Wire", "Bytes per message kind and direction, counted at the coordinator, before (raw) and after the codec (on wire).",
                     [wireBytes(d)])
        h += "<footer>snn-cluster · generated \(esc(generatedAt.formatted(.iso8601)))</footer></body></html>\n"
        return h
    }

    static func esc(_ s: String) -> String { ChartFormat.escape(s) }

    static func section(_ title: String, _ caption: String, _ charts: [String], wide: Bool = false) -> String {
        "<section><h2>\(esc(title))</h2><p class=\"caption\">\(esc(caption))</p><div class=\"grid\(wide ? " wide" : "")\">"
            + charts.map { "<figure>\($0)</figure>" }.joined() + "</div></section>"
    }

    static func summaryTable(_ d: RunReportData, generatedAt: Date) -> String {
        let r = d.run, w = d.summary.workers
        let test = d.summary.epochs.last { $0.testAccuracy != nil }
        var rows: [(String, String)] = [
            ("started", r.startedAt.formatted(.iso8601)), ("finished", r.finishedAt?.formatted(.iso8601) ?? "—"),
            ("seed", String(r.seed)), ("epochs with data", String(d.summary.epochs.count)),
            ("steps committed", String(d.steps.count)),
            ("test accuracy", test.flatMap { e in e.testAccuracy.map { String(format: "%.2f %% (epoch %d)", $0 * 100, e.epoch + 1) } } ?? "—"),
            ("workers", "\(w.distinctWorkers) distinct; \(w.joined) joined, \(w.lost) lost, \(w.left) left, \(w.refused) refused"),
            ("micro-batches", "\(d.microBatches.count) hand-outs, \(d.requeuedMicroBatches) requeued"),
            ("parameters (SHA-256)", d.summary.latestParameterDigest.map { String($0.prefix(16)) + "…" } ?? "—"),
        ]
        if let b = r.buildID { rows.append(("build", b)) }
        return "<table class=\"summary\">" + rows.map { "<tr><th>\(esc($0.0))</th><td>\(esc($0.1))</td></tr>" }.joined() + "</table>"
    }

    // MARK: - Charts

    /// Steps numbered 1... across epochs in commit order.
    static func globalSteps(_ d: RunReportData) -> [(Double, StepRecord)] {
        d.steps.enumerated().map { (Double($0.offset + 1), $0.element) }
    }

    static func lossPerStep(_ d: RunReportData) -> String {
        LineChart(title: "Training loss per step", xLabel: "step (committed, all epochs)", yLabel: "loss (cross-entropy, nats)",
                  series: [.init(name: "train loss", points: globalSteps(d).map { ($0.0, $0.1.loss ?? .nan) })]).svg(id: "loss-step")
    }

    static func accuracyPerStep(_ d: RunReportData) -> String {
        LineChart(title: "Training accuracy per step", xLabel: "step (committed, all epochs)", yLabel: "accuracy (%)",
                  series: [.init(name: "train accuracy", points: globalSteps(d).map { ($0.0, ($0.1.accuracy ?? .nan) * 100) })],
                  yDomain: (0, 100)).svg(id: "accuracy-step")
    }

    static func lossPerEpoch(_ d: RunReportData) -> String {
        let e = d.summary.epochs
        return LineChart(title: "Loss per epoch", xLabel: "epoch", yLabel: "loss (cross-entropy, nats)",
                         series: [.init(name: "train (mean)", points: e.map { (Double($0.epoch + 1), $0.meanLoss ?? .nan) }),
                                  .init(name: "test", points: e.map { (Double($0.epoch + 1), $0.testLoss ?? .nan) })],
                         markers: true, integerX: true).svg(id: "loss-epoch")
    }

    static func accuracyPerEpoch(_ d: RunReportData) -> String {
        let e = d.summary.epochs
        return LineChart(title: "Accuracy per epoch", xLabel: "epoch", yLabel: "accuracy (%)",
                         series: [.init(name: "train (last step)", points: e.map { (Double($0.epoch + 1), ($0.lastAccuracy ?? .nan) * 100) }),
                                  .init(name: "test", points: e.map { (Double($0.epoch + 1), ($0.testAccuracy ?? .nan) * 100) })],
                         yDomain: (0, 100), markers: true, integerX: true).svg(id: "accuracy-epoch")
    }

    static func throughput(_ d: RunReportData) -> String {
        var t = 0.0
        let pts: [(x: Double, y: Double)] = d.steps.map { s in t += (s.wallMs ?? 0) / 1000; return (t, s.samplesPerSec ?? .nan) }
        return LineChart(title: "Throughput", xLabel: "training time (s)", yLabel: "throughput (samples/s)",
                         series: [.init(name: "samples/s", points: pts)]).svg(id: "throughput")
    }

    static func timeline(_ d: RunReportData) -> String {
        let origin = min(d.microBatches.map(\.assignedAt).min() ?? d.run.startedAt, d.run.startedAt)
        var order: [String] = []
        var names: [String: String] = [:]
        func lane(_ id: String, _ name: String) {
            if names[id] == nil { order.append(id) }
            if names[id] == nil || !name.isEmpty { names[id] = name }
        }
        for m in d.membership { lane(m.workerID, m.workerName) }
        for m in d.microBatches { lane(m.workerID, m.workerName) }
        let lanes = order.map { id -> TimelineChart.Lane in
            let spans = d.microBatches.filter { $0.workerID == id }.map { m in
                TimelineChart.Span(start: m.assignedAt.timeIntervalSince(origin), end: m.finishedAt.timeIntervalSince(origin),
                                   kind: m.outcome == .done ? m.phase : m.outcome.rawValue,
                                   label: "epoch \(m.epoch + 1) " + (m.phase == "train" ? "step \(m.step + 1)" : "evaluation") + " micro-batch \(m.microBatch) (\(m.phase), \(m.samples) samples): \(m.outcome.rawValue) after \(String(format: "%.3f", m.duration)) s")
            }
            let marks = d.membership.filter { $0.workerID == id }.map {
                TimelineChart.Mark(at: $0.at.timeIntervalSince(origin), event: $0.event.rawValue,
                                   label: "\($0.event.rawValue)\($0.detail.isEmpty ? "" : ": \($0.detail)")")
            }
            let name = names[id] ?? ""
            return TimelineChart.Lane(name: (name.isEmpty ? "" : name + " ") + "(" + String(id.prefix(8)) + ")", spans: spans, marks: marks)
        }
        return TimelineChart(title: "Micro-batches per worker", xLabel: "time since the run started (s)", lanes: lanes).svg(id: "timeline")
    }

    static func spikesOverEpochs(_ d: RunReportData) -> String {
        var byLayer: [Int: (String, [(x: Double, y: Double)])] = [:]
        for row in d.layerSpikes {
            byLayer[row.spikes.layer, default: (row.spikes.name, [])].1.append((Double(row.epoch + 1), row.spikes.spikesPerSample))
        }
        let series = byLayer.sorted { $0.key < $1.key }.map { LineChart.Series(name: "\($0.key) \($0.value.0)", points: $0.value.1) }
        return LineChart(title: "Spikes per sample per layer", xLabel: "epoch", yLabel: "spikes per test sample",
                         series: series, markers: true, integerX: true).svg(id: "spikes-epoch")
    }

    /// Rasters of the latest evaluation's recorded samples per spiking layer, firing-rate histograms, and the
    /// measured bits per spike of the SPIKES messages.
    static func rasterSection(_ d: RunReportData) -> String {
        guard let epoch = d.rasters.map(\.epoch).max() else {
            return section("Spike rasters", "No spike rasters recorded (workers send them at each evaluation; none has finished yet).",
                           [RasterChart(title: "Spike raster", rasters: []).svg(id: "raster-none")], wide: true)
        }
        let latest = d.rasters.filter { $0.epoch == epoch }
        let layers = Dictionary(grouping: latest, by: \.layer).sorted { $0.key < $1.key }
        // At most 4 samples drawn per layer (a 12 544-neuron layer at 20 % firing is 10⁵ ticks per sample); the
        // histograms and the bits table use every recorded sample.
        var charts = layers.map { (layer, rs) in
            let shown = Array(rs.sorted { $0.sample < $1.sample }.prefix(Self.rasterSamplesShown))
            return RasterChart(title: "Spike raster of layer \(layer) \(rs[0].name) after epoch \(epoch + 1): \(shown.count) of \(rs.count) test samples × \(rs[0].steps) steps × \(rs[0].neurons) neurons",
                               rasters: shown).svg(id: "raster-\(layer)")
        }
        var h = section("Spike rasters", "Which neurons fired at which time step for the first recorded test samples (the same samples every epoch), latest evaluation.", charts, wide: true)
        charts = layers.map { (layer, rs) in histogram(layer: layer, rs) }
        h += section("Firing rates", "Distribution of per-neuron firing rates (spikes per time step) over the recorded samples, latest evaluation.", charts)
        h += bitsTable(RasterBits.summarize(d.rasters))
        return h
    }

    static let rasterSamplesShown = 4

    static func histogram(layer: Int, _ rs: [SpikeRasterRecord]) -> String {
        let steps = rs[0].steps
        let bins = min(steps, 20)
        var counts = [Int](repeating: 0, count: bins + 1)
        var total = 0
        for r in rs { for rate in r.rates() { counts[Int((rate * Double(bins)).rounded())] += 1; total += 1 } }
        let rows = counts.enumerated().map { (i, c) in
            BarChart.Row(label: String(format: "%.2f", Double(i) / Double(bins)), values: [100 * Double(c) / Double(max(1, total))])
        }
        return BarChart(title: "Firing rates, layer \(layer) \(rs[0].name)", valueLabel: "neurons (% of \(total) neuron-samples)",
                        seriesNames: ["neurons"], rows: rows, stacked: true).svg(id: "rates-\(layer)")
    }

    static func bitsTable(_ bits: [RasterBits]) -> String {
        func f(_ x: Double?) -> String { x.map { String(format: "%.2f", $0) } ?? "—" }
        var t = "<p class=\"caption\">Spike rasters on the wire, all epochs: bits per spike of the whole SPIKES messages (header, envelope, LZ4) against the bit-packed size (1 bit per neuron-step) and the entropy bound H(p)/p of an i.i.d. source at the measured firing rate p.</p>"
        t += "<table class=\"data\"><tr><th>layer</th><th>rasters</th><th>spikes</th><th>firing rate p (spikes/neuron/step)</th><th>on wire (bits/spike)</th><th>bit-packed (bits/spike)</th><th>entropy bound (bits/spike)</th></tr>"
        for b in bits {
            t += "<tr><td>\(esc("\(b.layer) \(b.name)"))</td><td>\(b.rasters)</td><td>\(b.spikes)</td><td>\(String(format: "%.4f", b.rate))</td><td>\(f(b.wireBitsPerSpike))</td><td>\(f(b.packedBitsPerSpike))</td><td>\(f(b.entropyBitsPerSpike))</td></tr>"
        }
        return t + "</table>"
    }

    /// Joules scaled to a readable unit for the largest value.
    static func energyUnit(_ maxJ: Double) -> (String, Double) {
        maxJ >= 1 ? ("J", 1) : maxJ >= 1e-3 ? ("mJ", 1e3) : maxJ >= 1e-6 ? ("µJ", 1e6) : ("nJ", 1e9)
    }

    static func energyCaption(_ d: RunReportData) -> String {
        guard let e = d.energy else { return "Energy under profile \(d.profileName): \(d.energyNote ?? "not available")." }
        var s = "The run's event counts priced under profile \(e.profile) (\(e.profileDescription)): total \(ReportFormat.joules(e.totalJ))"
        if e.isPartial { s += "; partial: some counted events have no price in this profile" }
        return s + ". Right: compute energy per inference sample, SNN (synaptic ops × E_AC + MACs × E_MAC) beside the same-topology ANN (MACs × E_MAC)."
    }

    static func energyCharts(_ d: RunReportData) -> [String] {
        guard let e = d.energy else {
            return [BarChart(title: "Energy per layer and phase", valueLabel: "energy", seriesNames: [], rows: [], stacked: true).svg(id: "energy-layers"),
                    BarChart(title: "Compute energy per inference sample", valueLabel: "energy per sample", seriesNames: [], rows: [], stacked: true).svg(id: "energy-ann")]
        }
        let phases = e.phases
        let maxJ = e.layers.map(\.energyJ).max() ?? 0
        let (unit, k) = energyUnit(maxJ)
        let layers = BarChart(title: "Energy per layer and phase (\(e.profile))", valueLabel: "energy (\(unit))", seriesNames: phases,
                              rows: e.layers.map { l in .init(label: "\(l.layer) \(l.name)", values: phases.map { (l.phaseEnergyJ[$0] ?? 0) * k }) },
                              stacked: true).svg(id: "energy-layers")
        var rows: [BarChart.Row] = []
        if let lit = e.literature {
            let m = max(lit.snnJPerSample, lit.annJPerSample ?? 0)
            let (u2, k2) = energyUnit(m)
            rows = [.init(label: "SNN", values: [lit.snnJPerSample * k2, 0]), .init(label: "ANN (same topology)", values: [0, (lit.annJPerSample ?? 0) * k2])]
            let vs = BarChart(title: "Compute energy per inference sample", valueLabel: "energy per sample (\(u2))",
                              seriesNames: ["SNN", "ANN"], rows: rows, stacked: true).svg(id: "energy-ann")
            return [layers, vs]
        }
        return [layers, BarChart(title: "Compute energy per inference sample", valueLabel: "energy per sample", seriesNames: [], rows: [], stacked: true).svg(id: "energy-ann")]
    }

    static func wireBytes(_ d: RunReportData) -> String {
        let maxB = Double(d.summary.wire.map { max($0.rawBytes, $0.wireBytes) }.max() ?? 0)
        let (unit, k): (String, Double) = maxB >= 1e9 ? ("GB", 1e-9) : maxB >= 1e6 ? ("MB", 1e-6) : maxB >= 1e3 ? ("kB", 1e-3) : ("bytes", 1)
        return BarChart(title: "Wire bytes per message kind", valueLabel: "bytes (\(unit), 1 kB = 1000 bytes)", seriesNames: ["raw", "on wire"],
                        rows: d.summary.wire.map { .init(label: $0.kind, values: [Double($0.rawBytes) * k, Double($0.wireBytes) * k]) },
                        stacked: false).svg(id: "wire")
    }
}

/// The report's stylesheet: a two-column grid of charts at 1280 px, one column on narrow screens.
enum ReportStyle {
    static let css = """
    body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0 auto;max-width:1280px;padding:16px 20px;color:#1d2330;background:#fff}
    h1{font-size:22px;margin:4px 0}h2{font-size:18px;margin:24px 0 2px;border-bottom:1px solid #dde2ea;padding-bottom:4px}
    .muted{color:#667085;font-weight:400;font-size:15px}.caption{color:#475467;margin:4px 0 8px;max-width:1100px}
    .status{display:inline-block;padding:1px 8px;border-radius:10px;background:#eef2f6;margin:4px 0}
    .status.completed{background:#dcfae6}.status.failed{background:#fee4e2}.status.running{background:#e0eaff}
    table.summary{border-collapse:collapse;margin:8px 0}table.summary th{text-align:left;color:#475467;font-weight:500;padding:2px 16px 2px 0}
    table.summary td{padding:2px 0}
    .grid{display:grid;grid-template-columns:repeat(2,minmax(0,1fr));gap:12px}.grid.wide{grid-template-columns:1fr}@media (max-width:900px){.grid{grid-template-columns:1fr}}
    figure{margin:0;border:1px solid #e4e7ec;border-radius:6px;padding:4px}
    svg.chart{width:100%;height:auto;display:block;font-family:system-ui,sans-serif}
    svg .title{font-size:14px;font-weight:600;fill:#1d2330}svg .tick{font-size:11px;fill:#475467}
    svg .axis-label{font-size:12px;fill:#1d2330}svg .legend{font-size:11px;fill:#1d2330}svg .empty{font-size:13px;fill:#98a2b3}
    svg .grid{stroke:#eaecf0;stroke-width:1}svg .axis{stroke:#667085;stroke-width:1}
    svg .line{fill:none;stroke-width:1.8}svg .dot{stroke:#fff;stroke-width:1}
    .s0{stroke:#1f77b4;fill:#1f77b4}.s1{stroke:#ff7f0e;fill:#ff7f0e}.s2{stroke:#2ca02c;fill:#2ca02c}.s3{stroke:#d62728;fill:#d62728}
    .s4{stroke:#9467bd;fill:#9467bd}.s5{stroke:#8c564b;fill:#8c564b}.s6{stroke:#e377c2;fill:#e377c2}.s7{stroke:#7f7f7f;fill:#7f7f7f}
    svg .line.s0,svg .line.s1,svg .line.s2,svg .line.s3,svg .line.s4,svg .line.s5,svg .line.s6,svg .line.s7{fill:none}
    svg rect.bar{stroke:none}svg rect.swatch{stroke:none}
    svg rect.mb{stroke:none}svg .mb.train{fill:#1f77b4}svg .mb.evaluate{fill:#2ca02c}svg .mb.requeued{fill:#d62728}svg .mb.failed{fill:#ff7f0e}
    svg .mb.straggler{stroke:#111;stroke-width:1.5}
    svg .mark{font-size:14px}svg .mark.joined{fill:#027a48}svg .mark.lost{fill:#d92d20}svg .mark.left{fill:#667085}svg .mark.refused{fill:#b54708}
    svg .raster{fill:none;stroke-width:1}svg .raster-bg{fill:#f8f9fb;stroke:none}
    table.data{border-collapse:collapse;margin:8px 0}table.data th,table.data td{border-bottom:1px solid #eaecf0;padding:3px 10px;text-align:right}
    table.data th{color:#475467;font-weight:500}table.data td:first-child,table.data th:first-child{text-align:left}
    footer{color:#98a2b3;font-size:12px;margin:24px 0 8px}
    """
}
