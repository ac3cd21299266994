import Foundation
import SNNCore
import SNNEnergy
import SNNModel

/// What one ECC inference pass over a set of test images gives: accuracy, spikes and the event ledger.
public struct ECCEvaluation: Sendable {
    public var timesteps: Int
    public var samples: Int
    public var correct: Int
    /// Input spikes at [0], then spikes emitted by every layer's IF neurons (0 for flatten), summed over samples.
    public var spikesPerLayer: [Int64]
    /// Output-layer spike counts, `samples × classes` (kept for comparisons of the two inference modes).
    public var outputCounts: [Float]
    /// Inference events per layer and step (synaptic ops, neuron updates, spikes, membrane traffic).
    public var ledger: EventLedger

    public var accuracy: Double { samples == 0 ? 0 : Double(correct) / Double(samples) }
    public var spikesPerSample: Double { samples == 0 ? 0 : Double(spikesPerLayer.reduce(0, +)) / Double(samples) }
    public var synapticOpsPerSample: Double { samples == 0 ? 0 : Double(ledger.total(.inference).synapticOps) / Double(samples) }

    public mutating func add(_ o: ECCEvaluation) {
        samples += o.samples; correct += o.correct
        spikesPerLayer = zip(spikesPerLayer, o.spikesPerLayer).map(+)
        outputCounts += o.outputCounts
        ledger.add(o.ledger)
    }
}

/// The two inference modes of a converted SNN (METHODS §4.2, §4.4) and the CNN's own evaluation.
public enum ECCInference {
    /// Input spike count of a pixel after `t` steps: floor(x·t) (§4.2), the deterministic accumulator of §4.4.
    @inline(__always) static func inputCount(_ x: Float, _ t: Int) -> Float { (x * Float(t)).rounded(.down) }

    /// Runs `body` over micro-batches of `microBatch` samples of [0, n) on `executors` threads and sums the results
    /// in micro-batch order (so the sum, integers and counts, is the same for any number of executors).
    static func sharded(n: Int, microBatch: Int, executors: Int, empty: ECCEvaluation,
                        _ body: @Sendable (Int, Int) -> ECCEvaluation) -> ECCEvaluation {
        let shards = (n + microBatch - 1) / microBatch
        let lock = NSLock()
        nonisolated(unsafe) var parts = [ECCEvaluation?](repeating: nil, count: shards)
        DispatchQueue.concurrentPerform(iterations: max(1, executors)) { e in
            var s = e
            while s < shards {
                let r = body(s * microBatch, min(n, (s + 1) * microBatch))
                lock.lock(); parts[s] = r; lock.unlock()
                s += max(1, executors)
            }
        }
        var total = empty
        for p in parts { total.add(p!) }
        return total
    }

    static func emptyEvaluation(_ snn: ConvertedSNN, timesteps: Int) -> ECCEvaluation {
        ECCEvaluation(timesteps: timesteps, samples: 0, correct: 0,
                      spikesPerLayer: [Int64](repeating: 0, count: snn.network.layers.count + 1), outputCounts: [],
                      ledger: EventLedger(layerNames: snn.network.names, timesteps: timesteps))
    }

    /// Synaptic fan-out of every input value of layer `i` (how many synapses a spike there drives).
    static func fanOut(_ layer: ECCLayer) -> [Int64] {
        switch layer {
        case let .conv(g, _, _):
            let f = g.inputFanOut()
            return (0..<g.inputSize).map { Int64(f[$0 / g.channels]) * Int64(g.outChannels) }
        case let .dense(i, o, _, _): return [Int64](repeating: Int64(o), count: i)
        case let .avgPool(size, s):
            let (oh, ow) = (s[0] / size, s[1] / size)
            return (0..<(s[0] * s[1] * s[2])).map { j in
                let pix = j / s[2], y = pix / s[1], x = pix % s[1]
                return y < oh * size && x < ow * size ? 1 : 0
            }
        case .flatten(let n): return [Int64](repeating: 0, count: n)
        }
    }

    // MARK: Closed form (§4.2)

    /// Spike counts layer by layer from the accumulated charge: `n⁰ = floor(x·T)`, `Q = W'·n + T·b'` (pools: the
    /// average of the counts), `n = clip(floor((max(Q,0) + h·θ)/θ), 0, T)`; class = argmax of the output counts.
    /// Events are those the time-stepped network would perform with these counts (T neuron updates per neuron,
    /// one bias add per weighted neuron per step, input spikes × fan-out synaptic ops), recorded at step 0.
    public static func closedForm(_ snn: ConvertedSNN, data: LabeledImages, samples: Int? = nil, timesteps: Int,
                                  thresholding h: Float, microBatch: Int = 100, executors: Int = 1) -> ECCEvaluation {
        let n = min(samples ?? data.count, data.count)
        let fan = snn.network.layers.map(fanOut)
        return sharded(n: n, microBatch: microBatch, executors: executors, empty: emptyEvaluation(snn, timesteps: timesteps)) { lo, hi in
            closedFormBatch(snn, data: data, lo: lo, hi: hi, timesteps: timesteps, h: h, fan: fan)
        }
    }

    static func closedFormBatch(_ snn: ConvertedSNN, data: LabeledImages, lo: Int, hi: Int, timesteps T: Int, h: Float,
                                fan: [[Int64]]) -> ECCEvaluation {
        var ev = emptyEvaluation(snn, timesteps: T)
        let batch = hi - lo, per = data.pixelsPerImage
        var counts = data.pixels[(lo * per)..<(hi * per)].map { inputCount($0, T) }
        ev.spikesPerLayer[0] = Int64(counts.reduce(0, +))
        for (i, layer) in snn.network.layers.enumerated() {
            if case .flatten = layer { continue }
            var e = EventCounts()
            let f = fan[i], k = f.count
            var ops: Int64 = 0
            for b in 0..<batch { for j in 0..<k where counts[b * k + j] != 0 { ops += Int64(counts[b * k + j]) * f[j] } }
            let neurons = Int64(batch * layer.outputCount)
            e.synapticOps = ops + (layer.isWeighted ? neurons * Int64(T) : 0)
            e.weightReads = layer.isWeighted ? ops : 0
            var q = snn.network.linear(i, counts, batch: batch, biasScale: Float(T))
            q.withUnsafeMutableBufferPointer { closedFormCounts($0.baseAddress!, count: $0.count, threshold: snn.thresholds[i],
                                                                thresholding: h, timesteps: T) }
            counts = q
            e.neuronUpdates = neurons * Int64(T); e.membraneReads = e.neuronUpdates; e.membraneWrites = e.neuronUpdates
            let s = Int64(counts.reduce(0, +))
            e.spikes = s
            ev.spikesPerLayer[i + 1] = s
            ev.ledger.record(.inference, layer: i, t: 0, e)
        }
        let classes = snn.network.classes
        let predicted = argmaxRows(counts, rows: batch, columns: classes)
        ev.samples = batch
        ev.correct = (0..<batch).filter { predicted[$0] == Int(data.labels[lo + $0]) }.count
        ev.outputCounts = counts
        return ev
    }

    // MARK: Time-stepped, event-driven (§4.4)

    /// IF neurons with `V_0 = h·θ`, soft reset and at most one spike per step; the input pixel x emits its
    /// floor(x·t) − floor(x·(t−1)) spike at step t; biases are added every step; every average pool has its own IF
    /// layer (θ = r_pool). Only the spikes of a step are propagated (a spike adds its weight row: the cost follows
    /// the spikes); output = spike counts of the last layer, class = argmax (ties → lowest index).
    public static func timeStepped(_ snn: ConvertedSNN, data: LabeledImages, samples: Int? = nil, timesteps: Int,
                                   thresholding h: Float, microBatch: Int = 16, executors: Int = 1) -> ECCEvaluation {
        let n = min(samples ?? data.count, data.count)
        let fan = snn.network.layers.map(fanOut)
        return sharded(n: n, microBatch: microBatch, executors: executors, empty: emptyEvaluation(snn, timesteps: timesteps)) { lo, hi in
            var ev = emptyEvaluation(snn, timesteps: timesteps)
            for s in lo..<hi { ev.add(simulate(snn, data: data, sample: s, timesteps: timesteps, h: h, fan: fan)) }
            return ev
        }
    }

    static func simulate(_ snn: ConvertedSNN, data: LabeledImages, sample: Int, timesteps T: Int, h: Float, fan: [[Int64]]) -> ECCEvaluation {
        var ev = emptyEvaluation(snn, timesteps: T)
        let layers = snn.network.layers
        let per = data.pixelsPerImage
        let pixels = Array(data.pixels[(sample * per)..<((sample + 1) * per)])
        var potentials = layers.enumerated().map { i, l in [Float](repeating: h * snn.thresholds[i], count: l.outputCount) }
        var current = layers.map { [Float](repeating: 0, count: $0.outputCount) }
        var spikes = layers.map { [Float](repeating: 0, count: $0.outputCount) }
        var outCounts = [Float](repeating: 0, count: snn.network.classes)
        var active: [Int32] = [], next: [Int32] = []
        active.reserveCapacity(per); next.reserveCapacity(layers.map(\.outputCount).max() ?? 0)
        for t in 1...T {
            active.removeAll(keepingCapacity: true)
            for (j, x) in pixels.enumerated() where inputCount(x, t) - inputCount(x, t - 1) > 0 { active.append(Int32(j)) }
            ev.spikesPerLayer[0] += Int64(active.count)
            for (i, layer) in layers.enumerated() {
                if case .flatten = layer { continue }
                var e = EventCounts()
                var ops: Int64 = 0
                for j in active { ops += fan[i][Int(j)] }
                let neurons = layer.outputCount
                current[i].withUnsafeMutableBufferPointer { c in
                    switch layer {
                    case let .conv(g, w, b):
                        for r in 0..<g.outputPositions { (c.baseAddress! + r * g.outChannels).update(from: b, count: g.outChannels) }
                        w.withUnsafeBufferPointer { wp in scatterConv(g, active: active, weights: wp.baseAddress!, current: c.baseAddress!) }
                    case let .dense(_, o, w, b):
                        c.baseAddress!.update(from: b, count: o)
                        w.withUnsafeBufferPointer { wp in
                            for j in active { accumulateRow(wp.baseAddress! + Int(j) * o, into: c.baseAddress!, count: o) }
                        }
                    case let .avgPool(size, s):
                        c.baseAddress!.update(repeating: 0, count: neurons)
                        let (oh, ow) = (s[0] / size, s[1] / size), share = 1 / Float(size * size)
                        for j in active {
                            let ch = Int(j) % s[2], pix = Int(j) / s[2], y = pix / s[1], x = pix % s[1]
                            let (py, px) = (y / size, x / size)
                            if py < oh && px < ow { c[(py * ow + px) * s[2] + ch] += share }
                        }
                    case .flatten: break
                    }
                }
                let fired = potentials[i].withUnsafeMutableBufferPointer { v in
                    current[i].withUnsafeBufferPointer { c in
                        spikes[i].withUnsafeMutableBufferPointer { s in
                            integrateAndFire(potential: v.baseAddress!, current: c.baseAddress!, threshold: snn.thresholds[i],
                                             count: neurons, spikes: s.baseAddress!)
                        }
                    }
                }
                next.removeAll(keepingCapacity: true)
                if fired > 0 {
                    spikes[i].withUnsafeBufferPointer { s in for k in 0..<neurons where s[k] != 0 { next.append(Int32(k)) } }
                }
                if i == layers.count - 1 { for k in next { outCounts[Int(k)] += 1 } }
                swap(&active, &next)
                e.synapticOps = ops + (layer.isWeighted ? Int64(neurons) : 0)
                e.weightReads = layer.isWeighted ? ops : 0
                e.neuronUpdates = Int64(neurons); e.membraneReads = Int64(neurons); e.membraneWrites = Int64(neurons)
                e.spikes = Int64(fired)
                ev.spikesPerLayer[i + 1] += Int64(fired)
                ev.ledger.record(.inference, layer: i, t: t - 1, e)
            }
        }
        ev.samples = 1
        ev.correct = argmaxRows(outCounts, rows: 1, columns: outCounts.count)[0] == Int(data.labels[sample]) ? 1 : 0
        ev.outputCounts = outCounts
        return ev
    }

    /// Adds the weight rows of every active input `j = (y·W + x)·C + c` to the output positions that read it.
    static func scatterConv(_ g: ConvGeometry, active: [Int32], weights: UnsafePointer<Float>, current: UnsafeMutablePointer<Float>) {
        let co = g.outChannels
        for j in active {
            let c = Int(j) % g.channels, pix = Int(j) / g.channels, y = pix / g.width, x = pix % g.width
            for ky in 0..<g.kernel {
                let ny = y + g.padding - ky
                if ny < 0 || ny % g.stride != 0 { continue }
                let oy = ny / g.stride
                if oy >= g.outHeight { continue }
                for kx in 0..<g.kernel {
                    let nx = x + g.padding - kx
                    if nx < 0 || nx % g.stride != 0 { continue }
                    let ox = nx / g.stride
                    if ox >= g.outWidth { continue }
                    accumulateRow(weights + ((ky * g.kernel + kx) * g.channels + c) * co,
                                  into: current + (oy * g.outWidth + ox) * co, count: co)
                }
            }
        }
    }

    // MARK: The CNN itself

    /// The BN-folded CNN's test accuracy and its inference events (one MAC per synapse, exact at conv borders).
    public static func cnn(_ cnn: ECCNetwork, data: LabeledImages, samples: Int? = nil, microBatch: Int = 100,
                           executors: Int = 1) -> (accuracy: Double, ledger: EventLedger, samples: Int) {
        let n = min(samples ?? data.count, data.count), per = data.pixelsPerImage
        let shards = (n + microBatch - 1) / microBatch
        let lock = NSLock()
        nonisolated(unsafe) var correct = 0
        DispatchQueue.concurrentPerform(iterations: max(1, executors)) { e in
            var s = e, local = 0
            while s < shards {
                let lo = s * microBatch, hi = min(n, lo + microBatch)
                let logits = cnn.cnnForward(Array(data.pixels[(lo * per)..<(hi * per)]), batch: hi - lo).logits
                let p = argmaxRows(logits, rows: hi - lo, columns: cnn.classes)
                local += (0..<(hi - lo)).filter { p[$0] == Int(data.labels[lo + $0]) }.count
                s += max(1, executors)
            }
            lock.lock(); correct += local; lock.unlock()
        }
        let ledger = cnnLedger(cnn, samples: n)
        return (n == 0 ? 0 : Double(correct) / Double(n), ledger, n)
    }
}
