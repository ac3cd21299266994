import Foundation
import SNNCluster
import SNNCore
import SNNMethods
import Testing

/// Protocol 4's parameter deltas through the real shells (in process, manual clock): the run keeps the standalone
/// digest with deltas in play while a worker dies and another joins mid-run (full values for it), and a worker
/// refuses, with WORK_FAILED missingParameters, a delta against a version it does not hold or one whose rebuilt values
/// fail the checksum, and never computes with them.
@Suite struct InProcessParameterDeltaTests {
    @Test("deltas in play, a worker declared dead and a newcomer mid-run: the standalone digest")
    func deltasWithDeathAndJoinKeepTheDigest() throws {
        let reference = try InProcessCluster.standaloneDigest(maxSteps: 2)
        let cluster = try InProcessCluster(maxSteps: 2, minWorkers: 2)
        let live = try cluster.addWorker(name: "live")
        let victim = try cluster.addWorker(name: "victim")
        // Step 0 with both (version 0, full values to each).
        for _ in 0..<2000 where cluster.session.iteration < 1 { try cluster.pump(turns: 1) }
        #expect(cluster.session.iteration == 1)
        // The victim falls silent from here on; a newcomer joins while step 1 runs.
        let newcomer = try cluster.addWorker(name: "newcomer")
        let polled = [live, newcomer]
        var elapsed = Duration.zero
        while !cluster.coordinator.isFinished && elapsed < .seconds(30) {
            try cluster.pump(polled, turns: 20)
            cluster.clock.advance(by: .milliseconds(250))
            elapsed += .milliseconds(250)
        }
        #expect(cluster.coordinator.isFinished)
        #expect(cluster.session.digest == reference)
        // The live worker went from version 0 to 1 (and 2 for the evaluation) by deltas, never refusing one.
        #expect(live.deltasApplied >= 1 && live.deltasRefused == 0 && newcomer.deltasRefused == 0)
        #expect(victim.deltasRefused == 0)
    }

    @Test("a delta against another version, or failing its checksum, is refused with WORK_FAILED; a good one is applied")
    func workerRefusesABadDelta() throws {
        let network = InMemoryNetwork(), clock = ManualClock()
        let router = network.router()
        var o = WorkerOptions(address: "inproc://test", threads: 1, dataDirectory: "", name: "w")
        o.quiet = true
        o.rasterSamples = 0
        let worker = try WorkerClient(options: o, train: InProcessCluster.train, test: InProcessCluster.test, clock: clock,
                                      connect: { network.dealer() })
        worker.dispatchCompute = { $0() }
        try worker.start()
        let identity = try #require(try router.receive(timeoutMs: 0))[0]
        let runID = UUID()
        func send(_ m: Message) throws { try router.send([identity] + WireCodec.encode(m, runID: runID).frames) }
        func received() throws -> [Message] {
            _ = try worker.poll()
            var out: [Message] = []
            while let f = try router.receive(timeoutMs: 0) { out.append(try WireCodec.decode(Array(f.dropFirst())).message) }
            return out
        }
        func failures(_ ms: [Message]) -> [WorkFailed] { ms.compactMap { if case .workFailed(let f) = $0 { return f } else { return nil } } }
        try send(.welcome(Welcome(runID: runID, heartbeatIntervalMs: 1000, deadWorkerTimeoutMs: 3000,
                                  specJSON: Array(InProcessCluster.specJSON.utf8), parameterVersion: 5)))
        _ = try received()

        // Version 5 with full values (the model's initial ones), evaluated: the worker holds version 5.
        let session = InProcessCluster.session(try InProcessCluster.setup())
        let v5 = ModelValues(parameters: session.parameters, state: session.state)
        let v6 = ModelValues(parameters: session.parameters.map { $0 * 0.75 + 0.01 }, state: session.state.map { $0 + 0.5 })
        var mb = 0
        func work(_ version: UInt64, values: ModelValues? = nil, delta: ParameterDelta? = nil) throws -> [Message] {
            mb += 1
            try send(.work(WorkAssignment(key: WorkKey(epoch: 0, step: 0, microBatch: mb, phase: .evaluate), parameterVersion: version,
                                          seed: 1, sampleIndices: [0, 1], values: values, delta: delta)))
            return try received()
        }
        #expect(failures(try work(5, values: v5)).isEmpty)

        // A delta against version 4: refused, typed, and the held version is forgotten.
        let from4 = try #require(ParameterDelta(from: v5, to: v6, baseVersion: 4))
        var f = failures(try work(6, delta: from4))
        #expect(f.count == 1 && f[0].reason == .missingParameters && f[0].parameterVersion == 6 && f[0].detail.contains("version 6"))
        #expect(worker.deltasRefused == 1 && worker.deltasApplied == 0)
        // Even the right delta is refused now: nothing is held any more.
        let good = try #require(ParameterDelta(from: v5, to: v6, baseVersion: 5))
        #expect(failures(try work(6, delta: good)).count == 1 && worker.deltasRefused == 2)

        // Full version 5 again, then a delta whose checksum does not match what it rebuilds: refused.
        #expect(failures(try work(5, values: v5)).isEmpty)
        var corrupt = good
        corrupt.parameters[0] ^= 2
        f = failures(try work(6, delta: corrupt))
        #expect(f.count == 1 && f[0].reason == .missingParameters && worker.deltasRefused == 3)

        // Full version 5, then the good delta: applied, and the work is computed (a RESULT, no WORK_FAILED).
        #expect(failures(try work(5, values: v5)).isEmpty)
        let answers = try work(6, delta: good)
        #expect(failures(answers).isEmpty && worker.deltasApplied == 1)
        #expect(answers.contains { if case .result(let r) = $0 { return r.parameterVersion == 6 } else { return false } })
    }
}
