import SNNCluster
import SNNClusterLogic
import Testing

/// `StepGradientStaging`: a worker's per-step gradient sum built on its compute threads. Checked against the plain
/// fixed-point sum of the same micro-batches (`FixedPoint.add`), and on every way a sum may not match its RESULT.
struct StepGradientStagingTests {
    let job = JobID(epoch: 0, step: 4, phase: .train)

    static func gradients(_ n: Int, count: Int, seed: UInt64) -> [[Int64]] {
        var rng = SeededGenerator(seed: seed)
        return (0..<n).map { _ in (0..<count).map { _ in Int64.random(in: -(1 << 40)...(1 << 40), using: &rng) } }
    }

    @Test("the sum equals the fixed-point sum of the micro-batches, whatever order the threads add them in")
    func sumsExactlyInAnyOrder() throws {
        let g = Self.gradients(4, count: 1000, seed: 1)
        var expected = g[0]
        for x in g.dropFirst() { try FixedPoint.add(into: &expected, x) }
        for order in [[0, 1, 2, 3], [3, 1, 0, 2], [2, 3, 1, 0]] {
            let s = StepGradientStaging()
            for i in order { try s.add(job: job, microBatch: i, fixedPoint: g[i]) }
            #expect(try s.take(job: job, covering: [0, 1, 2, 3]).get() == expected)
            #expect(s.jobs.isEmpty)
        }
    }

    @Test("a result whose micro-batches differ from the sum's, or a micro-batch added twice, gets no sum")
    func mismatchesAreRefused() throws {
        let g = Self.gradients(3, count: 10, seed: 2)
        let s = StepGradientStaging()
        try s.add(job: job, microBatch: 0, fixedPoint: g[0])
        try s.add(job: job, microBatch: 2, fixedPoint: g[2])
        #expect(throws: StagingMismatch.self) { try s.take(job: job, covering: [0, 1, 2]).get() }
        #expect(s.jobs.isEmpty)   // refused sums are dropped: their items are computed again
        try s.add(job: job, microBatch: 1, fixedPoint: g[1])
        try s.add(job: job, microBatch: 1, fixedPoint: g[1])   // e.g. a computation abandoned at a reconnect, then redone
        #expect(throws: StagingMismatch.self) { try s.take(job: job, covering: [1]).get() }
        #expect(throws: StagingMismatch.self) { try s.take(job: job, covering: [0]).get() }   // nothing held
    }

    @Test("an overflowing add throws and leaves the sum as it was")
    func overflowIsAllOrNothing() throws {
        let s = StepGradientStaging()
        try s.add(job: job, microBatch: 0, fixedPoint: [1, Int64.max - 5, 3])
        #expect(throws: ExactSumError.self) { try s.add(job: job, microBatch: 1, fixedPoint: [1, 10, 1]) }
        #expect(try s.take(job: job, covering: [0]).get() == [1, Int64.max - 5, 3])
    }

    @Test("taking a step's sum drops the sums of earlier steps; clear drops everything")
    func staleSumsAreDropped() throws {
        let s = StepGradientStaging()
        let earlier = JobID(epoch: 0, step: 3, phase: .train), later = JobID(epoch: 0, step: 5, phase: .train)
        try s.add(job: earlier, microBatch: 0, fixedPoint: [1])
        try s.add(job: job, microBatch: 0, fixedPoint: [2])
        try s.add(job: later, microBatch: 1, fixedPoint: [3])
        #expect(s.jobs == [earlier, job, later])
        #expect(try s.take(job: job, covering: [0]).get() == [2])
        #expect(s.jobs == [later])
        s.clear()
        #expect(s.jobs.isEmpty)
    }

    @Test("float gradients: one pass in the fast range, the checked path beyond it, the same sum either way")
    func floatGradientsSumLikeTheirRoundedForms() throws {
        var rng = SeededGenerator(seed: 5)
        var g = (0..<4).map { _ in (0..<777).map { _ in Float.random(in: -3...3, using: &rng) } }
        g[2][100] = 600_000   // beyond 2^19: this contribution takes the checked path
        for order in [[0, 1, 2, 3], [2, 0, 3, 1]] {
            let s = StepGradientStaging()
            for i in order { try s.add(job: job, microBatch: i, gradient: g[i]) }
            var expected = try FixedPoint.encode(g[0])
            for x in g.dropFirst() { try FixedPoint.add(into: &expected, try FixedPoint.encode(x)) }
            #expect(try s.take(job: job, covering: [0, 1, 2, 3]).get() == expected)
        }
        // A non-finite gradient throws and leaves the sum as it was.
        let s = StepGradientStaging()
        try s.add(job: job, microBatch: 0, gradient: g[0])
        var bad = g[1]
        bad[5] = .nan
        #expect(throws: ExactSumError.self) { try s.add(job: job, microBatch: 1, gradient: bad) }
        #expect(try s.take(job: job, covering: [0]).get() == (try FixedPoint.encode(g[0])))
    }
}
