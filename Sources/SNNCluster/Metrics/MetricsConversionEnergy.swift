import SNNEnergy

/// The energy figures of one ECC conversion row under the v2 model (`DataflowComparison`): the SNN's energy per
/// inference under the profile's dataflow and per-layer memory model, the equivalent ANN (the source CNN's topology)
/// under the *same* memory model, their ratio, each as an interval, and the literature-style ratio — the figures
/// `snn-coord query --energy` prints for a run.
public struct ConversionEnergy: Sendable, Equatable {
    public var dataflow: String
    /// SNN joules per inference (nominal [low – high]).
    public var snnJ: DataflowComparison.Interval
    /// Some SNN counts carry no price under the profile: `snnJ` is partial.
    public var snnPartial: Bool
    /// The equivalent ANN under the same memory model; nil when the profile cannot price it (no MAC price).
    public var annJ: DataflowComparison.Interval?
    /// SNN/ANN per memory scenario.
    public var ratio: DataflowComparison.Interval?
    /// SOPs × 0.9 pJ + MACs × 4.6 pJ against ANN MACs × 4.6 pJ (compute only, the convention's constants).
    public var literatureRatio: Double?

    public init(dataflow: String, snnJ: DataflowComparison.Interval, snnPartial: Bool, annJ: DataflowComparison.Interval?,
                ratio: DataflowComparison.Interval?, literatureRatio: Double?) {
        self.dataflow = dataflow; self.snnJ = snnJ; self.snnPartial = snnPartial; self.annJ = annJ; self.ratio = ratio
        self.literatureRatio = literatureRatio
    }

    /// The figures of a comparison (nil when there is none).
    public init?(_ c: DataflowComparison?) {
        guard let c else { return nil }
        self.init(dataflow: c.dataflow, snnJ: c.snnJ, snnPartial: c.isPartial, annJ: c.annJ, ratio: c.ratio,
                  literatureRatio: c.literatureANNJ > 0 ? c.literatureSNNJ / c.literatureANNJ : nil)
    }
}

extension MetricsSchema {
    /// The v2 energy figures of conversion rows, one per (conversion, profile, T). A table of its own, created with IF
    /// NOT EXISTS like `conversions`, so `conversions` keeps its columns and older databases stay readable.
    static let conversionEnergy = """
    CREATE TABLE IF NOT EXISTS conversion_energy(
        conversion_id TEXT NOT NULL, profile TEXT NOT NULL, timesteps INTEGER NOT NULL, dataflow TEXT NOT NULL,
        snn_j_low REAL NOT NULL, snn_j_nominal REAL NOT NULL, snn_j_high REAL NOT NULL, snn_partial INTEGER NOT NULL,
        ann_j_low REAL, ann_j_nominal REAL, ann_j_high REAL,
        ratio_low REAL, ratio_nominal REAL, ratio_high REAL, literature_ratio REAL,
        PRIMARY KEY(conversion_id, profile, timesteps));
    """
}

extension MetricsStore {
    /// Stores the `energy` of `rows` that carry one (inside the caller's transaction).
    func recordConversionEnergy(_ rows: [ConversionRecord], _ db: SQLiteDatabase) throws {
        try db.execute(MetricsSchema.conversionEnergy)
        for r in rows {
            guard let e = r.energy else { continue }
            func real(_ x: Double?) -> SQLiteValue { x.map { .real($0) } ?? .null }
            try db.run("""
                INSERT OR REPLACE INTO conversion_energy(conversion_id, profile, timesteps, dataflow, snn_j_low, snn_j_nominal,
                    snn_j_high, snn_partial, ann_j_low, ann_j_nominal, ann_j_high, ratio_low, ratio_nominal, ratio_high, literature_ratio)
                VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)
                """, [.text(r.conversionID), .text(r.profile), .int(Int64(r.timesteps)), .text(e.dataflow),
                      .real(e.snnJ.low), .real(e.snnJ.nominal), .real(e.snnJ.high), .int(e.snnPartial ? 1 : 0),
                      real(e.annJ?.low), real(e.annJ?.nominal), real(e.annJ?.high),
                      real(e.ratio?.low), real(e.ratio?.nominal), real(e.ratio?.high), real(e.literatureRatio)])
        }
    }

    /// `rows` with their stored `energy` filled in (rows recorded by older builds have none).
    func withConversionEnergy(_ rows: [ConversionRecord], _ db: SQLiteDatabase) throws -> [ConversionRecord] {
        guard let id = rows.first?.conversionID else { return rows }
        let exists = try db.query("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'conversion_energy'")
        guard !exists.isEmpty else { return rows }
        var byKey: [String: ConversionEnergy] = [:]
        for r in try db.query("""
            SELECT profile, timesteps, dataflow, snn_j_low, snn_j_nominal, snn_j_high, snn_partial, ann_j_low, ann_j_nominal,
                   ann_j_high, ratio_low, ratio_nominal, ratio_high, literature_ratio
            FROM conversion_energy WHERE conversion_id = ?1
            """, [.text(id)]) {
            func interval(_ i: Int) -> DataflowComparison.Interval? {
                guard let l = r[i].double, let n = r[i + 1].double, let h = r[i + 2].double else { return nil }
                return DataflowComparison.Interval(low: l, nominal: n, high: h)
            }
            guard let snn = interval(3) else { continue }
            byKey["\(r[0].string ?? "")/\(r[1].int ?? 0)"] = ConversionEnergy(
                dataflow: r[2].string ?? "", snnJ: snn, snnPartial: (r[6].int ?? 0) != 0, annJ: interval(7), ratio: interval(10),
                literatureRatio: r[13].double)
        }
        return rows.map { row in
            var row = row
            row.energy = byKey["\(row.profile)/\(row.timesteps)"]
            return row
        }
    }
}
