/// A line chart: one polyline per series over shared linear x and y axes, with nice ticks, grid and legend.
/// Points with a non-finite coordinate break the line (a NaN loss shows as a gap, not as a dive to zero).
public struct LineChart: Sendable {
    public struct Series: Sendable {
        public var name: String
        public var points: [(x: Double, y: Double)]
        public init(name: String, points: [(x: Double, y: Double)]) { self.name = name; self.points = points }
    }

    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var series: [Series]
    public var frame = ChartFrame()
    /// Fixes the y domain (e.g. 0...1 for accuracies); nil fits the data.
    public var yDomain: (Double, Double)?
    /// Draws a dot on every point (for short series such as per-epoch values).
    public var markers = false
    /// Whole-number x ticks only (epochs): the tick step is at least 1.
    public var integerX = false

    public init(title: String, xLabel: String, yLabel: String, series: [Series], yDomain: (Double, Double)? = nil,
                markers: Bool = false, integerX: Bool = false) {
        self.title = title; self.xLabel = xLabel; self.yLabel = yLabel; self.series = series
        self.yDomain = yDomain; self.markers = markers; self.integerX = integerX
    }

    /// The x and y scales the chart uses, with their ticks (exposed for tests of the geometry).
    public func scales() -> (x: LinearScale, y: LinearScale, xTicks: [Double], yTicks: [Double])? {
        let pts = series.flatMap(\.points).filter { $0.x.isFinite && $0.y.isFinite }
        guard !pts.isEmpty else { return nil }
        let xlo = pts.map(\.x).min()!, xhi = pts.map(\.x).max()!
        let xd = integerX ? NiceTicks.integerDomain(xlo, xhi, count: 6) : NiceTicks.domain(xlo, xhi, count: 6)
        let yd = yDomain.map { NiceTicks.domain($0.0, $0.1) } ?? NiceTicks.domain(pts.map(\.y).min()!, pts.map(\.y).max()!)
        return (LinearScale(domain: (xd.lower, xd.upper), range: (frame.plotLeft, frame.plotRight)),
                LinearScale(domain: (yd.lower, yd.upper), range: (frame.plotBottom, frame.plotTop)), xd.ticks, yd.ticks)
    }

    /// The SVG path data of one series: "M x,y L x,y ..." with a new "M" after each gap.
    public func path(_ s: Series, x: LinearScale, y: LinearScale) -> String {
        var d = "", pen = false
        for p in s.points {
            guard p.x.isFinite, p.y.isFinite else { pen = false; continue }
            d += (pen ? "L" : "M") + ChartFormat.px(x(p.x)) + "," + ChartFormat.px(y(p.y))
            pen = true
        }
        return d
    }

    public func svg(id: String) -> String {
        var s = frame.open(title: title, id: id)
        guard let (x, y, xt, yt) = scales() else { return s + frame.empty("no data yet") + "</svg>" }
        s += frame.yAxis(ticks: yt, y: y, label: yLabel)
        s += frame.xAxis(ticks: xt, x: x, label: xLabel)
        for (i, ser) in series.enumerated() {
            let d = path(ser, x: x, y: y)
            guard !d.isEmpty else { continue }
            s += "<path class=\"line s\(i % 8)\" d=\"\(d)\"><title>\(ChartFormat.escape(ser.name))</title></path>"
            if markers || ser.points.count == 1 {
                for p in ser.points where p.x.isFinite && p.y.isFinite {
                    s += "<circle class=\"dot s\(i % 8)\" cx=\"\(ChartFormat.px(x(p.x)))\" cy=\"\(ChartFormat.px(y(p.y)))\" r=\"3\">"
                        + "<title>\(ChartFormat.escape(ser.name)): \(ChartFormat.tick(p.x)), \(ChartFormat.tick(p.y))</title></circle>"
                }
            }
        }
        if series.count > 1 { s += frame.legend(series.enumerated().map { ($0.element.name, "swatch s\($0.offset % 8)") }) }
        return s + "</svg>"
    }
}
