import SNNClusterLogic
import Testing

/// The determinism property: whatever the number of workers, the interleaving of messages, deaths,
/// partitions, rejoins and speculative copies, the sequence of committed jobs (keys, versions and payloads
/// in micro-batch order) is the one a single calm worker produces.
@Suite struct LogicDeterminismTests {
    /// Two epochs of three steps (five micro-batches of three samples from a seeded permutation), each
    /// followed by an evaluation pass of four micro-batches.
    static func plans(seed: UInt64) -> [LogicClusterSimulation.Job] {
        var rng = SeededGenerator(seed: seed ^ 0xC0FFEE)
        var jobs: [LogicClusterSimulation.Job] = []
        for epoch in 0..<2 {
            let permutation = Array(0..<45).shuffled(using: &rng)
            for step in 0..<3 {
                let start = step * 15
                jobs.append(.step(StepPlan(epoch: epoch, step: epoch * 3 + step, sampleIDs: (0..<5).map { mb in
                    permutation[(start + mb * 3)..<(start + mb * 3 + 3)].map { Int32($0) }
                })))
            }
            jobs.append(.evaluation(EvaluationPlan(epoch: epoch, step: epoch * 3 + 2, sampleIDs: (0..<4).map { mb in
                ((mb * 5)..<(mb * 5 + 5)).map { Int32($0) }
            })))
        }
        return jobs
    }

    static func reference() -> [LogicClusterSimulation.Commit] {
        var calm = LogicClusterSimulation(seed: 1, workers: 1, chaos: .none, speculateAfter: nil, plans: plans(seed: 0))
        precondition(calm.run())
        return calm.commits
    }

    @Test func calmSingleWorkerRunCommitsEveryJobOnceInPlanOrder() {
        let commits = Self.reference()
        #expect(commits.map(\.job) == Self.plans(seed: 0).map { job in
            switch job {
            case .step(let plan): plan.job
            case .evaluation(let plan): plan.job
            }
        })
        #expect(commits.map(\.parameterVersion) == [0, 1, 2, 3, 3, 4, 5, 6])
    }

    @Test(arguments: [1, 2, 3], 0..<40)
    func commitsMatchTheSingleWorkerRunUnderRandomInterleavingsDeathsAndJoins(workers: Int, seed: Int) {
        let chaos = LogicClusterSimulation.Chaos(maxWorkers: workers, kills: 3, partitions: 3, computeFailureRate: 0.02)
        var simulation = LogicClusterSimulation(
            seed: UInt64(seed) &* 7919 &+ UInt64(workers), workers: workers, chaos: chaos,
            speculateAfter: seed % 2 == 0 ? nil : .milliseconds(150), plans: Self.plans(seed: 0))
        let finished = simulation.run()
        #expect(finished, "did not finish: \(simulation.commits.count) jobs committed, abort: \(simulation.abort ?? "none")")
        #expect(simulation.commits == Self.reference(), "seed \(seed), \(workers) workers, stats \(simulation.stats)")
    }

    @Test func chaosRunsReallyExerciseDeathsDropsAndRejoins() {
        var total = LogicClusterSimulation.Stats()
        for seed in 0..<40 {
            for workers in 1...3 {
                let chaos = LogicClusterSimulation.Chaos(maxWorkers: workers, kills: 3, partitions: 3, computeFailureRate: 0.02)
                var simulation = LogicClusterSimulation(
                    seed: UInt64(seed) &* 7919 &+ UInt64(workers), workers: workers, chaos: chaos,
                    speculateAfter: seed % 2 == 0 ? nil : .milliseconds(150), plans: Self.plans(seed: 0))
                _ = simulation.run()
                total.deaths += simulation.stats.deaths
                total.departures += simulation.stats.departures
                total.joins += simulation.stats.joins
                total.reconnects += simulation.stats.reconnects
                total.failures += simulation.stats.failures
                total.actions = max(total.actions, simulation.stats.actions)
                total.acceptedFromDeparted += simulation.stats.acceptedFromDeparted
                total.drops.merge(simulation.stats.drops, uniquingKeysWith: +)
            }
        }
        #expect(total.deaths > 100)
        #expect(total.reconnects > 0)
        #expect(total.failures > 0)
        #expect(total.acceptedFromDeparted > 0)
        #expect(total.drops["duplicate", default: 0] + total.drops["late", default: 0] > 0)
        print("chaos totals: \(total)")
    }
}
