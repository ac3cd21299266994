extension DataflowComparison {
    /// "12.3 µJ [8.1 µJ – 40 µJ]": nominal, then the low and high ends.
    static func interval(_ i: Interval) -> String {
        "\(ReportFormat.joules(i.nominal)) [\(ReportFormat.joules(i.low)) – \(ReportFormat.joules(i.high))]"
    }

    /// One line: "[profile] event-driven: SNN 1 µJ [..], ANN 2 µJ [..], SNN/ANN 0.5 [..]" (`snn-coord convert`'s progress).
    public func summaryLine() -> String {
        var s = "[\(profile)] \(dataflow), per inference: SNN \(Self.interval(snnJ))" + (isPartial ? " (partial)" : "")
        if let a = annJ { s += ", ANN \(Self.interval(a))" } else { s += ", ANN not priced" }
        if let r = ratio { s += ", SNN/ANN \(ReportFormat.real(r.nominal, 4)) (low-memory \(ReportFormat.real(r.low, 4)), high-memory \(ReportFormat.real(r.high, 4)))" }
        if literatureANNJ > 0 {
            s += "; literature-style (0.9/4.6 pJ, compute only) SNN \(ReportFormat.joules(literatureSNNJ)) / ANN \(ReportFormat.joules(literatureANNJ)) = \(ReportFormat.real(literatureSNNJ / literatureANNJ, 4))"
        }
        return s
    }

    /// The comparison as the first block of `EnergyReport.text()`.
    public func textLines() -> [String] {
        let p = "[\(profile)]"
        var out: [String] = []
        out.append("full-model SNN vs equivalent ANN \(p), dataflow \(dataflow), same memory model, inference, per sample (nominal [low – high]):")
        out.append("  SNN: \(Self.interval(snnJ))" + (isPartial ? " (partial: UNPRICED counts below not included)" : ""))
        if let a = annJ { out.append("  ANN: \(Self.interval(a))") } else { out.append("  ANN: not priced: \(annUnpricedReason ?? "")") }
        if let r = ratio {
            out.append("  SNN/ANN: \(ReportFormat.real(r.nominal, 4)) (same memory placement on both sides; low-memory \(ReportFormat.real(r.low, 4)), high-memory \(ReportFormat.real(r.high, 4)))"
                       + (isPartial ? " (SNN partial)" : ""))
        } else {
            out.append("  SNN/ANN: - (no ANN figure under this profile)")
        }
        for u in unpricedSNN { out.append("  UNPRICED \(p) in the SNN figure: \(u)") }
        var t = ReportTable(headers: ["layer", "kind", "weights in", "state in", "SNN", "ANN"],
                            rightAligned: [false, false, false, false, true, true])
        for l in layers {
            t.add([l.name, l.kind, l.weightClass.isEmpty ? "-" : l.weightClass, l.stateClass.isEmpty ? "-" : l.stateClass,
                   ReportFormat.joules(l.snnJ.nominal), l.annJ.map { ReportFormat.joules($0.nominal) } ?? "-"])
        }
        out.append(contentsOf: t.render().split(separator: "\n").map { "  " + $0 })
        for a in assumptions { out.append("  assumed: \(a)") }
        return out
    }
}
