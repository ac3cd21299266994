import SNNClusterLogic
import Testing

/// Exactly-once commit: one accepted result per micro-batch, everything else dropped and logged.
@Suite struct LogicCoordinatorCommitTests {
    /// A machine with one worker "a" holding all `microBatches` items of step 0.
    private func running(microBatches: Int) -> (Coordinator, [WorkItem]) {
        var machine = Coordinator(configuration: coordinatorConfiguration())
        _ = machine.join(["a", "b"], at: .ms(0))
        _ = machine.handle(.startStep(stepPlan(step: 0, microBatches: microBatches)), at: .ms(0))
        let items = machine.handle(.workRequested("a", freeSlots: microBatches), at: .ms(1)).assigned(to: "a")
        return (machine, items)
    }

    @Test func stepCommitsOnceWithResultsInMicroBatchOrderWhateverTheArrivalOrder() {
        var (machine, items) = running(microBatches: 4)
        var commits: [JobResults<String>] = []
        for (offset, item) in items.reversed().enumerated() {
            commits += machine.complete(item, by: "a", at: .ms(10 + offset)).commits
        }
        #expect(commits.count == 1)
        #expect(commits[0].job == JobID(epoch: 0, step: 0, phase: .train))
        #expect(commits[0].results.map(\.microBatch) == [0, 1, 2, 3])
        #expect(commits[0].payloads == items.map(payload(for:)))
        #expect(commits[0].samples == 16)
        #expect(commits[0].parameterVersion == 0)
    }

    @Test func stepDoesNotCommitWhileAMicroBatchIsMissing() {
        var (machine, items) = running(microBatches: 3)
        let partial = items.dropLast().flatMap { machine.complete($0, by: "a", at: .ms(5)) }
        #expect(partial.commits.isEmpty)
        #expect(machine.status.job?.done == 2)
    }

    @Test func duplicateResultForTheSameKeyIsDropped() {
        var (machine, items) = running(microBatches: 2)
        _ = machine.complete(items[0], by: "a", at: .ms(5))
        let duplicate = machine.complete(items[0], by: "a", at: .ms(6))
        #expect(duplicate.drops == [.duplicate])
        #expect(machine.status.job?.done == 1)
    }

    @Test func lateResultAfterTheStepCommittedIsDropped() {
        var (machine, items) = running(microBatches: 1)
        #expect(machine.complete(items[0], by: "a", at: .ms(5)).commits.count == 1)
        _ = machine.handle(.stepCommitted(version: 1), at: .ms(6))
        let late = machine.complete(items[0], by: "b", at: .ms(7))
        #expect(late.drops == [.late])
        #expect(late.commits.isEmpty)
    }

    @Test func resultForAnUnknownKeyIsDropped() {
        var (machine, items) = running(microBatches: 2)
        var outOfRange = items[0]
        outOfRange.key.microBatch = 9
        var otherStep = items[0]
        otherStep.key.step = 5
        var otherPhase = items[0]
        otherPhase.key.phase = .evaluate
        for item in [outOfRange, otherStep, otherPhase] {
            #expect(machine.complete(item, by: "a", at: .ms(5)).drops == [.unknownKey])
        }
        #expect(machine.status.job?.done == 0)
    }

    @Test func resultComputedWithAnOldParameterVersionIsDropped() {
        var (machine, items) = running(microBatches: 1)
        var stale = items[0]
        stale.parameterVersion = -1
        let dropped = machine.complete(stale, by: "a", at: .ms(5))
        #expect(dropped.drops == [.staleVersion(got: -1, expected: 0)])
        // The wrong answer took the item back from "a" (a failed attempt); handed out again, it commits.
        let again = machine.handle(.workRequested("a", freeSlots: 1), at: .ms(6)).assigned(to: "a")
        #expect(again == [items[0]])
        #expect(machine.complete(items[0], by: "a", at: .ms(7)).commits.count == 1)
    }

    @Test func resultWithTheWrongSampleCountIsDropped() {
        var (machine, items) = running(microBatches: 1)
        let wrong = machine.handle(.resultArrived("a", key: items[0].key, parameterVersion: 0, samples: 3,
                                                  payload: "x"), at: .ms(5))
        #expect(wrong.drops == [.sampleCountMismatch(got: 3, expected: 4)])
    }

    @Test func wrongResultFromTheHolderRequeuesTheMicroBatchAndRepeatedWrongResultsAbort() {
        var machine = Coordinator(configuration: coordinatorConfiguration(maxAttempts: 2))
        _ = machine.join(["a"], at: .ms(0))
        _ = machine.handle(.startStep(stepPlan(step: 0, microBatches: 1)), at: .ms(0))
        let item = machine.handle(.workRequested("a", freeSlots: 1), at: .ms(1)).assigned(to: "a")[0]
        _ = machine.handle(.workRequested("a", freeSlots: 1), at: .ms(1))   // parked
        let wrong = machine.handle(.resultArrived("a", key: item.key, parameterVersion: 0, samples: 1, payload: "x"),
                                   at: .ms(2))
        #expect(wrong.drops == [.sampleCountMismatch(got: 1, expected: 4)])
        #expect(wrong.assigned(to: "a") == [item])   // back in the queue, straight to the parked request
        let again = machine.handle(.resultArrived("a", key: item.key, parameterVersion: 9, samples: 4, payload: "x"),
                                   at: .ms(3))
        #expect(again.contains { if case .abortRun = $0 { true } else { false } })
    }

    @Test func resultFromAWorkerThatNeverJoinedIsDroppedAndItIsAskedToRejoin() {
        var (machine, items) = running(microBatches: 1)
        let stranger = machine.complete(items[0], by: "ghost", at: .ms(5))
        #expect(stranger.drops == [.unknownWorker])
        #expect(stranger.messages(to: "ghost") == [.rejoinRequired])
        #expect(machine.status.job?.done == 0)
    }

    /// Issue 8 item 10: a live worker that was never given the item cannot answer it (a faulty worker must not
    /// overwrite work it was not given); the holder's answer still commits.
    @Test func resultFromALiveWorkerThatWasNotGivenTheItemIsDropped() {
        var (machine, items) = running(microBatches: 1)
        let intruder = machine.complete(items[0], by: "b", at: .ms(5))
        #expect(intruder.drops == [.notAssigned])
        #expect(intruder.commits.isEmpty)
        #expect(machine.status.job?.done == 0)
        let commit = machine.complete(items[0], by: "a", at: .ms(6)).commits
        #expect(commit.first?.results.first?.worker == "a")
    }

    /// A failure report for an item the sender does not hold counts for nothing (three of them used to abort the run).
    @Test func failureReportForAnItemNotHeldIsIgnored() {
        var (machine, items) = running(microBatches: 1)
        for t in 0..<5 {
            let out = machine.handle(.workFailed("b", key: items[0].key, reason: .computeError("fake")), at: .ms(5 + t))
            #expect(!out.contains { if case .abortRun = $0 { true } else { false } })
        }
        #expect(machine.complete(items[0], by: "a", at: .ms(20)).commits.count == 1)
    }

    /// Every item has a deadline: a result lost on the way (the worker stays alive, heartbeating) is taken back
    /// at the deadline and handed out again, so the step does not stall.
    @Test func itemPastItsDeadlineIsHandedOutAgainWhileItsWorkerStaysAlive() throws {
        var config = coordinatorConfiguration()
        config.itemDeadline = .seconds(10)
        var machine = Coordinator(configuration: config)
        _ = machine.join(["a"], at: .ms(0))
        _ = machine.handle(.startStep(stepPlan(step: 0, microBatches: 1)), at: .ms(0))
        let item = machine.handle(.workRequested("a", freeSlots: 1), at: .ms(1)).assigned(to: "a")[0]
        var t = 1
        // "a" keeps heartbeating (alive) but its result never arrives.
        while t < 9_000 { t += 1_000; _ = machine.handle(.heartbeat("a"), at: .ms(t)); #expect(machine.handle(.tick, at: .ms(t)).assigned(to: "a").isEmpty) }
        _ = machine.handle(.workRequested("a", freeSlots: 1), at: .ms(9_500))   // parked
        _ = machine.handle(.heartbeat("a"), at: .ms(10_500))
        let tick = machine.handle(.tick, at: .ms(10_500))
        #expect(tick.assigned(to: "a") == [item])
        #expect(machine.complete(item, by: "a", at: .ms(11_000)).commits.count == 1)
    }

    @Test func computeFailureRequeuesTheMicroBatchAndRepeatedFailureAbortsTheRun() {
        var machine = Coordinator(configuration: coordinatorConfiguration(maxAttempts: 2))
        _ = machine.join(["a"], at: .ms(0))
        _ = machine.handle(.startStep(stepPlan(step: 0, microBatches: 1)), at: .ms(0))
        let item = machine.handle(.workRequested("a", freeSlots: 1), at: .ms(1)).assigned(to: "a")[0]
        _ = machine.handle(.workFailed("a", key: item.key, reason: .computeError("NaN")), at: .ms(2))
        #expect(machine.status.job?.pending == 1)
        #expect(machine.handle(.workRequested("a", freeSlots: 1), at: .ms(3)).assigned(to: "a") == [item])
        let abort = machine.handle(.workFailed("a", key: item.key, reason: .computeError("NaN")), at: .ms(4))
        #expect(abort.contains { if case .abortRun = $0 { true } else { false } })
        if case .aborted = machine.status.state {} else { Issue.record("state \(machine.status.state)") }
        #expect(machine.handle(.workRequested("a", freeSlots: 1), at: .ms(5)).assigned(to: "a").isEmpty)
    }

    @Test func missingParametersRequeuesWithoutCountingAndResendsParameters() {
        var machine = Coordinator(configuration: coordinatorConfiguration(maxAttempts: 1))
        _ = machine.join(["a"], at: .ms(0))
        _ = machine.handle(.startStep(stepPlan(step: 0, microBatches: 1)), at: .ms(0))
        let item = machine.handle(.workRequested("a", freeSlots: 1), at: .ms(1)).assigned(to: "a")[0]
        let failed = machine.handle(.workFailed("a", key: item.key, reason: .missingParameters(version: 0)), at: .ms(2))
        #expect(!failed.contains { if case .abortRun = $0 { true } else { false } })
        let retry = machine.handle(.workRequested("a", freeSlots: 1), at: .ms(3))
        // The step's last item went out and "a" asked for no more: the NO_WORK hint follows it.
        #expect(retry.messages(to: "a") == [.assign([item], includeParameters: true), .noWork(retryAfter: machine.configuration.noWorkRetry)])
    }
}
