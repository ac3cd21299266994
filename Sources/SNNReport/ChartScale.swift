import Foundation

/// A linear map from a data interval onto a pixel interval (either may be decreasing: SVG's y grows downwards).
public struct LinearScale: Sendable, Equatable {
    public var domain: (lower: Double, upper: Double)
    public var range: (lower: Double, upper: Double)

    public init(domain: (Double, Double), range: (Double, Double)) {
        self.domain = domain; self.range = range
    }

    /// The pixel coordinate of `x`; a degenerate domain maps everything to the middle of the range.
    public func callAsFunction(_ x: Double) -> Double {
        let span = domain.upper - domain.lower
        guard span != 0 else { return (range.lower + range.upper) / 2 }
        return range.lower + (x - domain.lower) / span * (range.upper - range.lower)
    }

    public static func == (a: LinearScale, b: LinearScale) -> Bool {
        a.domain == b.domain && a.range == b.range
    }
}

/// "Nice" axis ticks: steps of 1, 2 or 5 × 10^k covering the data, so labels read as round numbers.
public enum NiceTicks {
    /// The tick step for covering `span` with about `count` intervals: 1, 2, 5 or 10 × 10^floor(log10(span/count)).
    public static func step(span: Double, count: Int) -> Double {
        guard span > 0, span.isFinite, count > 0 else { return 1 }
        let raw = span / Double(count)
        let magnitude = pow(10, floor(log10(raw)))
        let residual = raw / magnitude
        let nice: Double = residual <= 1 ? 1 : residual <= 2 ? 2 : residual <= 5 ? 5 : 10
        return nice * magnitude
    }

    /// Like `domain` for whole numbers (epochs): a step of at least 1, and a single value padded by 1 either side.
    public static func integerDomain(_ lo: Double, _ hi: Double, count: Int = 6) -> (lower: Double, upper: Double, ticks: [Double]) {
        let lo = lo.rounded(.down), hi = max(hi.rounded(.up), lo + 1)
        let s = max(1, step(span: hi - lo, count: count).rounded(.up))
        let lower = floor(lo / s) * s, upper = ceil(hi / s) * s
        return (lower, upper, stride(from: lower, through: upper + s / 2, by: s).map { $0 })
    }

    /// The domain widened outward to whole steps and the ticks inside it, e.g. 0...97 with 5 → 0...100 by 20.
    /// An empty or single-valued range is widened by one unit (or by 10 % of its value) either side.
    public static func domain(_ lo: Double, _ hi: Double, count: Int = 5) -> (lower: Double, upper: Double, ticks: [Double]) {
        var lo = lo, hi = hi
        if !lo.isFinite || !hi.isFinite { lo = 0; hi = 1 }
        if lo == hi { let pad = lo == 0 ? 1 : abs(lo) * 0.1; lo -= pad; hi += pad }
        let s = step(span: hi - lo, count: count)
        let lower = floor(lo / s + 1e-9) * s, upper = ceil(hi / s - 1e-9) * s
        let n = Int(((upper - lower) / s).rounded())
        let ticks = (0...n).map { lower + Double($0) * s }.map { abs($0) < s * 1e-9 ? 0 : $0 }
        return (lower, upper, ticks)
    }
}

/// Number formatting for axis labels and tooltips: compact (1.5k, 2M) and without trailing zeros.
public enum ChartFormat {
    public static func tick(_ x: Double) -> String {
        let a = abs(x)
        if a == 0 { return "0" }
        if a >= 1e9 { return trim(x / 1e9) + "G" }
        if a >= 1e6 { return trim(x / 1e6) + "M" }
        if a >= 1e4 { return trim(x / 1e3) + "k" }
        if a < 1e-3 { return String(format: "%.1e", x) }
        return trim(x)
    }

    /// At most 4 significant decimals, trailing zeros dropped.
    static func trim(_ x: Double) -> String {
        var s = String(format: "%.4g", x)
        if s.contains("."), !s.contains("e") {
            while s.hasSuffix("0") { s.removeLast() }
            if s.hasSuffix(".") { s.removeLast() }
        }
        return s
    }

    /// A coordinate with 2 decimals (SVG geometry).
    public static func px(_ x: Double) -> String { String(format: "%.2f", x) }

    /// Text escaped for HTML/SVG content and attributes.
    public static func escape(_ s: String) -> String {
        var out = ""
        for c in s {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(c)
            }
        }
        return out
    }
}
