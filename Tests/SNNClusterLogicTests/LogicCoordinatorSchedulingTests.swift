import SNNClusterLogic
import Testing

/// Pull scheduling: who gets which micro-batch, when, and with which parameters.
@Suite struct LogicCoordinatorSchedulingTests {
    @Test func workIsNotHandedOutBeforeMinWorkersHaveJoined() {
        var machine = Coordinator(configuration: coordinatorConfiguration(minWorkers: 2))
        _ = machine.join(["a"], at: .ms(0))
        _ = machine.handle(.startStep(stepPlan(step: 0, microBatches: 4)), at: .ms(1))
        let early = machine.handle(.workRequested("a", freeSlots: 2), at: .ms(2))
        #expect(early.assigned(to: "a").isEmpty)
        #expect(early.messages(to: "a") == [.noWork(retryAfter: .milliseconds(500))])
        #expect(machine.status.state == .waitingForWorkers(joined: 1, needed: 2))

        // The second hello starts the step and serves a's parked request at once.
        let started = machine.join(["b"], at: .ms(3))
        #expect(started.assignedMicroBatches(to: "a") == [0, 1])
        #expect(machine.status.state == .running(JobID(epoch: 0, step: 0, phase: .train)))
    }

    @Test func requestGetsUpToFreeSlotsLowestIndexFirst() {
        var machine = Coordinator(configuration: coordinatorConfiguration())
        _ = machine.join(["a", "b", "c"], at: .ms(0))
        _ = machine.handle(.startStep(stepPlan(step: 0, microBatches: 5)), at: .ms(0))
        #expect(machine.handle(.workRequested("a", freeSlots: 3), at: .ms(1)).assignedMicroBatches(to: "a") == [0, 1, 2])
        #expect(machine.handle(.workRequested("b", freeSlots: 3), at: .ms(2)).assignedMicroBatches(to: "b") == [3, 4])
        let third = machine.handle(.workRequested("c", freeSlots: 1), at: .ms(3))
        #expect(third.assigned(to: "c").isEmpty)
        #expect(third.messages(to: "c").first?.isNoWork == true)
        #expect(machine.status.job?.pending == 0)
        #expect(machine.status.job?.inFlight == 5)
    }

    @Test func assignedItemsCarrySampleIDsAndTheCurrentVersion() {
        var machine = Coordinator(configuration: coordinatorConfiguration(), parameterVersion: 7)
        _ = machine.join(["a"], at: .ms(0))
        let plan = StepPlan(epoch: 2, step: 9, sampleIDs: [[5, 3], [8, 1]])
        _ = machine.handle(.startStep(plan), at: .ms(0))
        let items = machine.handle(.workRequested("a", freeSlots: 2), at: .ms(1)).assigned(to: "a")
        #expect(items == [
            WorkItem(key: WorkKey(epoch: 2, step: 9, microBatch: 0, phase: .train), sampleIDs: [5, 3], parameterVersion: 7),
            WorkItem(key: WorkKey(epoch: 2, step: 9, microBatch: 1, phase: .train), sampleIDs: [8, 1], parameterVersion: 7),
        ])
    }

    @Test func fasterWorkerThatAsksMoreOftenGetsMoreMicroBatches() {
        var machine = Coordinator(configuration: coordinatorConfiguration())
        _ = machine.join(["fast", "slow"], at: .ms(0))
        _ = machine.handle(.startStep(stepPlan(step: 0, microBatches: 12)), at: .ms(0))
        var fastItems = machine.handle(.workRequested("fast", freeSlots: 1), at: .ms(0)).assigned(to: "fast")
        let slowItems = machine.handle(.workRequested("slow", freeSlots: 1), at: .ms(0)).assigned(to: "slow")
        var t = 0
        // "fast" finishes a micro-batch every 10 ms, "slow" never within this window.
        while let item = fastItems.last, machine.status.job?.pending ?? 0 > 0 {
            t += 10
            _ = machine.complete(item, by: "fast", at: .ms(t))
            fastItems += machine.handle(.workRequested("fast", freeSlots: 1), at: .ms(t)).assigned(to: "fast")
        }
        #expect(fastItems.count == 11)
        #expect(slowItems.count == 1)
        #expect(machine.status.workers.first { $0.id == "fast" }?.completedMicroBatches == 10)
    }

    @Test func parkedRequestIsServedAsSoonAsAStepStarts() {
        var machine = Coordinator(configuration: coordinatorConfiguration())
        _ = machine.join(["a", "b"], at: .ms(0))
        #expect(machine.handle(.workRequested("a", freeSlots: 2), at: .ms(1)).messages(to: "a").first?.isNoWork == true)
        #expect(machine.handle(.workRequested("b", freeSlots: 2), at: .ms(2)).messages(to: "b").first?.isNoWork == true)
        // Round-robin in request order: a, b, a, b ...
        let started = machine.handle(.startStep(stepPlan(step: 0, microBatches: 3)), at: .ms(3))
        #expect(started.assignedMicroBatches(to: "a") == [0, 2])
        #expect(started.assignedMicroBatches(to: "b") == [1])
        #expect(machine.status.workers.map(\.requestedSlots) == [0, 1])
    }

    @Test func parametersAreIncludedOncePerWorkerAndVersion() {
        var machine = Coordinator(configuration: coordinatorConfiguration())
        _ = machine.join(["a"], at: .ms(0))
        _ = machine.handle(.startStep(stepPlan(step: 0, microBatches: 2)), at: .ms(0))
        let first = machine.handle(.workRequested("a", freeSlots: 1), at: .ms(1))
        let second = machine.handle(.workRequested("a", freeSlots: 1), at: .ms(2))
        guard case .send(_, .assign(_, let includeFirst)) = first[0],
              case .send(_, .assign(_, let includeSecond)) = second[0]
        else { Issue.record("expected assignments, got \(first) \(second)"); return }
        #expect(includeFirst)
        #expect(!includeSecond)

        for item in first.assigned(to: "a") + second.assigned(to: "a") {
            _ = machine.complete(item, by: "a", at: .ms(3))
        }
        _ = machine.handle(.startStep(stepPlan(step: 1, microBatches: 1)), at: .ms(3))
        _ = machine.handle(.stepCommitted(version: 1), at: .ms(4))
        let next = machine.handle(.workRequested("a", freeSlots: 1), at: .ms(5))
        #expect(next.messages(to: "a") == [.assign(
            [WorkItem(key: WorkKey(epoch: 0, step: 1, microBatch: 0, phase: .train), sampleIDs: [1000, 1001, 1002, 1003],
                      parameterVersion: 1)],
            includeParameters: true), .noWork(retryAfter: machine.configuration.noWorkRetry)])
    }

    /// Issue 11 item 3: when the job's last pending micro-batch goes out, every worker computing some of it with no
    /// request parked hears NO_WORK at once (after its WORK), so it can send its step's sum as soon as its last
    /// micro-batch ends; a worker whose request stays parked is not told (it knows), and the hint is not repeated.
    @Test func theLastPendingItemOfAJobTellsBusyWorkersThereIsNoMore() {
        var machine = Coordinator(configuration: coordinatorConfiguration())
        _ = machine.join(["a", "b", "c"], at: .ms(0))
        _ = machine.handle(.startStep(stepPlan(step: 0, microBatches: 4)), at: .ms(0))
        let hint = CoordinatorMessage.noWork(retryAfter: machine.configuration.noWorkRetry)
        let first = machine.handle(.workRequested("a", freeSlots: 1), at: .ms(1))
        let second = machine.handle(.workRequested("b", freeSlots: 2), at: .ms(2))
        #expect(first.assignedMicroBatches(to: "a") == [0] && second.assignedMicroBatches(to: "b") == [1, 2])
        #expect(!(first + second).contains { if case .send(_, .noWork) = $0 { true } else { false } })   // one still pending
        // "c" asks for two and gets the last one: its remaining demand stays parked, so it is not told; "a" and "b",
        // computing with nothing asked for, are; "c"'s WORK comes before anything else.
        let last = machine.handle(.workRequested("c", freeSlots: 2), at: .ms(3))
        #expect(last.assignedMicroBatches(to: "c") == [3])
        #expect(last.messages(to: "a") == [hint] && last.messages(to: "b") == [hint])
        #expect(last.messages(to: "c").count == 1)
        // A later request with nothing pending gets its own NO_WORK answer, and nobody else is told again.
        let again = machine.handle(.workRequested("a", freeSlots: 1), at: .ms(4))
        #expect(again.messages(to: "a") == [hint] && again.messages(to: "b").isEmpty && again.messages(to: "c").isEmpty)
    }

    @Test func nextStepWaitsForStepCommittedAndCarriesTheNewVersion() {
        var machine = Coordinator(configuration: coordinatorConfiguration())
        _ = machine.join(["a"], at: .ms(0))
        _ = machine.handle(.startStep(stepPlan(step: 0, microBatches: 1)), at: .ms(0))
        _ = machine.handle(.startStep(stepPlan(step: 1, microBatches: 1)), at: .ms(0))
        let item = machine.handle(.workRequested("a", freeSlots: 1), at: .ms(1)).assigned(to: "a")[0]
        let done = machine.complete(item, by: "a", at: .ms(2))
        #expect(done.commits.count == 1)
        #expect(machine.status.state == .awaitingCommit(JobID(epoch: 0, step: 0, phase: .train)))
        let waiting = machine.handle(.workRequested("a", freeSlots: 1), at: .ms(3))
        #expect(waiting.assigned(to: "a").isEmpty)
        #expect(waiting.messages(to: "a").first?.isNoWork == true)

        let committed = machine.handle(.stepCommitted(version: 1), at: .ms(4))
        #expect(committed.assigned(to: "a").map(\.parameterVersion) == [1])
        #expect(committed.assigned(to: "a").map(\.key.step) == [1])
        #expect(machine.parameterVersion == 1)
    }

    @Test func stepCommittedIsIgnoredUnlessAStepAwaitsItWithAHigherVersion() {
        var machine = Coordinator(configuration: coordinatorConfiguration(), parameterVersion: 3)
        _ = machine.join(["a"], at: .ms(0))
        let unexpected = machine.handle(.stepCommitted(version: 4), at: .ms(0))
        #expect(machine.parameterVersion == 3)
        #expect(unexpected.contains { if case .log(let r) = $0 { r.level == .error } else { false } })

        _ = machine.handle(.startStep(stepPlan(step: 0, microBatches: 1)), at: .ms(0))
        let item = machine.handle(.workRequested("a", freeSlots: 1), at: .ms(1)).assigned(to: "a")[0]
        _ = machine.complete(item, by: "a", at: .ms(2))
        _ = machine.handle(.stepCommitted(version: 3), at: .ms(3))
        #expect(machine.status.state == .awaitingCommit(JobID(epoch: 0, step: 0, phase: .train)))
        _ = machine.handle(.stepCommitted(version: 4), at: .ms(3))
        #expect(machine.status.state == .idle)
        #expect(machine.parameterVersion == 4)
    }

    @Test func duplicateOrEmptyPlansAreRefusedWithALogLine() {
        var machine = Coordinator(configuration: coordinatorConfiguration())
        _ = machine.handle(.startStep(stepPlan(step: 0, microBatches: 2)), at: .ms(0))
        let again = machine.handle(.startStep(stepPlan(step: 0, microBatches: 3)), at: .ms(0))
        let empty = machine.handle(.startStep(StepPlan(epoch: 0, step: 5, sampleIDs: [])), at: .ms(0))
        let hollow = machine.handle(.startEvaluation(EvaluationPlan(epoch: 0, step: 6, sampleIDs: [[1], []])), at: .ms(0))
        for directives in [again, empty, hollow] {
            #expect(directives.count == 1)
            #expect(directives.contains { if case .log(let r) = $0 { r.level == .error } else { false } })
        }
        #expect(machine.status.queuedJobs == 1)
    }

    @Test func idleWorkerGetsASpeculativeCopyOfAStragglerAndTheStepStillCommitsOnce() {
        var machine = Coordinator(configuration: coordinatorConfiguration(speculateAfter: .milliseconds(100)))
        _ = machine.join(["slow", "fast"], at: .ms(0))
        _ = machine.handle(.startStep(stepPlan(step: 0, microBatches: 2)), at: .ms(0))
        let slowItem = machine.handle(.workRequested("slow", freeSlots: 1), at: .ms(0)).assigned(to: "slow")[0]
        let fastItem = machine.handle(.workRequested("fast", freeSlots: 1), at: .ms(0)).assigned(to: "fast")[0]
        _ = machine.complete(fastItem, by: "fast", at: .ms(10))
        // Too early to speculate: parked.
        let early = machine.handle(.workRequested("fast", freeSlots: 1), at: .ms(10))
        #expect(early.assigned(to: "fast").isEmpty)
        // Once the straggler has been out 100 ms, the next tick serves the parked request with a copy.
        let copy = machine.handle(.tick, at: .ms(100)).assigned(to: "fast")
        #expect(copy == [slowItem])
        let first = machine.complete(slowItem, by: "fast", at: .ms(120))
        #expect(first.commits.count == 1)
        let second = machine.complete(slowItem, by: "slow", at: .ms(130))
        #expect(second.commits.isEmpty)
        #expect(second.drops == [.late])
    }

    @Test func speculationNeverCopiesOntoTheWorkerAlreadyHoldingTheItem() {
        var machine = Coordinator(configuration: coordinatorConfiguration(speculateAfter: .zero))
        _ = machine.join(["a"], at: .ms(0))
        _ = machine.handle(.startStep(stepPlan(step: 0, microBatches: 1)), at: .ms(0))
        _ = machine.handle(.workRequested("a", freeSlots: 1), at: .ms(0))
        let again = machine.handle(.workRequested("a", freeSlots: 1), at: .ms(500))
        #expect(again.assigned(to: "a").isEmpty)
    }
}
