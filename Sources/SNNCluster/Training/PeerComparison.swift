import Foundation

/// The summary `scripts/bench --peers` prints: per workload and metric, snn-cluster's figure, the better peer's
/// figure of the same round, and their ratio, as the median and range over the interleaved rounds.
///
/// Why per round: the machines are shared and drift between rounds (BENCHMARKS.md: up to 1.7x), so the ratio is
/// only meaningful between figures taken back to back. Each round's ratio is ours divided by the better peer of
/// that round (the higher throughput, the lower peak RSS); the rounds' ratios are then summarised.
public enum PeerComparison {
    /// One JSON line of `snn-bench` or `../shared/peers/run`, with the round `scripts/bench` added.
    public struct Row: Sendable, Equatable {
        public var round: Int
        public var framework: String
        public var workload: String
        public var values: [Metric: Double]
        public init(round: Int, framework: String, workload: String, values: [Metric: Double]) {
            self.round = round; self.framework = framework; self.workload = workload; self.values = values
        }
    }

    /// The compared figures, by their JSON key.
    public enum Metric: String, Sendable, CaseIterable {
        case train = "train_samples_per_s"
        case inference = "inference_samples_per_s"
        case peakRSS = "peak_rss_mib"

        /// Throughput: higher is better; memory: lower is better.
        public var higherIsBetter: Bool { self != .peakRSS }
    }

    /// The framework name `scripts/bench` gives our own lines. Lines of another build of ours (e.g.
    /// `snn-cluster-before`, a baseline binary run in the same rounds) start with it and are never counted as a peer.
    public static let ours = "snn-cluster"

    /// Whether a line is one of ours (this build or another build of ours) rather than a peer's.
    public static func isOurs(_ framework: String) -> Bool { framework.hasPrefix(ours) }

    /// One line of the summary table.
    public struct Line: Sendable, Equatable {
        /// Which build of ours (`snn-cluster`, or e.g. `snn-cluster-before`).
        public var build: String = PeerComparison.ours
        public var workload: String
        public var metric: Metric
        public var rounds: Int
        /// Median over rounds of our figure and of the better peer's figure.
        public var oursMedian: Double
        public var peerMedian: Double
        /// Peers that were the better one in some round, sorted.
        public var betterPeers: [String]
        /// Median, lowest and highest per-round ratio ours / better peer.
        public var ratioMedian: Double
        public var ratioLowest: Double
        public var ratioHighest: Double
    }

    /// The median (mean of the two middle values for an even count), as Python's `statistics.median`.
    public static func median(_ xs: [Double]) -> Double {
        precondition(!xs.isEmpty, "median of no values")
        let s = xs.sorted(), n = s.count
        return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2
    }

    /// Parses JSON lines (blank lines skipped); a line without round, framework or workload is an error naming it.
    public static func parse(_ text: String) throws -> [Row] {
        var rows: [Row] = []
        for (i, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty { continue }
            guard let obj = try? JSONSerialization.jsonObject(with: Data(trimmed.utf8)) as? [String: Any],
                  let round = (obj["round"] as? NSNumber)?.intValue, let framework = obj["framework"] as? String,
                  let workload = obj["workload"] as? String
            else { throw SummaryError(description: "line \(i + 1) is not a benchmark JSON object with round, framework and workload") }
            var values: [Metric: Double] = [:]
            for m in Metric.allCases {
                if let v = (obj[m.rawValue] as? NSNumber)?.doubleValue, v > 0 { values[m] = v }
            }
            rows.append(Row(round: round, framework: framework, workload: workload, values: values))
        }
        return rows
    }

    /// Summary lines for every workload and metric with at least one round where both we and a peer have the figure.
    /// Builds of ours are summarised one after the other (`snn-cluster` first), each against the peers only.
    public static func summarize(_ rows: [Row]) -> [Line] {
        let builds = rows.map(\.framework).filter(isOurs).reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
            .sorted { ($0 == ours ? "" : $0) < ($1 == ours ? "" : $1) }
        return builds.flatMap { summarize(rows, build: $0) }
    }

    static func summarize(_ rows: [Row], build: String) -> [Line] {
        let workloads = rows.filter { $0.framework == build }.map(\.workload).reduce(into: [String]()) {
            if !$0.contains($1) { $0.append($1) }
        }
        let rounds = Set(rows.map(\.round)).sorted()
        var lines: [Line] = []
        for w in workloads {
            for m in Metric.allCases {
                var oursValues: [Double] = [], peerValues: [Double] = [], ratios: [Double] = [], names = Set<String>()
                for r in rounds {
                    guard let o = rows.first(where: { $0.round == r && $0.workload == w && $0.framework == build })?.values[m]
                    else { continue }
                    let peers = rows.filter { $0.round == r && $0.workload == w && !isOurs($0.framework) && $0.values[m] != nil }
                    guard let best = peers.max(by: { a, b in
                        m.higherIsBetter ? a.values[m]! < b.values[m]! : a.values[m]! > b.values[m]!
                    }) else { continue }
                    let p = best.values[m]!
                    oursValues.append(o); peerValues.append(p); ratios.append(o / p); names.insert(best.framework)
                }
                if ratios.isEmpty { continue }
                lines.append(Line(build: build, workload: w, metric: m, rounds: ratios.count, oursMedian: median(oursValues),
                                  peerMedian: median(peerValues), betterPeers: names.sorted(),
                                  ratioMedian: median(ratios), ratioLowest: ratios.min()!, ratioHighest: ratios.max()!))
            }
        }
        return lines
    }

    /// The Markdown table: one row per summary line.
    public static func table(_ lines: [Line]) -> String {
        var out = "| build | workload | metric | ours | better peer | ratio median [range] | rounds |\n"
        out += "| --- | --- | --- | --- | --- | --- | --- |\n"
        for l in lines {
            out += "| \(l.build) | \(l.workload) | \(l.metric.rawValue) | \(grouped(l.oursMedian)) | \(grouped(l.peerMedian)) "
            out += "(\(l.betterPeers.joined(separator: ", "))) | \(fixed2(l.ratioMedian))x "
            out += "[\(fixed2(l.ratioLowest)) - \(fixed2(l.ratioHighest))] | \(l.rounds) |\n"
        }
        return out
    }

    /// One JSON object: `{"peer_ratios": {"w1-mlp": {"train_samples_per_s": {"median": …, "lowest": …,
    /// "highest": …, "ours": …, "peer": …, "rounds": …}}}}`, ratios to 3 decimals; another build of ours under
    /// its own key (`{"peer_ratios": …, "snn-cluster-before": {…}}`).
    public static func json(_ lines: [Line]) -> String {
        var byBuild: [String: [String: [String: Any]]] = [:]
        for l in lines {
            byBuild[l.build, default: [:]][l.workload, default: [:]][l.metric.rawValue] = [
                "median": round3(l.ratioMedian), "lowest": round3(l.ratioLowest), "highest": round3(l.ratioHighest),
                "ours": round3(l.oursMedian), "peer": round3(l.peerMedian), "better_peers": l.betterPeers,
                "rounds": l.rounds,
            ] as [String: Any]
        }
        var obj: [String: Any] = [:]
        for (build, v) in byBuild { obj[build == ours ? "peer_ratios" : build] = v }
        let data = try! JSONSerialization.data(withJSONObject: obj, options: [.sortedKeys])
        return String(decoding: data, as: UTF8.self)
    }

    static func round3(_ x: Double) -> Double { (x * 1000).rounded() / 1000 }
    static func fixed2(_ x: Double) -> String { String(format: "%.2f", x) }
    /// Whole number with thousands separators (1,234,567).
    static func grouped(_ x: Double) -> String {
        let digits = String(Int(x.rounded()).magnitude)
        var out = ""
        for (i, ch) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out += "," }
            out.append(ch)
        }
        return (x.rounded() < 0 ? "-" : "") + out
    }

    public struct SummaryError: Error, CustomStringConvertible { public let description: String }
}
