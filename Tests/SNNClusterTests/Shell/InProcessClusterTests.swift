import Foundation
import SNNCluster
import SNNCore
import SNNMethods
import Testing

/// `CoordinatorServer` and `WorkerClient` run in one process on an in-memory transport and a manual clock
/// (issue 7, item 4): the same shells the binaries run, tested without processes, sockets or sleeps.
@Suite struct InProcessClusterTests {
    @Test("a step committed with 1 and with 2 in-process workers gives the standalone trainer's digest")
    func oneAndTwoWorkersGiveTheStandaloneDigest() throws {
        let reference = try InProcessCluster.standaloneDigest(maxSteps: 2)
        var digests: [String] = []
        for (count, threads) in [(1, 1), (2, 2)] {
            let cluster = try InProcessCluster(maxSteps: 2, minWorkers: count)
            for i in 0..<count { try cluster.addWorker(threads: threads, name: "w\(i)") }
            try cluster.pump(turns: 5000)
            #expect(cluster.coordinator.isFinished, "run did not finish with \(count) worker(s)")
            #expect(cluster.session.iteration == 2)
            // Every worker took part: each has results accepted (the evaluation after the last step included).
            let workers = cluster.coordinator.status.workers
            #expect(workers.count == count && workers.allSatisfy { $0.completedMicroBatches > 0 })
            #expect(try cluster.runToEnd(), "a worker missed its BYE")
            digests.append(cluster.session.digest)
        }
        #expect(digests == [reference, reference])
        #expect(reference.count == 64)
    }

    @Test("a worker that stops answering is declared dead after the timeout on the manual clock, and its work redone")
    func silentWorkerIsDeclaredDeadOnManualTime() throws {
        let reference = try InProcessCluster.standaloneDigest(maxSteps: 1)
        let cluster = try InProcessCluster(maxSteps: 1, minWorkers: 2)
        let live = try cluster.addWorker(name: "live")
        let silent = try cluster.addWorker(name: "silent")
        try cluster.coordinator.poll()          // both HELLOs: welcomed, the step starts
        _ = try silent.poll()                   // reads its WELCOME and asks for work, then never runs again
        try cluster.pump([live], turns: 200)    // the step waits for the silent worker's micro-batch
        #expect(cluster.session.iteration == 0)
        #expect(cluster.coordinator.status.workers.count == 2)
        #expect(cluster.coordinator.status.workers.contains { $0.id.rawValue == silent.workerID.uuidString && $0.inFlight == 1 })

        // Time passes in 250 ms steps; the live worker keeps heartbeating, the silent one says nothing.
        let deadAfter = cluster.options.deadAfter
        var elapsed = Duration.zero
        var committedAt: Duration?
        while !cluster.coordinator.isFinished && elapsed < .seconds(30) {
            cluster.clock.advance(by: .milliseconds(250))
            elapsed += .milliseconds(250)
            try cluster.pump([live], turns: 20)
            if committedAt == nil && cluster.session.iteration == 1 { committedAt = elapsed }
        }
        let at = try #require(committedAt, "the step never committed")
        #expect(at > deadAfter && at <= deadAfter + .seconds(1), "committed after \(at), dead-worker timeout \(deadAfter)")
        #expect(cluster.coordinator.status.workers.map(\.id.rawValue) == [live.workerID.uuidString])
        #expect(cluster.session.digest == reference)
    }

    @Test("WORK_FAILED from a worker reaches the coordinator: requeued, parameters resent, three compute errors abort")
    func workFailedReachesTheCoordinator() throws {
        let cluster = try InProcessCluster(maxSteps: 1, minWorkers: 1)
        let peer = FakeWorker(cluster.network.dealer())
        try peer.send(.hello(Hello(workerId: UUID(), name: "fake", threads: 1, buildID: BuildIdentity.current(blasCore: BLAS.coreName),
                                   datasetFingerprint: BuildIdentity.dataFingerprint(train: InProcessCluster.train, test: InProcessCluster.test))))
        try cluster.coordinator.poll()
        guard case .welcome = try #require(try peer.next()) else { Issue.record("no WELCOME"); return }

        func ask() throws -> WorkAssignment? {
            try peer.send(.requestWork(WorkRequest(freeSlots: 1, knownParameterVersion: 0)))
            try cluster.coordinator.poll()
            guard case .work(let w) = try peer.next() else { return nil }
            return w
        }
        let first = try #require(try ask())
        #expect(first.key == WorkKey(epoch: 0, step: 0, microBatch: 0, phase: .train) && first.values != nil)
        #expect(first.values?.parameters == cluster.session.parameters && first.values?.state == cluster.session.state)

        // missingParameters: not counted; micro-batch 0 comes back first in line, with the parameters again.
        try peer.send(.workFailed(WorkFailed(key: first.key, parameterVersion: first.parameterVersion, reason: .missingParameters, detail: "")))
        let second = try #require(try ask())
        #expect(second.key == first.key && second.values == first.values)

        // computeError: counted. Twice more it comes back (without parameters: the worker holds them) ...
        for attempt in 1...2 {
            try peer.send(.workFailed(WorkFailed(key: first.key, parameterVersion: first.parameterVersion, reason: .computeError,
                                                 detail: "injected failure \(attempt)")))
            let again = try #require(try ask())
            #expect(again.key == first.key && again.values == nil)
        }
        // ... and the third compute error aborts the run instead of looping.
        try peer.send(.workFailed(WorkFailed(key: first.key, parameterVersion: first.parameterVersion, reason: .computeError, detail: "injected failure 3")))
        #expect(throws: SetupError.self) { try cluster.coordinator.poll() }
        do { try cluster.coordinator.poll() } catch { #expect("\(error)".contains("failed 3 times") && "\(error)".contains("injected failure 3")) }
        #expect(cluster.session.iteration == 0)
    }

    @Test("a worker given work for parameters it does not hold answers WORK_FAILED missingParameters, typed")
    func workerSendsWorkFailed() throws {
        let network = InMemoryNetwork(), clock = ManualClock()
        let router = network.router()
        var o = WorkerOptions(address: "inproc://test", threads: 1, dataDirectory: "", name: "w")
        o.quiet = true
        let worker = try WorkerClient(options: o, train: InProcessCluster.train, test: InProcessCluster.test, clock: clock,
                                      connect: { network.dealer() })
        worker.dispatchCompute = { $0() }
        try worker.start()
        let hello = try #require(try router.receive(timeoutMs: 0))
        let identity = hello[0]
        guard case .hello(let h) = try WireCodec.decode(Array(hello.dropFirst())).message else { Issue.record("no HELLO"); return }
        #expect(h.workerId == worker.workerID)

        let runID = UUID()
        func send(_ m: Message) throws { try router.send([identity] + WireCodec.encode(m, runID: runID).frames) }
        func next() throws -> Message? { try router.receive(timeoutMs: 0).map { try WireCodec.decode(Array($0.dropFirst())).message } }
        try send(.welcome(Welcome(runID: runID, heartbeatIntervalMs: 1000, deadWorkerTimeoutMs: 3000,
                                  specJSON: Array(InProcessCluster.specJSON.utf8), parameterVersion: 5)))
        #expect(try worker.poll() == false)
        #expect(try next() == .requestWork(WorkRequest(freeSlots: 1, knownParameterVersion: 0)))

        let key = WorkKey(epoch: 0, step: 3, microBatch: 1, phase: .train)
        try send(.work(WorkAssignment(key: key, parameterVersion: 5, seed: 9, sampleIndices: [0, 1, 2], values: nil)))
        #expect(try worker.poll() == false)
        guard case .workFailed(let f) = try next() else { Issue.record("no WORK_FAILED"); return }
        #expect(f.key == key && f.parameterVersion == 5 && f.reason == .missingParameters)
        #expect(f.detail.contains("version 5"))
    }
}

/// A hand-written worker on the in-memory network: sends what a test says, decodes what comes back.
final class FakeWorker {
    let transport: FrameTransport
    var runID: UUID?
    init(_ transport: FrameTransport) { self.transport = transport }
    func send(_ m: Message) throws { try transport.send(try WireCodec.encode(m, runID: runID).frames) }
    /// The next message that is not a HEARTBEAT or NO_WORK (nil when none is queued).
    func next() throws -> Message? {
        while let frames = try transport.receive(timeoutMs: 0) {
            let d = try WireCodec.decode(frames)
            if case .welcome(let w) = d.message { runID = w.runID }
            switch d.message {
            case .heartbeat, .noWork: continue
            default: return d.message
            }
        }
        return nil
    }
}
