import Foundation
import SNNEnergy

/// One row of an ECC conversion sweep: a time-step count T and what the SNN and its source CNN did at it.
public struct ConversionRecord: Sendable, Equatable {
    public var conversionID: String
    public var source: String
    public var modelPath: String
    public var modelDigest: String
    public var timesteps: Int
    public var thresholding: Double
    public var bits: Int
    public var profile: String
    public var cnnAccuracy: Double
    public var closedFormAccuracy: Double
    public var closedFormSamples: Int
    public var steppedAccuracy: Double?
    public var steppedSamples: Int
    public var closedFormSpikesPerSample: Double
    public var steppedSpikesPerSample: Double?
    public var synapticOpsPerSample: Double
    public var snnJoulesPerInference: Double?
    public var cnnJoulesPerInference: Double?
    public var at: Double
    /// The v2 energy figures (SNN and equivalent ANN under the same memory model, intervals, ratios); nil for rows
    /// recorded by older builds. Stored in the `conversion_energy` table.
    public var energy: ConversionEnergy? = nil

    public init(conversionID: String, source: String, modelPath: String, modelDigest: String, timesteps: Int, thresholding: Double,
                bits: Int, profile: String, cnnAccuracy: Double, closedFormAccuracy: Double, closedFormSamples: Int,
                steppedAccuracy: Double?, steppedSamples: Int, closedFormSpikesPerSample: Double, steppedSpikesPerSample: Double?,
                synapticOpsPerSample: Double, snnJoulesPerInference: Double?, cnnJoulesPerInference: Double?, at: Double) {
        self.conversionID = conversionID; self.source = source; self.modelPath = modelPath; self.modelDigest = modelDigest
        self.timesteps = timesteps; self.thresholding = thresholding; self.bits = bits; self.profile = profile
        self.cnnAccuracy = cnnAccuracy; self.closedFormAccuracy = closedFormAccuracy; self.closedFormSamples = closedFormSamples
        self.steppedAccuracy = steppedAccuracy; self.steppedSamples = steppedSamples
        self.closedFormSpikesPerSample = closedFormSpikesPerSample; self.steppedSpikesPerSample = steppedSpikesPerSample
        self.synapticOpsPerSample = synapticOpsPerSample; self.snnJoulesPerInference = snnJoulesPerInference
        self.cnnJoulesPerInference = cnnJoulesPerInference; self.at = at
    }
}

/// The `conversions` table (additive: created on first use, so databases of older builds stay readable by them and
/// `PRAGMA user_version` is unchanged).
extension MetricsStore {
    public func recordConversion(_ rows: [ConversionRecord]) throws {
        guard !isReadOnly else { throw MetricsStoreError(path: path, message: "opened read-only; cannot record") }
        try locked { db in
            try db.transaction {
                try db.execute(MetricsSchema.conversions)
                for r in rows {
                    try db.run("""
                        INSERT OR REPLACE INTO conversions(conversion_id, source, model_path, model_digest, timesteps, thresholding,
                            bits, profile, cnn_accuracy, closed_accuracy, closed_samples, stepped_accuracy, stepped_samples,
                            closed_spikes_per_sample, stepped_spikes_per_sample, sops_per_sample, snn_j_per_inference,
                            cnn_j_per_inference, at)
                        VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19)
                        """, [.text(r.conversionID), .text(r.source), .text(r.modelPath), .text(r.modelDigest), .int(Int64(r.timesteps)),
                              .real(r.thresholding), .int(Int64(r.bits)), .text(r.profile), .real(r.cnnAccuracy),
                              .real(r.closedFormAccuracy), .int(Int64(r.closedFormSamples)), r.steppedAccuracy.map { .real($0) } ?? .null,
                              .int(Int64(r.steppedSamples)), .real(r.closedFormSpikesPerSample),
                              r.steppedSpikesPerSample.map { .real($0) } ?? .null, .real(r.synapticOpsPerSample),
                              r.snnJoulesPerInference.map { .real($0) } ?? .null, r.cnnJoulesPerInference.map { .real($0) } ?? .null,
                              .real(r.at)])
                }
                try recordConversionEnergy(rows, db)
            }
        }
    }

    /// The rows of one conversion (nil id: the latest), ordered by profile and T; empty when none was recorded.
    public func conversions(id: String? = nil) throws -> [ConversionRecord] {
        try locked { db in
            let exists = try db.query("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'conversions'")
            guard !exists.isEmpty else { return [] }
            let target: String
            if let id { target = id } else {
                guard let latest = try db.query("SELECT conversion_id FROM conversions ORDER BY at DESC LIMIT 1").first?.first,
                      case .text(let t) = latest else { return [] }
                target = t
            }
            return try withConversionEnergy(try db.query("""
                SELECT conversion_id, source, model_path, model_digest, timesteps, thresholding, bits, profile, cnn_accuracy,
                       closed_accuracy, closed_samples, stepped_accuracy, stepped_samples, closed_spikes_per_sample,
                       stepped_spikes_per_sample, sops_per_sample, snn_j_per_inference, cnn_j_per_inference, at
                FROM conversions WHERE conversion_id = ?1 ORDER BY profile, timesteps
                """, [.text(target)]).map { r in
                func s(_ i: Int) -> String { if case .text(let t) = r[i] { return t }; return "" }
                return ConversionRecord(conversionID: s(0), source: s(1), modelPath: s(2), modelDigest: s(3), timesteps: r[4].int ?? 0,
                                        thresholding: r[5].double ?? 0, bits: r[6].int ?? 0, profile: s(7), cnnAccuracy: r[8].double ?? 0,
                                        closedFormAccuracy: r[9].double ?? 0, closedFormSamples: r[10].int ?? 0,
                                        steppedAccuracy: r[11].double, steppedSamples: r[12].int ?? 0,
                                        closedFormSpikesPerSample: r[13].double ?? 0, steppedSpikesPerSample: r[14].double,
                                        synapticOpsPerSample: r[15].double ?? 0, snnJoulesPerInference: r[16].double,
                                        cnnJoulesPerInference: r[17].double, at: r[18].double ?? 0)
            }, db)
        }
    }
}

/// The T table of a conversion, as `snn-coord convert` prints it and `snn-coord query --conversion` shows it again.
///
/// Energy per inference (µJ) is the v2 model's (`ConversionEnergy`, as `snn-coord query --energy` prints for a run):
/// the SNN under the profile's dataflow and per-layer memory model, the CNN's topology (the equivalent ANN) under the
/// same memory model, each as nominal [low – high], their ratio, then the literature-style compute-only ratio. Rows
/// recorded by older builds (no v2 figures) show their stored single figures.
public func renderConversionTable(_ rows: [ConversionRecord]) -> String {
    guard let first = rows.first else { return "no conversion recorded" }
    func pct(_ x: Double?) -> String { x.map { String(format: "%6.2f %%", 100 * $0) } ?? "     —  " }
    func num(_ x: Double?) -> String { x.map { String(format: "%10.0f", $0) } ?? "         —" }
    func uj(_ x: Double?) -> String { x.map { String(format: "%9.3f", $0 * 1e6) } ?? "        —" }
    /// µJ with 4 significant digits, without an exponent (24820, not 2.482e+04).
    func g(_ x: Double) -> String { let u = x * 1e6; return abs(u) >= 1e4 ? String(format: "%.0f", u) : String(format: "%.4g", u) }
    func interval(_ i: DataflowComparison.Interval?) -> String { i.map { "\(g($0.nominal)) [\(g($0.low)) – \(g($0.high))]" } ?? "—" }
    func ratio(_ r: DataflowComparison.Interval?) -> String {
        r.map { String(format: "%.3g (%.3g, %.3g)", $0.nominal, $0.low, $0.high) } ?? "—"
    }
    var out = "conversion \(first.conversionID)  from \(first.source)  h = \(first.thresholding)  bits = \(first.bits)\n"
    out += "model \(first.modelPath)  sha256 \(first.modelDigest)\n"
    out += "CNN test accuracy \(pct(first.cnnAccuracy));  closed form on \(first.closedFormSamples) test images, time-stepped on \(first.steppedSamples)\n"
    for profile in Array(Set(rows.map(\.profile))).sorted() {
        let rs = rows.filter { $0.profile == profile }
        out += "\nprofile \(profile): energy per inference in µJ (CNN \(uj(rs.first?.cnnJoulesPerInference).trimmingCharacters(in: .whitespaces)) µJ)\n"
        if let e = rs.first?.energy {
            out += "  \(e.dataflow); SNN and CNN (the equivalent ANN) under the same per-layer memory model, nominal [low – high];"
                + " SNN/ANN nominal (low-memory, high-memory); literature = SOPs × 0.9 + MACs × 4.6 pJ vs ANN MACs × 4.6 pJ, compute only\n"
        }
        var t = ReportTable(headers: ["     T", "closed-form", "time-stepped", "spikes/sample closed", "stepped", "SOPs/sample",
                                      "SNN µJ", "CNN µJ", "SNN/ANN", "literature"])
        for r in rs {
            let snn = r.energy.map { interval($0.snnJ) + ($0.snnPartial ? " partial" : "") } ?? uj(r.snnJoulesPerInference).trimmingCharacters(in: .whitespaces)
            let cnn = r.energy.map { interval($0.annJ) } ?? uj(r.cnnJoulesPerInference).trimmingCharacters(in: .whitespaces)
            t.add(["\(r.timesteps)", pct(r.closedFormAccuracy), pct(r.steppedAccuracy), num(r.closedFormSpikesPerSample),
                   num(r.steppedSpikesPerSample), num(r.synapticOpsPerSample), snn, cnn, ratio(r.energy?.ratio),
                   r.energy?.literatureRatio.map { String(format: "%.3g", $0) } ?? "—"].map { $0.trimmingCharacters(in: .whitespaces) })
        }
        out += t.render().split(separator: "\n").map { "  " + $0 }.joined(separator: "\n") + "\n"
    }
    return out
}
