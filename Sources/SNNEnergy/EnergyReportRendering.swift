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
        if let c = comparison {
            out.append(contentsOf: c.textLines())
            out.append("")
        }

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
        for c in customTerms {
            let how = "profile-defined: " + c.counts.keys.sorted().map { "\(ReportFormat.real(c.counts[$0]!, 6)) × \($0)" }.joined(separator: " + ")
            if c.status == "priced" {
                t.add([c.name, ReportFormat.real(c.count, 8), ReportFormat.real(c.pJPerEvent, 6), ReportFormat.joules(c.energyJ ?? 0),
                       c.grade?.rawValue ?? "", how + (c.note.map { "; " + $0 } ?? "")])
            } else {
                t.add([c.name, ReportFormat.real(c.count, 8), "UNPRICED", "-", "", how + "; " + (c.note ?? "")])
            }
        }
        for d in derivedTerms {
            let label = TrainingMemoryTraffic.label(d.name) + " [\(d.phase)]"
            if d.status == "priced" {
                t.add([label, ReportFormat.count(d.count), ReportFormat.real(d.pJPerEvent, 6), ReportFormat.joules(d.energyJ ?? 0),
                       "derived", d.note])
            } else {
                t.add([label, ReportFormat.count(d.count), "UNPRICED", "-", "", d.note])
            }
        }
        out.append(t.render())
        out.append("")

        var lt = ReportTable(headers: ["layer", "energy \(p)"] + phases, rightAligned: nil)
        for l in layers {
            /// A figure with unpriced counts behind it is marked: "(partial)".
            func mark(_ partial: Bool) -> String { partial ? " (partial)" : "" }
            lt.add([l.name, ReportFormat.joules(l.energyJ) + mark(!l.partialPhases.isEmpty)]
                   + phases.map { ReportFormat.joules(l.phaseEnergyJ[$0] ?? 0) + mark(l.partialPhases.contains($0)) })
        }
        lt.add(["total", ReportFormat.joules(totalJ) + (isPartial ? " (partial)" : "")]
               + phaseTotals.map { ReportFormat.joules($0.energyJ) + ($0.partial ? " (partial)" : "") })
        out.append(lt.render())
        out.append("")

        let partial = isPartial ? " (partial: UNPRICED terms below are not included)" : ""
        out.append("total \(p): \(ReportFormat.joules(totalJ)) over \(phases.joined(separator: ", "))\(partial)")
        out.append("(this table prices each memory term in the profile's stated class; the interval comparison above sizes memory per layer)")
        if let e = inferenceJPerSample {
            out.append("per inference sample \(p): \(ReportFormat.joules(e))" + (inferencePartial ? " (partial: inference counts UNPRICED below)" : ""))
        }
        if let e = trainingJPerStep {
            out.append("per training step \(p): \(ReportFormat.joules(e))" + (trainingPartial ? " (partial: training counts UNPRICED below)" : ""))
        }
        for u in unpriced {
            out.append("UNPRICED \(p): \(u.term.label) \(ReportFormat.count(u.count)) (not counted, not zero): \(u.note ?? "")")
        }
        for d in derivedTerms where d.status == "unpriced" && d.count != 0 {
            out.append("UNPRICED \(p): \(TrainingMemoryTraffic.label(d.name)) \(ReportFormat.count(d.count)) (not counted, not zero): \(d.note)")
        }
        if let lit = literature {
            out.append("")
            out.append("literature-style figure (METHODS §3.6 convention: SOPs × E_AC + MACs × E_MAC, compute only, no memory, inference, per sample"
                       + (lit.bnAndPoolingExcluded ? "; BN and pooling left out on both sides):" : "; all layers):"))
            out.append("  E_AC = \(ReportFormat.real(lit.eACpJ, 6)) pJ from \(lit.eACFrom); E_MAC = \(ReportFormat.real(lit.eMACpJ, 6)) pJ from \(lit.eMACFrom)")
            out.append("  SNN: \(ReportFormat.real(lit.synapticOpsPerSample, 6)) SOPs × E_AC + \(ReportFormat.real(lit.macsPerSample, 6)) MACs × E_MAC = \(ReportFormat.joules(lit.snnJPerSample)) per sample")
            if let annMacs = lit.annMacsPerSample, let ann = lit.annJPerSample {
                out.append("  equivalent non-spiking network (same topology, Σ fanIn × outputs = \(ReportFormat.count(annMacs)) MACs, once, no time steps): \(ReportFormat.joules(ann)) per sample")
                out.append("  SNN/ANN energy ratio (literature convention): \(ReportFormat.real(lit.snnOverAnn, 4))")
            }
        }
        if !layerCounts.isEmpty {
            out.append("")
            out.append("counts per layer (\(phases.joined(separator: ", ")); memory in 32-bit words):")
            var ct = ReportTable(headers: ["layer", "phase", "MACs", "SOPs", "updates", "spikes", "weight rd", "membrane rd/wr", "saved rd/wr"])
            for lc in layerCounts {
                for ph in phases {
                    guard let c = lc.counts[ph], c.fields.contains(where: { $0 != 0 }) else { continue }
                    ct.add([lc.name, ph, ReportFormat.count(c.macs), ReportFormat.count(c.synapticOps), ReportFormat.count(c.neuronUpdates),
                            ReportFormat.count(c.spikes), ReportFormat.count(c.weightReads),
                            ReportFormat.count(c.membraneReads) + " / " + ReportFormat.count(c.membraneWrites),
                            ReportFormat.count(c.savedStateReads) + " / " + ReportFormat.count(c.savedStateWrites)])
                }
            }
            out.append(ct.render())
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
