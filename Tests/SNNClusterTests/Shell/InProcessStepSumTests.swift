import Foundation
import SNNCluster
import SNNCore
import SNNMethods
import Testing

/// One RESULT per worker per step (issue 11, item 3): a worker sums the training micro-batches of a step it computed
/// before sending, exactly (fixed point); if the worker is lost, exactly the micro-batches it covered are redone.
/// In-process shells on a manual clock, computations in place.
@Suite struct InProcessStepSumTests {
    /// A worker with 2 slots given micro-batches 0 and 1 of a step sends one RESULT covering [0, 1] whose sums equal
    /// the two results a 1-slot worker sends when it is given the same items one after the other.
    @Test func aWorkerHoldingTwoMicroBatchesOfAStepSendsOneResult() throws {
        let setup = try InProcessCluster.setup()
        let session = InProcessCluster.session(setup)
        let values = ModelValues(parameters: session.parameters, state: session.state)
        let work = session.nextStepWork()
        #expect(work.count == 3)
        func results(threads: Int, items: [MicroBatch], together: Bool) throws -> [WorkResult] {
            let network = InMemoryNetwork(), clock = ManualClock()
            let router = network.router()
            var o = WorkerOptions(address: "inproc://test", threads: threads, dataDirectory: "", name: "w")
            o.quiet = true
            o.rasterSamples = 0
            let worker = try WorkerClient(options: o, train: InProcessCluster.train, test: InProcessCluster.test, clock: clock,
                                          connect: { network.dealer() })
            worker.dispatchCompute = { $0() }
            try worker.start()
            let identity = try #require(try router.receive(timeoutMs: 0))[0]
            let runID = UUID()
            func send(_ m: Message) throws { try router.send([identity] + WireCodec.encode(m, runID: runID).frames) }
            try send(.welcome(Welcome(runID: runID, heartbeatIntervalMs: 1000, deadWorkerTimeoutMs: 3000,
                                      specJSON: Array(InProcessCluster.specJSON.utf8), parameterVersion: 0)))
            _ = try worker.poll()
            var out: [WorkResult] = []
            func collect() throws {
                for _ in 0..<4 { _ = try worker.poll() }
                // Its request for more is answered with NO_WORK (nothing more of the step): it sends what it holds.
                try send(.noWork(NoWork(retryAfterMs: 500, reason: .waitingForStep)))
                for _ in 0..<2 { _ = try worker.poll() }
                while let frames = try router.receive(timeoutMs: 0) {
                    if case .result(let r) = try WireCodec.decode(Array(frames.dropFirst())).message { out.append(r) }
                }
            }
            // Together: both WORKs before the worker runs; one by one: the second only after the first's RESULT.
            for (i, mb) in items.enumerated() {
                try send(.work(WorkAssignment(WorkItem(mb, parameterVersion: 0), values: i == 0 ? values : nil)))
                if !together { try collect() }
            }
            try collect()
            return out
        }
        let merged = try results(threads: 2, items: Array(work[0...1]), together: true)
        let single = try results(threads: 1, items: Array(work[0...1]), together: false)
        try #require(merged.count == 1 && single.count == 2, "\(merged.count) merged and \(single.count) single results")
        let m = try #require(merged.first)
        #expect(m.microBatches == [0, 1] && m.key.microBatch == 0)
        #expect(single.map(\.microBatches) == [[0], [1]])
        #expect(Int(m.samples) == work[0].samples.count + work[1].samples.count)
        #expect(m.gradient == zip(single[0].gradient, single[1].gradient).map { $0 + $1 })
        #expect(m.statistics == single[0].statistics + single[1].statistics)
        #expect(m.counters == zip(single[0].counters, single[1].counters).map { $0 + $1 })
        #expect(m.correct == single[0].correct + single[1].correct)
    }

    /// Three micro-batches per step: 1 worker with 3 slots (one RESULT per step), 2 workers with 2 slots and 1 with
    /// 1 slot all end on the standalone trainer's parameters.
    @Test func perStepSumsGiveTheStandaloneDigest() throws {
        let reference = try InProcessCluster.standaloneDigest(maxSteps: 2)
        for (count, threads) in [(1, 3), (2, 2), (1, 1)] {
            let cluster = try InProcessCluster(maxSteps: 2, minWorkers: count)
            for i in 0..<count { try cluster.addWorker(threads: threads, name: "w\(i)") }
            try cluster.pump(turns: 5000)
            #expect(cluster.coordinator.isFinished && cluster.session.iteration == 2)
            #expect(try cluster.runToEnd())
            #expect(cluster.session.digest == reference, "\(count) worker(s) × \(threads) slots")
        }
    }

    /// A worker with 2 slots finishes one of its two micro-batches, holds it for the step's sum and dies before the
    /// other ends: nothing of it reached the coordinator, so both are redone by another worker after the timeout,
    /// and the parameters are the standalone run's.
    @Test func aWorkerThatDiesHoldingOneOfItsTwoIsRedoneForBoth() throws {
        let reference = try InProcessCluster.standaloneDigest(maxSteps: 1)
        let cluster = try InProcessCluster(maxSteps: 1, minWorkers: 2)
        let doomed = try cluster.addWorker(threads: 2, name: "doomed")
        let started = StartCount()
        doomed.dispatchCompute = { work in
            if started.next() == 1 { work() }   // the first finishes; the second never does (the process dies)
        }
        try cluster.coordinator.poll()            // the doomed worker's HELLO: welcomed (the step waits for 2 workers)
        let live = try cluster.addWorker(threads: 1, name: "live")
        try cluster.coordinator.poll()            // the live worker's HELLO: the step starts
        _ = try live.poll()                       // asks for 1
        _ = try doomed.poll()                     // asks for 2
        try cluster.coordinator.poll()            // round-robin: micro-batch 0 to the live worker, 1 and 2 to the doomed one
        for _ in 0..<3 { _ = try doomed.poll(); try cluster.coordinator.poll() }   // it finishes 1, holds it, 2 never ends
        #expect(started.value == 2)
        let doomedStatus = try #require(cluster.coordinator.status.workers.first { $0.id.rawValue == doomed.workerID.uuidString })
        #expect(doomedStatus.inFlight == 2 && doomedStatus.completedMicroBatches == 0)
        try cluster.pump([live], turns: 200)      // the live worker does micro-batch 0; the step waits for 1 and 2
        #expect(cluster.session.iteration == 0)

        var elapsed = Duration.zero
        while !cluster.coordinator.isFinished && elapsed < .seconds(30) {
            cluster.clock.advance(by: .milliseconds(250))
            elapsed += .milliseconds(250)
            try cluster.pump([live], turns: 20)
        }
        #expect(cluster.session.iteration == 1)
        #expect(elapsed > cluster.options.deadAfter)
        let workers = cluster.coordinator.status.workers
        #expect(workers.map(\.id.rawValue) == [live.workerID.uuidString])
        #expect(workers.first?.completedMicroBatches ?? 0 >= 3, "the live worker redid both of the lost micro-batches")
        #expect(cluster.session.digest == reference)
    }
}

/// Counts computations handed to a worker's dispatcher (tests run them in place, on the test's thread).
final class StartCount: @unchecked Sendable {
    private(set) var value = 0
    func next() -> Int { value += 1; return value }
}
