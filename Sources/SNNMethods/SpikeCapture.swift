import SNNCore
import SNNModel

/// The spikes a network emits for a few samples at inference: for every spiking layer (`SpikingNeuronLayer`) and
/// every simulated step, which neurons fired. Used for the spike rasters workers send at
/// each evaluation (SPIKES messages); it runs the same layers, parameters and encoder as the evaluation itself.
public enum SpikeCapture {
    /// One layer's spikes for one sample: `steps × neurons` bytes, time-major, 1 = spike.
    public struct Raster: Sendable, Equatable {
        public var sample: Int
        public var layer: Int
        public var steps: Int
        public var neurons: Int
        public var spikes: [UInt8]
    }

    /// Runs inference on `samples` of `data` and returns one raster per (sample, spiking layer), sample-major.
    public static func record(method: any TrainingMethod, spec: RunSpec, samples: [Int32], data: LabeledImages,
                              epoch: Int, seed: UInt64, parameters: [Float], state: [Float]) -> [Raster] {
        guard !samples.isEmpty else { return [] }
        let network = method.network
        let steps = method.inferenceSteps(parameters: parameters)
        let work = MicroBatch(epoch: epoch, step: 0, index: 0, phase: .evaluate, samples: samples, seed: seed)
        let input = MethodFactory.encoder(spec).encode(work, data: data, steps: steps)
        let caches = network.makeCaches()
        var outputs: [(layer: Int, activation: Activation)] = []
        parameters.withUnsafeBufferPointer { pp in
            state.withUnsafeBufferPointer { sp in
                var ctx = PassContext(mode: .inference, steps: steps, parameters: pp.baseAddress!, state: sp.baseAddress ?? pp.baseAddress!,
                                      gradients: nil, statistics: nil, ledger: network.makeLedger())
                var x = input
                for (i, l) in network.layers.enumerated() {
                    x = l.forward(x, context: &ctx, cache: caches[i])
                    if l is any SpikingNeuronLayer { outputs.append((i, x)) }
                }
            }
        }
        var rasters: [Raster] = []
        for b in 0..<samples.count {
            for (layer, a) in outputs {
                let n = a.data.count / max(1, a.steps * a.batch)
                var spikes = [UInt8](repeating: 0, count: a.steps * n)
                a.data.withUnsafeBufferPointer { p in
                    for t in 0..<a.steps {
                        let base = (t * a.batch + b) * n
                        for f in 0..<n where p[base + f] != 0 { spikes[t * n + f] = 1 }
                    }
                }
                rasters.append(Raster(sample: Int(samples[b]), layer: layer, steps: a.steps, neurons: n, spikes: spikes))
            }
        }
        return rasters
    }
}
