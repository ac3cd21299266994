import Foundation

extension CoordinatorServer {
    /// Stores a worker's spike raster (SPIKES) after checking it fits the run's network.
    func storeRaster(_ s: SpikeRaster, wireBytes: Int, from id: WorkerID) {
        let layers = session.network.layerNames
        guard Int(s.layer) < layers.count, Int(s.epoch) < max(1, setup.settings.epochs) else {
            logger.warning("rejected a spike raster from \(names[id] ?? id.rawValue): layer \(s.layer) / epoch \(s.epoch) not in this run")
            return
        }
        recorder?.raster(SpikeRasterRecord(epoch: Int(s.epoch), sample: Int(s.sample), layer: Int(s.layer), name: layers[Int(s.layer)],
                                           steps: Int(s.steps), neurons: Int(s.neurons), spikes: Int(s.spikeCount), bits: s.bits,
                                           wireBytes: wireBytes))
    }
}
