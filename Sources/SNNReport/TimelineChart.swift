/// A per-worker timeline: one lane per worker, one bar per micro-batch hand-out from its assignment to its
/// result (or requeue), and marks for membership events (joined ▲, lost ✕, left ▽, refused ■). Bars are
/// classed by outcome and phase; a bar longer than `stragglerFactor` × the median of its phase is classed a
/// straggler (drawn with a thick outline).
public struct TimelineChart: Sendable {
    public struct Span: Sendable {
        public var start: Double, end: Double
        /// "train", "evaluate", "requeued" or "failed".
        public var kind: String
        public var label: String
        public init(start: Double, end: Double, kind: String, label: String) {
            self.start = start; self.end = end; self.kind = kind; self.label = label
        }
    }
    public struct Mark: Sendable {
        public var at: Double
        /// "joined", "lost", "left" or "refused".
        public var event: String
        public var label: String
        public init(at: Double, event: String, label: String) { self.at = at; self.event = event; self.label = label }
    }
    public struct Lane: Sendable {
        public var name: String
        public var spans: [Span]
        public var marks: [Mark]
        public init(name: String, spans: [Span], marks: [Mark]) { self.name = name; self.spans = spans; self.marks = marks }
    }

    public var title: String
    public var xLabel: String
    public var lanes: [Lane]
    public var stragglerFactor = 2.0
    public var frame: ChartFrame

    public init(title: String, xLabel: String, lanes: [Lane]) {
        self.title = title; self.xLabel = xLabel; self.lanes = lanes
        let longest = lanes.map(\.name.count).max() ?? 4
        frame = ChartFrame(width: 1240, height: max(180, 44 + 52 + 34 * Double(max(1, lanes.count))),
                           left: min(240, max(72, Double(longest) * 6.6 + 14)))
    }

    public func scale() -> (x: LinearScale, ticks: [Double])? {
        let xs = lanes.flatMap { $0.spans.flatMap { [$0.start, $0.end] } + $0.marks.map(\.at) }.filter(\.isFinite)
        guard let lo = xs.min(), let hi = xs.max() else { return nil }
        let d = NiceTicks.domain(min(0, lo), hi, count: 10)
        return (LinearScale(domain: (d.lower, d.upper), range: (frame.plotLeft, frame.plotRight)), d.ticks)
    }

    /// The median duration of each span kind (the straggler yardstick).
    public func medians() -> [String: Double] {
        var byKind: [String: [Double]] = [:]
        for l in lanes { for s in l.spans { byKind[s.kind, default: []].append(s.end - s.start) } }
        return byKind.mapValues { d in let s = d.sorted(); return s[s.count / 2] }
    }

    public func svg(id: String) -> String {
        var s = frame.open(title: title, id: id)
        guard let (x, ticks) = scale() else { return s + frame.empty("no micro-batches recorded") + "</svg>" }
        for t in ticks {
            let px = ChartFormat.px(x(t))
            s += "<line class=\"grid\" x1=\"\(px)\" x2=\"\(px)\" y1=\"\(ChartFormat.px(frame.plotTop))\" y2=\"\(ChartFormat.px(frame.plotBottom))\"/>"
        }
        s += frame.xAxis(ticks: ticks, x: x, label: xLabel)
        let med = medians()
        let band = (frame.plotBottom - frame.plotTop) / Double(lanes.count)
        for (i, lane) in lanes.enumerated() {
            let y0 = frame.plotTop + band * Double(i)
            s += "<text class=\"tick\" text-anchor=\"end\" x=\"\(ChartFormat.px(frame.plotLeft - 6))\" y=\"\(ChartFormat.px(y0 + band / 2))\" dy=\"0.32em\">\(ChartFormat.escape(lane.name))</text>"
            for sp in lane.spans {
                let straggler = (sp.kind == "train" || sp.kind == "evaluate") && (sp.end - sp.start) > stragglerFactor * (med[sp.kind] ?? .infinity)
                let w = max(0.8, x(sp.end) - x(sp.start))
                s += "<rect class=\"mb \(sp.kind)\(straggler ? " straggler" : "")\" x=\"\(ChartFormat.px(x(sp.start)))\" y=\"\(ChartFormat.px(y0 + band * 0.2))\" width=\"\(ChartFormat.px(w))\" height=\"\(ChartFormat.px(band * 0.6))\">"
                    + "<title>\(ChartFormat.escape(sp.label))</title></rect>"
            }
            for m in lane.marks {
                let px = x(m.at), cy = y0 + band / 2
                let glyph = m.event == "joined" ? "▲" : m.event == "lost" ? "✕" : m.event == "left" ? "▽" : "■"
                s += "<text class=\"mark \(m.event)\" text-anchor=\"middle\" x=\"\(ChartFormat.px(px))\" y=\"\(ChartFormat.px(cy))\" dy=\"0.35em\">\(glyph)<title>\(ChartFormat.escape(m.label))</title></text>"
            }
        }
        s += frame.legend([("train", "swatch mb train"), ("evaluate", "swatch mb evaluate"), ("requeued", "swatch mb requeued"),
                           ("failed", "swatch mb failed"), ("straggler (> 2× median)", "swatch mb train straggler")])
        return s + "</svg>"
    }
}
