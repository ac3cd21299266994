import SNNCluster
import SNNEnergy
import Testing

/// `StepContribution.merge(_:)`, the worker's in-place step sum (issue 11 item 3), against sums worked out field by
/// field here: exact integer gradient sums, statistics blocks reordered by micro-batch, counters and spikes added.
@Suite struct StepContributionMergeTests {
    private func contribution(_ microBatch: Int, gradient: [Int64], statistics: [Float], spikes: [Int64], macs: Int64) -> StepContribution {
        var ledger = EventLedger(layerNames: ["a", "b"], timesteps: 1)
        var e = EventCounts()
        e.macs = macs
        ledger.record(.trainForward, layer: 1, t: 0, e)
        return StepContribution(microBatch: microBatch, gradient: gradient, statistics: statistics, lossSum: Double(microBatch) + 0.5,
                                correct: microBatch, samples: 10, ledger: ledger, spikesPerLayer: spikes, steps: 3 + microBatch,
                                computeNanos: UInt64(100 * (microBatch + 1)))
    }

    @Test func mergingInPlaceGivesTheFieldByFieldSum() throws {
        var sum = contribution(2, gradient: [5, -7, Int64(1) << 40], statistics: [2.5, 2.25], spikes: [1, 2], macs: 4)
        let other = contribution(0, gradient: [-5, 3, 1], statistics: [0.5, 0.25], spikes: [10, 20], macs: 6)
        try sum.merge(other)
        #expect(sum.microBatches == [0, 2])
        #expect(sum.gradient == [0, -4, (Int64(1) << 40) + 1])
        #expect(sum.statistics == [0.5, 0.25, 2.5, 2.25])   // micro-batch 0's block first
        #expect(sum.spikesPerLayer == [11, 22])
        #expect(sum.ledger.total(.trainForward, layer: 1).macs == 10)
        #expect(sum.lossSum == 3.0 && sum.correct == 2 && sum.samples == 20 && sum.steps == 5 && sum.computeNanos == 400)
        // The value form gives the same.
        let merged = try contribution(2, gradient: [5, -7, Int64(1) << 40], statistics: [2.5, 2.25], spikes: [1, 2], macs: 4).merged(with: other)
        #expect(merged.gradient == sum.gradient && merged.statistics == sum.statistics && merged.microBatches == sum.microBatches)
    }

    @Test func anOverflowingMergeFailsAndLeavesTheGradientAsItWas() {
        var sum = contribution(0, gradient: [1, Int64.max - 1], statistics: [], spikes: [0, 0], macs: 0)
        let other = contribution(1, gradient: [1, 2], statistics: [], spikes: [0, 0], macs: 0)
        #expect(throws: ExactSumError.self) { try sum.merge(other) }
        #expect(sum.gradient == [1, Int64.max - 1] && sum.microBatches == [0])
    }

    @Test func aMergeOfAHeldSumDoesNotCopyItsGradient() throws {
        var sum = contribution(0, gradient: [Int64](repeating: 1, count: 1 << 16), statistics: [], spikes: [0, 0], macs: 0)
        let before = sum.gradient.withUnsafeBufferPointer { $0.baseAddress }
        try sum.merge(contribution(1, gradient: [Int64](repeating: 2, count: 1 << 16), statistics: [], spikes: [0, 0], macs: 0))
        #expect(sum.gradient.withUnsafeBufferPointer { $0.baseAddress } == before)
        #expect(sum.gradient.allSatisfy { $0 == 3 })
    }
}
