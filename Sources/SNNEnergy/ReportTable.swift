import Foundation

/// A plain-text table with aligned columns: text left-aligned, numbers right-aligned. Used by the energy
/// report and the metrics query renderers so every CLI table looks the same.
public struct ReportTable: Sendable {
    public var headers: [String]
    public var rows: [[String]]
    /// Per column: true = right-aligned. Defaults to "right unless it is the first column".
    public var rightAligned: [Bool]

    public init(headers: [String], rows: [[String]] = [], rightAligned: [Bool]? = nil) {
        self.headers = headers
        self.rows = rows
        self.rightAligned = rightAligned ?? headers.indices.map { $0 != 0 }
    }

    public mutating func add(_ row: [String]) { rows.append(row) }

    /// The table as lines joined by "\n" (no trailing newline); columns separated by two spaces.
    public func render() -> String {
        let n = headers.count
        var width = headers.map(\.count)
        for r in rows { for (i, c) in r.prefix(n).enumerated() { width[i] = max(width[i], c.count) } }
        func line(_ cells: [String]) -> String {
            var parts: [String] = []
            for i in 0..<n {
                let c = i < cells.count ? cells[i] : ""
                let pad = String(repeating: " ", count: width[i] - c.count)
                let right = i < rightAligned.count ? rightAligned[i] : i != 0
                parts.append(right ? pad + c : c + (i == n - 1 ? "" : pad))
            }
            var s = parts.joined(separator: "  ")
            while s.hasSuffix(" ") { s.removeLast() }
            return s
        }
        return ([line(headers)] + rows.map(line)).joined(separator: "\n")
    }
}

/// Number formatting shared by the text renderers.
public enum ReportFormat {
    /// An energy in joules with an SI prefix and 4 significant digits ("12.35 µJ", "0 J").
    public static func joules(_ j: Double) -> String {
        guard j.isFinite else { return "\(j) J" }
        if j == 0 { return "0 J" }
        let prefixes: [(Double, String)] = [(1, "J"), (1e-3, "mJ"), (1e-6, "µJ"), (1e-9, "nJ"), (1e-12, "pJ"), (1e-15, "fJ")]
        let a = abs(j)
        let (scale, unit) = prefixes.first { a >= $0.0 } ?? prefixes.last!
        return String(format: "%.4g", j / scale) + " " + unit
    }

    /// An integer with thousands separators ("1,234,567").
    public static func count(_ n: Int64) -> String {
        let s = String(n.magnitude)
        var out = ""
        for (i, ch) in s.enumerated() {
            if i > 0, (s.count - i) % 3 == 0 { out.append(",") }
            out.append(ch)
        }
        return (n < 0 ? "-" : "") + out
    }

    /// A real number with `digits` significant digits, "-" for nil.
    public static func real(_ x: Double?, _ digits: Int = 4) -> String {
        guard let x else { return "-" }
        guard x.isFinite else { return "\(x)" }
        return String(format: "%.\(digits)g", x)
    }

    /// A real number with a fixed number of decimals, "-" for nil.
    public static func fixed(_ x: Double?, _ decimals: Int) -> String {
        guard let x else { return "-" }
        guard x.isFinite else { return "\(x)" }
        return String(format: "%.\(decimals)f", x)
    }
}
