/// The common frame of every chart: an SVG canvas of `width` × `height` user units, a plot area inside the
/// margins, a title, axis labels (with units) and tick labels. Charts draw their marks inside `plot`.
public struct ChartFrame: Sendable {
    public var width: Double = 640
    public var height: Double = 320
    public var left: Double = 72
    public var right: Double = 16
    public var top: Double = 44
    public var bottom: Double = 52

    public init(width: Double = 640, height: Double = 320, left: Double = 72) {
        self.width = width; self.height = height; self.left = left
    }

    /// Plot area bounds in SVG coordinates.
    public var plotLeft: Double { left }
    public var plotRight: Double { width - right }
    public var plotTop: Double { top }
    public var plotBottom: Double { height - bottom }

    /// Opens the SVG element: responsive width, fixed aspect ratio, an accessible title.
    func open(title: String, id: String) -> String {
        "<svg class=\"chart\" id=\"\(ChartFormat.escape(id))\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" "
            + "xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" aria-label=\"\(ChartFormat.escape(title))\">"
            + "<title>\(ChartFormat.escape(title))</title>"
            + "<text class=\"title\" x=\"\(ChartFormat.px(left))\" y=\"17\">\(ChartFormat.escape(title))</text>"
    }

    /// Horizontal grid lines and y tick labels at `ticks` (mapped by `y`), plus the y axis label rotated.
    func yAxis(ticks: [Double], y: LinearScale, label: String, format: (Double) -> String = ChartFormat.tick) -> String {
        var s = ""
        for t in ticks {
            let py = ChartFormat.px(y(t))
            s += "<line class=\"grid\" x1=\"\(ChartFormat.px(plotLeft))\" x2=\"\(ChartFormat.px(plotRight))\" y1=\"\(py)\" y2=\"\(py)\"/>"
            s += "<text class=\"tick\" text-anchor=\"end\" x=\"\(ChartFormat.px(plotLeft - 6))\" y=\"\(py)\" dy=\"0.32em\">\(format(t))</text>"
        }
        let cy = (plotTop + plotBottom) / 2
        s += "<text class=\"axis-label\" text-anchor=\"middle\" transform=\"translate(14 \(ChartFormat.px(cy))) rotate(-90)\">\(ChartFormat.escape(label))</text>"
        return s
    }

    /// Vertical tick marks and x tick labels at `ticks`, plus the x axis label.
    func xAxis(ticks: [Double], x: LinearScale, label: String, format: (Double) -> String = ChartFormat.tick) -> String {
        var s = "<line class=\"axis\" x1=\"\(ChartFormat.px(plotLeft))\" x2=\"\(ChartFormat.px(plotRight))\" y1=\"\(ChartFormat.px(plotBottom))\" y2=\"\(ChartFormat.px(plotBottom))\"/>"
        for t in ticks {
            let px = ChartFormat.px(x(t))
            s += "<line class=\"axis\" x1=\"\(px)\" x2=\"\(px)\" y1=\"\(ChartFormat.px(plotBottom))\" y2=\"\(ChartFormat.px(plotBottom + 5))\"/>"
            s += "<text class=\"tick\" text-anchor=\"middle\" x=\"\(px)\" y=\"\(ChartFormat.px(plotBottom + 18))\">\(format(t))</text>"
        }
        s += "<text class=\"axis-label\" text-anchor=\"middle\" x=\"\(ChartFormat.px((plotLeft + plotRight) / 2))\" y=\"\(ChartFormat.px(height - 8))\">\(ChartFormat.escape(label))</text>"
        return s
    }

    /// A legend row under the title, right-aligned: one swatch and name per entry.
    func legend(_ entries: [(name: String, cssClass: String)]) -> String {
        var s = ""
        var x = plotRight
        for e in entries.reversed() {
            let w = Double(e.name.count) * 6.6 + 22
            x -= w
            s += "<rect class=\"\(e.cssClass)\" x=\"\(ChartFormat.px(x))\" y=\"24\" width=\"11\" height=\"11\"/>"
            s += "<text class=\"legend\" x=\"\(ChartFormat.px(x + 16))\" y=\"34\">\(ChartFormat.escape(e.name))</text>"
        }
        return s
    }

    /// The message drawn instead of marks when a chart has no data.
    func empty(_ message: String) -> String {
        "<text class=\"empty\" text-anchor=\"middle\" x=\"\(ChartFormat.px((plotLeft + plotRight) / 2))\" y=\"\(ChartFormat.px((plotTop + plotBottom) / 2))\">\(ChartFormat.escape(message))</text>"
    }
}
