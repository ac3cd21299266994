import Foundation

extension EnergyReport {
    /// The report as `snn-coord query --energy --profile NAME` prints it.
    public func text() -> String {
        let p = "[\(profile)]"
        var out: [String] = []
        out.append("energy under profile \(profile): \(profileDescription)")
        out.append("source: \(profileSource)")
        out.append("phases: \(phases.joined(separator: ", ")); inference samples: \(samples); training steps: \(trainingSteps)")
        out.append("")

        var t = ReportTable(headers: ["term", "count", "pJ/event", "energy", "grade", "how priced"],
                            rightAligned: [false, true, true, true, false, false])
        for line in terms {
            switch line.status {
            case "priced":
                t.add([line.term.label, ReportFormat.count(line.count), ReportFormat.real(line.pJPerEvent, 6),
                       ReportFormat.joules(line.energyJ ?? 0), line.grade?.rawValue ?? "",
                       line.note ?? line.source ?? ""])
            case "included":
                t.add([line.term.label, ReportFormat.count(line.count), "included", "-", "",
                       "in \(line.includedIn?.label ?? "?"): \(line.note ?? "")"])
            default:
                t.add([line.term.label, ReportFormat.count(line.count), "UNPRICED", "-", "", line.note ?? ""])
            }
        }
        out.append(t.render())
        out.append("")

        var lt = ReportTable(headers: ["layer", "energy \(p)"] + phases, rightAligned: nil)
        for l in layers {
            lt.add([l.name, ReportFormat.joules(l.energyJ)] + phases.map { ReportFormat.joules(l.phaseEnergyJ[$0] ?? 0) })
        }
        lt.add(["total", ReportFormat.joules(totalJ)] + phaseTotals.map { ReportFormat.joules($0.energyJ) })
        out.append(lt.render())
        out.append("")

        let partial = isPartial ? " (partial: UNPRICED terms below are not included)" : ""
        out.append("total \(p): \(ReportFormat.joules(totalJ)) over \(phases.joined(separator: ", "))\(partial)")
        if let e = inferenceJPerSample { out.append("per inference sample \(p): \(ReportFormat.joules(e))") }
        if let e = trainingJPerStep { out.append("per training step \(p): \(ReportFormat.joules(e))") }
        for u in unpriced {
            out.append("UNPRICED \(p): \(u.term.label) \(ReportFormat.count(u.count)) (not counted, not zero): \(u.note ?? "")")
        }
        if let lit = literature {
            out.append("")
            out.append("literature-style figure (METHODS §3.6 convention: SOPs × E_AC + MACs × E_MAC, compute only, inference, per sample):")
            out.append("  E_AC = \(ReportFormat.real(lit.eACpJ, 6)) pJ from \(lit.eACFrom); E_MAC = \(ReportFormat.real(lit.eMACpJ, 6)) pJ from \(lit.eMACFrom)")
            out.append("  SNN: \(ReportFormat.real(lit.synapticOpsPerSample, 6)) SOPs × E_AC + \(ReportFormat.real(lit.macsPerSample, 6)) MACs × E_MAC = \(ReportFormat.joules(lit.snnJPerSample)) per sample")
            if let annMacs = lit.annMacsPerSample, let ann = lit.annJPerSample {
                out.append("  equivalent non-spiking network (same topology, Σ fanIn × outputs = \(ReportFormat.count(annMacs)) MACs, once, no time steps): \(ReportFormat.joules(ann)) per sample")
                out.append("  SNN/ANN energy ratio (literature convention): \(ReportFormat.real(lit.snnOverAnn, 4))")
            }
        }
        out.append("")
        out.append("not priced by hardware profiles: wire bytes and codec time (reported with the run's wire table)")
        for n in profileNotes { out.append("note \(p): \(n)") }
        return out.joined(separator: "\n")
    }

    /// The report as stable JSON (sorted keys, pretty-printed); non-finite numbers become strings.
    public func json() -> String {
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        enc.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        // Encoding plain value types with string fallbacks for non-finite numbers cannot fail.
        return String(decoding: try! enc.encode(self), as: UTF8.self)
    }
}
