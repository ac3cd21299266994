/// A horizontal bar chart: one row per category; each row holds one value per series, drawn either stacked
/// (segments end to end: parts of a whole, e.g. energy per phase) or grouped (thin bars under each other,
/// e.g. raw vs on-wire bytes). Values must be ≥ 0; the value axis starts at 0.
public struct BarChart: Sendable {
    public struct Row: Sendable {
        public var label: String
        public var values: [Double]
        public init(label: String, values: [Double]) { self.label = label; self.values = values }
    }

    public var title: String
    public var valueLabel: String
    public var seriesNames: [String]
    public var rows: [Row]
    public var stacked: Bool
    public var frame: ChartFrame

    public init(title: String, valueLabel: String, seriesNames: [String], rows: [Row], stacked: Bool) {
        self.title = title; self.valueLabel = valueLabel; self.seriesNames = seriesNames; self.rows = rows
        self.stacked = stacked
        let longest = rows.map(\.label.count).max() ?? 4
        // Room for the longest category label; rows 26 units apart (grouped: 12 per series), at least 200 tall.
        let perRow = stacked ? 26.0 : max(26.0, 10.0 * Double(seriesNames.count) + 8)
        frame = ChartFrame(width: 640, height: max(200, 44 + 52 + perRow * Double(max(1, rows.count))),
                           left: min(260, max(72, Double(longest) * 6.6 + 14)))
    }

    /// The value scale (0 to the largest row total or value, widened to a nice bound) and its ticks.
    public func scale() -> (x: LinearScale, ticks: [Double]) {
        let maxV = rows.map { stacked ? $0.values.reduce(0) { $0 + max(0, $1) } : ($0.values.max() ?? 0) }.max() ?? 0
        let d = NiceTicks.domain(0, maxV > 0 ? maxV : 1, count: 5)
        return (LinearScale(domain: (d.lower, d.upper), range: (frame.plotLeft, frame.plotRight)), d.ticks)
    }

    /// The rectangles (x, y, width, height, series index) of row `r`.
    public func rects(row r: Int, x: LinearScale) -> [(x: Double, y: Double, w: Double, h: Double, series: Int)] {
        let band = (frame.plotBottom - frame.plotTop) / Double(max(1, rows.count))
        let y0 = frame.plotTop + band * Double(r)
        let row = rows[r]
        var out: [(Double, Double, Double, Double, Int)] = []
        if stacked {
            var acc = 0.0
            for (i, v) in row.values.enumerated() where v > 0 {
                let a = x(acc), b = x(acc + v)
                out.append((a, y0 + band * 0.15, b - a, band * 0.7, i))
                acc += v
            }
        } else {
            let n = Double(max(1, row.values.count))
            let h = band * 0.8 / n
            for (i, v) in row.values.enumerated() where v > 0 {
                out.append((x(0), y0 + band * 0.1 + h * Double(i), x(v) - x(0), h, i))
            }
        }
        return out.map { (x: $0.0, y: $0.1, w: $0.2, h: $0.3, series: $0.4) }
    }

    public func svg(id: String) -> String {
        var s = frame.open(title: title, id: id)
        guard !rows.isEmpty, rows.contains(where: { $0.values.contains { $0 > 0 } }) else {
            return s + frame.empty("no data yet") + "</svg>"
        }
        let (x, ticks) = scale()
        for t in ticks {
            let px = ChartFormat.px(x(t))
            s += "<line class=\"grid\" x1=\"\(px)\" x2=\"\(px)\" y1=\"\(ChartFormat.px(frame.plotTop))\" y2=\"\(ChartFormat.px(frame.plotBottom))\"/>"
        }
        s += frame.xAxis(ticks: ticks, x: x, label: valueLabel)
        let band = (frame.plotBottom - frame.plotTop) / Double(rows.count)
        for (r, row) in rows.enumerated() {
            let cy = frame.plotTop + band * (Double(r) + 0.5)
            s += "<text class=\"tick\" text-anchor=\"end\" x=\"\(ChartFormat.px(frame.plotLeft - 6))\" y=\"\(ChartFormat.px(cy))\" dy=\"0.32em\">\(ChartFormat.escape(row.label))</text>"
            for b in rects(row: r, x: x) {
                let name = seriesNames.indices.contains(b.series) ? seriesNames[b.series] : ""
                s += "<rect class=\"bar s\(b.series % 8)\" x=\"\(ChartFormat.px(b.x))\" y=\"\(ChartFormat.px(b.y))\" width=\"\(ChartFormat.px(b.w))\" height=\"\(ChartFormat.px(b.h))\">"
                    + "<title>\(ChartFormat.escape(row.label)) · \(ChartFormat.escape(name)): \(ChartFormat.tick(row.values[b.series]))</title></rect>"
            }
        }
        if seriesNames.count > 1 { s += frame.legend(seriesNames.enumerated().map { ($0.element, "swatch s\($0.offset % 8)") }) }
        return s + "</svg>"
    }
}
