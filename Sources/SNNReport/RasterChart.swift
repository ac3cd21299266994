import Foundation
import SNNCluster

/// A spike raster: x = neuron index, y = (sample, time step) rows, one short vertical tick per spike. Rows of
/// one sample are adjacent (time flows downwards) and samples are separated by a gap; each sample's ticks are
/// one SVG path, so even 10⁵ spikes stay a small file.
public struct RasterChart: Sendable {
    public var title: String
    /// One raster per sample, all of the same layer (same steps × neurons).
    public var rasters: [SpikeRasterRecord]
    public var frame = ChartFrame(width: 1240, height: 300, left: 90)

    public init(title: String, rasters: [SpikeRasterRecord]) {
        self.title = title; self.rasters = rasters
        let rows = rasters.reduce(0) { $0 + $1.steps }
        frame = ChartFrame(width: 1240, height: min(620, max(220, 44 + 52 + 6 * Double(rows) + 8 * Double(rasters.count))), left: 90)
    }

    /// The x scale (neuron index n drawn at the centre of its column) and the top y and row height of each sample.
    public func layout() -> (x: LinearScale, rowTop: [Double], rowHeight: Double) {
        let neurons = rasters.map(\.neurons).max() ?? 1
        let x = LinearScale(domain: (0, Double(neurons)), range: (frame.plotLeft, frame.plotRight))
        let rows = Double(rasters.reduce(0) { $0 + $1.steps })
        let gap = 6.0
        let h = (frame.plotBottom - frame.plotTop - gap * Double(max(0, rasters.count - 1))) / max(1, rows)
        var tops: [Double] = [], y = frame.plotTop
        for r in rasters { tops.append(y); y += h * Double(r.steps) + gap }
        return (x, tops, h)
    }

    /// One decimal is a tenth of a pixel at 1280 px: enough for ticks, and it keeps 10⁵-spike rasters small.
    static func px1(_ v: Double) -> String { String(format: "%.1f", v) }

    /// Path data of one sample's spikes: "M x,y v h" per spike, x at the neuron's column centre (1 decimal).
    public func path(_ i: Int, x: LinearScale, top: Double, rowHeight h: Double) -> String {
        let r = rasters[i]
        var d = ""
        for t in 0..<r.steps {
            for n in 0..<r.neurons where r.fired(t: t, n: n) {
                d += "M" + Self.px1(x(Double(n) + 0.5)) + "," + Self.px1(top + h * Double(t) + h * 0.1) + "v" + Self.px1(h * 0.8)
            }
        }
        return d
    }

    public func svg(id: String) -> String {
        var s = frame.open(title: title, id: id)
        guard !rasters.isEmpty else { return s + frame.empty("no spike rasters recorded") + "</svg>" }
        let (x, tops, h) = layout()
        let d = NiceTicks.domain(0, Double(rasters.map(\.neurons).max() ?? 1), count: 10)
        s += frame.xAxis(ticks: d.ticks.filter { $0 <= x.domain.upper }, x: x, label: "neuron index (layer output, flattened)")
        s += "<text class=\"axis-label\" text-anchor=\"middle\" transform=\"translate(14 \(ChartFormat.px((frame.plotTop + frame.plotBottom) / 2))) rotate(-90)\">test sample · time step (down)</text>"
        for (i, r) in rasters.enumerated() {
            let top = tops[i]
            s += "<rect class=\"raster-bg\" x=\"\(ChartFormat.px(frame.plotLeft))\" y=\"\(ChartFormat.px(top))\" width=\"\(ChartFormat.px(frame.plotRight - frame.plotLeft))\" height=\"\(ChartFormat.px(h * Double(r.steps)))\"/>"
            s += "<text class=\"tick\" text-anchor=\"end\" x=\"\(ChartFormat.px(frame.plotLeft - 6))\" y=\"\(ChartFormat.px(top + h * Double(r.steps) / 2))\" dy=\"0.32em\">#\(r.sample)</text>"
            let p = path(i, x: x, top: top, rowHeight: h)
            if !p.isEmpty {
                s += "<path class=\"raster s\(i % 8)\" d=\"\(p)\"><title>sample \(r.sample): \(r.spikes) spikes in \(r.steps) steps × \(r.neurons) neurons</title></path>"
            }
        }
        return s + "</svg>"
    }
}

/// Per-layer statistics of the recorded rasters: firing rate, and bits per spike on the wire against the
/// bit-packed size and the entropy bound of a Bernoulli source at that rate.
public struct RasterBits: Sendable, Equatable {
    public var layer: Int
    public var name: String
    public var rasters: Int
    public var spikes: Int
    /// Neuron-steps recorded (Σ T × N).
    public var cells: Int
    public var wireBytes: Int

    /// Spikes per neuron-step.
    public var rate: Double { cells > 0 ? Double(spikes) / Double(cells) : 0 }
    /// Bits on the wire (whole SPIKES messages) per spike.
    public var wireBitsPerSpike: Double? { spikes > 0 ? Double(wireBytes * 8) / Double(spikes) : nil }
    /// Bit-packed bits (one per neuron-step) per spike: 1 / rate.
    public var packedBitsPerSpike: Double? { spikes > 0 ? Double(cells) / Double(spikes) : nil }
    /// Shannon bound for an i.i.d. source at this rate: H(p) / p bits per spike.
    public var entropyBitsPerSpike: Double? {
        let p = rate
        guard p > 0 else { return nil }
        guard p < 1 else { return 0 }
        return (-p * log2(p) - (1 - p) * log2(1 - p)) / p
    }

    public static func summarize(_ rasters: [SpikeRasterRecord]) -> [RasterBits] {
        var by: [Int: RasterBits] = [:]
        for r in rasters {
            var b = by[r.layer] ?? RasterBits(layer: r.layer, name: r.name, rasters: 0, spikes: 0, cells: 0, wireBytes: 0)
            b.rasters += 1; b.spikes += r.spikes; b.cells += r.steps * r.neurons; b.wireBytes += r.wireBytes
            by[r.layer] = b
        }
        return by.values.sorted { $0.layer < $1.layer }
    }
}
