import Foundation
import SNNMethods

/// Spike rasters finished on compute threads, waiting for the worker's loop to send them (SPIKES).
final class RasterQueue: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [SpikeRaster] = []
    func push(_ r: [SpikeRaster]) { lock.lock(); items += r; lock.unlock() }
    func drain() -> [SpikeRaster] { lock.lock(); defer { lock.unlock() }; let out = items; items = []; return out }
}

extension WorkerClient {
    /// For the evaluation's first micro-batch: a closure (run on the compute thread) that records the spikes of
    /// its first `rasterSamples` test samples in every spiking layer and queues them; nil otherwise.
    func rasterCapture(_ item: WorkItem, method: any TrainingMethod, parameters: [Float], state: [Float]) -> (@Sendable () -> Void)? {
        guard options.rasterSamples > 0, item.key.phase == .evaluate, item.key.microBatch == 0, let spec else { return nil }
        let samples = Array(item.sampleIDs.prefix(options.rasterSamples))
        let data = test, seed = item.microBatch.seed, epoch = item.key.epoch, queue = rasters
        return {
            let captured = SpikeCapture.record(method: method, spec: spec, samples: samples, data: data, epoch: epoch,
                                               seed: seed, parameters: parameters, state: state)
            queue.push(captured.map { SpikeRaster(epoch: epoch, sample: $0.sample, layer: $0.layer, steps: $0.steps,
                                                  neurons: $0.neurons, spikes: $0.spikes) })
        }
    }

    /// Sends the queued rasters (on the loop's thread: the socket is not thread-safe).
    func sendRasters() {
        for r in rasters.drain() { send(.spikeRaster(r)) }
    }
}
