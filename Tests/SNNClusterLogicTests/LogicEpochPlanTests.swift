import SNNClusterLogic
import Testing

/// The order of work in an epoch (`EpochPlan`): a seeded permutation cut into steps and fixed micro-batches.
@Suite struct LogicEpochPlanTests {
    @Test func epochPlanIsASeededPermutationCutIntoMicroBatches() {
        let p = EpochPlan(epoch: 3, samples: 100, batchSize: 32, microBatch: 10, seed: 1)
        #expect(Set(p.permutation) == Set(0..<100))
        #expect(p.steps == 4)
        #expect(p.microBatches(step: 0).map(\.samples.count) == [10, 10, 10, 2])
        #expect(p.microBatches(step: 3).map(\.samples.count) == [4])
        #expect(EpochPlan(epoch: 3, samples: 100, batchSize: 32, microBatch: 10, seed: 1).permutation == p.permutation)
        #expect(EpochPlan(epoch: 4, samples: 100, batchSize: 32, microBatch: 10, seed: 1).permutation != p.permutation)
    }
}
