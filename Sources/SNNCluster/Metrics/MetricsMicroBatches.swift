/// The micro-batch count of a run's recorded training steps, for the energy report's derived training traffic
/// (`TrainingMemoryTraffic`: one gradient-buffer read-modify-write per parameter per micro-batch).
extension MetricsStore {
    /// Micro-batches the run's committed steps were made of, in the given epochs (nil = all): a step of `s` samples is
    /// cut into `⌈s / microBatch⌉` micro-batches (`EpochPlan.microBatches(step:)`: fixed size, the last one smaller).
    public func microBatchCount(run runID: String, epochs: [Int]? = nil, microBatch: Int) throws -> Int {
        guard microBatch > 0 else { return 0 }
        let rows = try locked { db in
            try db.query("SELECT epoch, samples FROM steps WHERE run_id = ?1", [.text(runID)])
        }
        let wanted = epochs.map(Set.init)
        return rows.reduce(0) { sum, r in
            guard wanted?.contains(r[0].int ?? -1) ?? true else { return sum }
            let s = r[1].int ?? 0
            return sum + (s + microBatch - 1) / microBatch
        }
    }
}
