extension RunRecorder {
    /// Appends finished micro-batch hand-outs (the worker timeline) in one transaction.
    public func microBatches(_ records: [MicroBatchRecord]) {
        guard !records.isEmpty else { return }
        attempt("micro-batches") { try store.recordMicroBatches(runID, records) }
    }
}

extension RunRecorder {
    /// Stores one spike raster received from a worker.
    public func raster(_ r: SpikeRasterRecord) {
        attempt("spike raster") { try store.recordRaster(runID, r) }
    }
}
