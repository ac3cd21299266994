import Foundation

/// One stored spike raster (`spike_rasters` row): the spikes of test sample `sample` in layer `layer` at the
/// evaluation after epoch `epoch` (0-based), `steps × neurons` bits time-major, bit-packed LSB first, and the
/// bytes its SPIKES message took on the wire (header and envelope included).
public struct SpikeRasterRecord: Sendable, Equatable {
    public var epoch: Int
    public var sample: Int
    public var layer: Int
    public var name: String
    public var steps: Int
    public var neurons: Int
    public var spikes: Int
    public var bits: [UInt8]
    public var wireBytes: Int

    public init(epoch: Int, sample: Int, layer: Int, name: String, steps: Int, neurons: Int, spikes: Int, bits: [UInt8], wireBytes: Int) {
        self.epoch = epoch; self.sample = sample; self.layer = layer; self.name = name; self.steps = steps
        self.neurons = neurons; self.spikes = spikes; self.bits = bits; self.wireBytes = wireBytes
    }

    /// Whether neuron `n` fired at step `t`.
    public func fired(t: Int, n: Int) -> Bool {
        let i = t * neurons + n
        return (bits[i >> 3] >> UInt8(i & 7)) & 1 == 1
    }

    /// Firing rate (spikes per step) of each neuron.
    public func rates() -> [Double] {
        (0..<neurons).map { n in Double((0..<steps).filter { fired(t: $0, n: n) }.count) / Double(max(1, steps)) }
    }
}

extension MetricsStore {
    /// Stores a raster (replacing an earlier one of the same run, epoch, sample and layer).
    public func recordRaster(_ runID: String, _ r: SpikeRasterRecord) throws {
        guard !isReadOnly else { throw MetricsStoreError(path: path, message: "opened read-only; cannot record") }
        try locked { db in
            try db.transaction {
                try db.run("""
                    INSERT OR REPLACE INTO spike_rasters(run_id, epoch, sample, layer, name, steps, neurons, spikes, bits_base64, wire_bytes)
                    VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
                    """, [.text(runID), .int(Int64(r.epoch)), .int(Int64(r.sample)), .int(Int64(r.layer)), .text(r.name),
                          .int(Int64(r.steps)), .int(Int64(r.neurons)), .int(Int64(r.spikes)),
                          .text(Data(r.bits).base64EncodedString()), .int(Int64(r.wireBytes))])
            }
        }
    }

    /// The run's rasters in (epoch, sample, layer) order; empty for a database without the table.
    public func rasters(run runID: String) throws -> [SpikeRasterRecord] {
        try locked { db in
            let has = try !db.query("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'spike_rasters'").isEmpty
            guard has else { return [] }
            return try db.query("""
                SELECT epoch, sample, layer, name, steps, neurons, spikes, bits_base64, wire_bytes FROM spike_rasters
                WHERE run_id = ?1 ORDER BY epoch, sample, layer
                """, [.text(runID)]).map {
                SpikeRasterRecord(epoch: $0[0].int ?? 0, sample: $0[1].int ?? 0, layer: $0[2].int ?? 0, name: $0[3].string ?? "",
                                  steps: $0[4].int ?? 0, neurons: $0[5].int ?? 0, spikes: $0[6].int ?? 0,
                                  bits: Array(Data(base64Encoded: $0[7].string ?? "") ?? Data()), wireBytes: $0[8].int ?? 0)
            }
        }
    }
}
