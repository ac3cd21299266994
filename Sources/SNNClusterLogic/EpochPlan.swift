import SNNCore
import SNNMethods

/// The deterministic order of work in an epoch: a seeded permutation of the training set cut into minibatches
/// (steps) and each minibatch into fixed micro-batches.
public struct EpochPlan: Sendable {
    public let epoch: Int
    public let permutation: [Int32]
    public let batchSize: Int
    public let microBatch: Int
    public let seed: UInt64

    public init(epoch: Int, samples: Int, batchSize: Int, microBatch: Int, seed: UInt64) {
        self.epoch = epoch; self.batchSize = batchSize; self.microBatch = microBatch; self.seed = seed
        var p = (0..<Int32(samples)).map { $0 }
        var rng = RandomStream(seed: seed, epoch: UInt64(epoch), sample: 0xFFFF_FFFF_FFFF)
        // Fisher–Yates with a seeded stream.
        if p.count > 1 {
            for i in stride(from: p.count - 1, to: 0, by: -1) {
                let j = Int(rng.next() % UInt64(i + 1))
                p.swapAt(i, j)
            }
        }
        permutation = p
    }

    /// Steps per epoch (a final partial batch is kept).
    public var steps: Int { (permutation.count + batchSize - 1) / batchSize }

    public func samples(step: Int) -> ArraySlice<Int32> {
        let lo = step * batchSize, hi = min(permutation.count, lo + batchSize)
        return permutation[lo..<hi]
    }

    /// The micro-batches of a step, in index order.
    public func microBatches(step: Int) -> [MicroBatch] {
        let s = samples(step: step)
        var out: [MicroBatch] = []
        var lo = s.startIndex, i = 0
        while lo < s.endIndex {
            let hi = min(s.endIndex, lo + microBatch)
            out.append(MicroBatch(epoch: epoch, step: step, index: i, phase: .train, samples: Array(s[lo..<hi]), seed: seed))
            lo = hi; i += 1
        }
        return out
    }

    /// Micro-batches that evaluate the whole test split (`count` samples) in order.
    public static func evaluation(epoch: Int, count: Int, microBatch: Int, seed: UInt64) -> [MicroBatch] {
        stride(from: 0, to: count, by: microBatch).enumerated().map { i, lo in
            MicroBatch(epoch: epoch, step: 0, index: i, phase: .evaluate,
                       samples: (Int32(lo)..<Int32(min(count, lo + microBatch))).map { $0 }, seed: seed)
        }
    }
}
