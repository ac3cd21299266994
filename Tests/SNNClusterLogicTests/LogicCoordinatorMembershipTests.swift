import SNNClusterLogic
import Testing

/// Joining, refusing, leaving, dying and coming back; heartbeats; status.
@Suite struct LogicCoordinatorMembershipTests {
    @Test func incompatibleHelloIsRefusedWithItsReasonAndTheWorkerNeverGetsWork() {
        var machine = Coordinator(configuration: coordinatorConfiguration())
        let reason = RefusalReason.datasetFingerprint("sha256 abc != def")
        let hello = machine.handle(.workerHello("x", compatible: .failure(reason)), at: .ms(0))
        #expect(hello.messages(to: "x") == [.refuse(reason)])
        _ = machine.handle(.startStep(stepPlan(step: 0, microBatches: 2)), at: .ms(1))
        let asks = machine.handle(.workRequested("x", freeSlots: 2), at: .ms(2))
        #expect(asks.messages(to: "x") == [.refuse(reason)])
        #expect(machine.status.workers.isEmpty)
        #expect(machine.status.refusedWorkers == [CoordinatorStatus.Refusal(worker: "x", reason: reason)])
        // Refused workers do not count towards minWorkers.
        #expect(machine.status.state == .waitingForWorkers(joined: 0, needed: 1))
    }

    @Test func incompatibleHelloFromALiveWorkerRemovesItAndRequeuesItsWork() {
        var machine = Coordinator(configuration: coordinatorConfiguration())
        _ = machine.join(["a"], at: .ms(0))
        _ = machine.handle(.startStep(stepPlan(step: 0, microBatches: 2)), at: .ms(0))
        _ = machine.handle(.workRequested("a", freeSlots: 2), at: .ms(1))
        let reason = RefusalReason.buildID("rebuilt with another target CPU")
        let out = machine.handle(.workerHello("a", compatible: .failure(reason)), at: .ms(2))
        #expect(out.contains { if case .workerLeft("a", let keys) = $0 { keys.count == 2 } else { false } })
        #expect(out.messages(to: "a") == [.refuse(reason)])
        #expect(machine.status.workers.isEmpty)
        #expect(machine.status.job?.pending == 2)
    }

    @Test func welcomeCarriesTheCoordinatorsTiming() {
        var machine = Coordinator(configuration: coordinatorConfiguration())
        #expect(machine.join(["a"], at: .ms(0)).messages(to: "a") == [
            .welcome(WelcomeInfo(heartbeatInterval: .seconds(1), deadAfter: .seconds(3)))])
    }

    @Test func silentWorkerIsDeclaredDeadOnTheNextTickAndItsWorkGoesToTheFrontOfTheQueue() {
        var machine = Coordinator(configuration: coordinatorConfiguration())
        _ = machine.join(["a", "b"], at: .ms(0))
        _ = machine.handle(.startStep(stepPlan(step: 0, microBatches: 6)), at: .ms(0))
        #expect(machine.handle(.workRequested("a", freeSlots: 2), at: .ms(0)).assignedMicroBatches(to: "a") == [0, 1])
        #expect(machine.handle(.workRequested("b", freeSlots: 2), at: .ms(0)).assignedMicroBatches(to: "b") == [2, 3])
        // b stays alive; a says nothing more.
        for t in stride(from: 1000, through: 3000, by: 1000) {
            _ = machine.handle(.heartbeat("b"), at: .ms(t))
            #expect(machine.handle(.tick, at: .ms(t)).deaths.isEmpty)
        }
        let tick = machine.handle(.tick, at: .ms(3001))
        #expect(tick.deaths.map(\.0) == ["a"])
        #expect(tick.deaths.first?.1.map(\.microBatch) == [0, 1])
        #expect(machine.status.job?.pending == 4)
        #expect(machine.status.departedWorkers == ["a"])
        // The reassigned micro-batches come before the never-assigned ones.
        #expect(machine.handle(.workRequested("b", freeSlots: 3), at: .ms(3002)).assignedMicroBatches(to: "b") == [0, 1, 4])
    }

    @Test func anyMessageFromAWorkerKeepsItAlive() {
        var machine = Coordinator(configuration: coordinatorConfiguration())
        _ = machine.join(["a"], at: .ms(0))
        _ = machine.handle(.startStep(stepPlan(step: 0, microBatches: 8)), at: .ms(0))
        var items = machine.handle(.workRequested("a", freeSlots: 1), at: .ms(2500)).assigned(to: "a")
        #expect(machine.handle(.tick, at: .ms(5000)).deaths.isEmpty)
        _ = machine.complete(items.removeFirst(), by: "a", at: .ms(5400))
        #expect(machine.handle(.tick, at: .ms(8000)).deaths.isEmpty)
        #expect(machine.status.workers.first?.lastSeen == .ms(5400))
        #expect(machine.handle(.tick, at: .ms(8401)).deaths.map(\.0) == ["a"])
    }

    @Test func stepCompletesAfterADeathWithoutRestartingAnyone() {
        var machine = Coordinator(configuration: coordinatorConfiguration())
        _ = machine.join(["a", "b"], at: .ms(0))
        _ = machine.handle(.startStep(stepPlan(step: 0, microBatches: 4)), at: .ms(0))
        let aItems = machine.handle(.workRequested("a", freeSlots: 2), at: .ms(0)).assigned(to: "a")
        let bItems = machine.handle(.workRequested("b", freeSlots: 2), at: .ms(0)).assigned(to: "b")
        for item in bItems { _ = machine.complete(item, by: "b", at: .ms(2000)) }
        _ = machine.handle(.workRequested("b", freeSlots: 2), at: .ms(2000))
        // a dies; its two micro-batches are pushed straight to b's parked request.
        let tick = machine.handle(.tick, at: .ms(3500))
        #expect(tick.deaths.map(\.0) == ["a"])
        #expect(tick.assigned(to: "b") == aItems)
        let commits = aItems.flatMap { machine.complete($0, by: "b", at: .ms(3600)) }.commits
        #expect(commits.count == 1)
        #expect(commits[0].results.map(\.worker) == ["b", "b", "b", "b"])
    }

    /// Once declared dead a worker no longer holds its items (they went back to the queue), so its late result
    /// is dropped and the item is computed by whoever it is handed to next.
    @Test func resultFromADeadWorkerIsDroppedAndItIsAskedToRejoin() {
        var machine = Coordinator(configuration: coordinatorConfiguration())
        _ = machine.join(["a"], at: .ms(0))
        _ = machine.handle(.startStep(stepPlan(step: 0, microBatches: 1)), at: .ms(0))
        let item = machine.handle(.workRequested("a", freeSlots: 1), at: .ms(0)).assigned(to: "a")[0]
        #expect(machine.handle(.tick, at: .ms(3001)).deaths.map(\.0) == ["a"])
        let late = machine.complete(item, by: "a", at: .ms(3100))
        #expect(late.commits.isEmpty)
        #expect(late.drops == [.notAssigned])
        #expect(late.messages(to: "a") == [.rejoinRequired])
    }

    @Test func resultFromADeadWorkerIsDroppedWhenItsMicroBatchWasRedoneElsewhere() {
        var machine = Coordinator(configuration: coordinatorConfiguration())
        _ = machine.join(["a", "b"], at: .ms(0))
        _ = machine.handle(.startStep(stepPlan(step: 0, microBatches: 2)), at: .ms(0))
        let aItem = machine.handle(.workRequested("a", freeSlots: 1), at: .ms(0)).assigned(to: "a")[0]
        let bItem = machine.handle(.workRequested("b", freeSlots: 1), at: .ms(0)).assigned(to: "b")[0]
        _ = machine.handle(.heartbeat("b"), at: .ms(2900))
        _ = machine.handle(.tick, at: .ms(3001))
        let redo = machine.handle(.workRequested("b", freeSlots: 1), at: .ms(3002)).assigned(to: "b")
        #expect(redo == [aItem])
        _ = machine.complete(aItem, by: "b", at: .ms(3100))
        #expect(machine.complete(aItem, by: "a", at: .ms(3200)).drops == [.duplicate])
        #expect(machine.complete(bItem, by: "b", at: .ms(3300)).commits.count == 1)
    }

    @Test func messagesFromADeadWorkerAskItToRejoinAndItsNewHelloMakesItANewMember() {
        var machine = Coordinator(configuration: coordinatorConfiguration())
        _ = machine.join(["a"], at: .ms(0))
        _ = machine.handle(.tick, at: .ms(3001))
        #expect(machine.handle(.heartbeat("a"), at: .ms(3100)).messages(to: "a") == [.rejoinRequired])
        #expect(machine.handle(.workRequested("a", freeSlots: 1), at: .ms(3100)).messages(to: "a") == [.rejoinRequired])
        _ = machine.join(["a"], at: .ms(3200))
        #expect(machine.status.workers.map(\.id) == ["a"])
        #expect(machine.status.workers.first?.joinedAt == .ms(3200))
        #expect(machine.status.departedWorkers.isEmpty)
    }

    @Test func helloFromALiveIdReplacesTheOldIncarnationAndRequeuesItsWork() {
        var machine = Coordinator(configuration: coordinatorConfiguration())
        _ = machine.join(["a"], at: .ms(0))
        _ = machine.handle(.startStep(stepPlan(step: 0, microBatches: 3)), at: .ms(0))
        _ = machine.handle(.workRequested("a", freeSlots: 2), at: .ms(0))
        let again = machine.join(["a"], at: .ms(100))
        #expect(again.contains { if case .workerLeft("a", let keys) = $0 { keys.map(\.microBatch) == [0, 1] } else { false } })
        #expect(again.messages(to: "a").contains(.welcome(WelcomeInfo(heartbeatInterval: .seconds(1), deadAfter: .seconds(3)))))
        let fresh = machine.handle(.workRequested("a", freeSlots: 3), at: .ms(200))
        #expect(fresh.messages(to: "a").count == 2)   // the three items, then the NO_WORK hint (nothing pending)
        #expect(fresh.messages(to: "a").last == .noWork(retryAfter: machine.configuration.noWorkRetry))
        #expect(fresh.assignedMicroBatches(to: "a") == [0, 1, 2])
        guard case .send(_, .assign(_, let includeParameters)) = fresh[0] else { return }
        #expect(includeParameters)
    }

    @Test func byeRequeuesTheLeaversWork() {
        var machine = Coordinator(configuration: coordinatorConfiguration())
        _ = machine.join(["a", "b"], at: .ms(0))
        _ = machine.handle(.startStep(stepPlan(step: 0, microBatches: 2)), at: .ms(0))
        _ = machine.handle(.workRequested("a", freeSlots: 2), at: .ms(0))
        _ = machine.handle(.workRequested("b", freeSlots: 1), at: .ms(0))
        let bye = machine.handle(.workerBye("a"), at: .ms(10))
        #expect(bye.contains { if case .workerLeft("a", let keys) = $0 { keys.count == 2 } else { false } })
        #expect(bye.assignedMicroBatches(to: "b") == [0])
        #expect(machine.status.workers.map(\.id) == ["b"])
    }

    @Test func quietLinksGetCoordinatorHeartbeatsAtTheInterval() {
        var machine = Coordinator(configuration: coordinatorConfiguration())
        _ = machine.join(["a", "b"], at: .ms(0))
        _ = machine.handle(.workRequested("b", freeSlots: 1), at: .ms(600))   // b hears noWork at 600
        let first = machine.handle(.tick, at: .ms(1000))
        #expect(first.messages(to: "a") == [.heartbeat])
        #expect(first.messages(to: "b").isEmpty)
        let second = machine.handle(.tick, at: .ms(1600))
        #expect(second.messages(to: "a").isEmpty)
        #expect(second.messages(to: "b") == [.heartbeat])
    }

    @Test func finishRunStopsEveryWorkerAndRefusesNewcomers() {
        var machine = Coordinator(configuration: coordinatorConfiguration())
        _ = machine.join(["a", "b"], at: .ms(0))
        let finish = machine.handle(.finishRun, at: .ms(10))
        #expect(finish.messages(to: "a") == [.runFinished])
        #expect(finish.messages(to: "b") == [.runFinished])
        #expect(machine.join(["c"], at: .ms(20)).messages(to: "c") == [.refuse(.runFinished)])
        #expect(machine.status.state == .finished)
    }

    @Test func statusReportsWorkersJobAndThroughput() {
        var machine = Coordinator(configuration: coordinatorConfiguration())
        _ = machine.join(["a", "b"], at: .ms(0))
        _ = machine.handle(.startStep(stepPlan(epoch: 1, step: 4, microBatches: 5)), at: .ms(0))
        _ = machine.handle(.startStep(stepPlan(epoch: 1, step: 5, microBatches: 5)), at: .ms(0))
        let items = machine.handle(.workRequested("a", freeSlots: 3), at: .ms(10)).assigned(to: "a")
        _ = machine.handle(.workRequested("b", freeSlots: 1), at: .ms(20))
        _ = machine.complete(items[0], by: "a", at: .ms(30))
        let status = machine.status
        #expect(status.now == .ms(30))
        #expect(status.state == .running(JobID(epoch: 1, step: 4, phase: .train)))
        #expect(status.job == CoordinatorStatus.Job(id: JobID(epoch: 1, step: 4, phase: .train), parameterVersion: 0,
                                                     microBatches: 5, pending: 1, inFlight: 3, done: 1, startedAt: .ms(0)))
        #expect(status.queuedJobs == 1)
        #expect(status.workers == [
            CoordinatorStatus.Worker(id: "a", joinedAt: .ms(0), lastSeen: .ms(30), inFlight: 2, requestedSlots: 0,
                                     completedMicroBatches: 1, completedSamples: 4),
            CoordinatorStatus.Worker(id: "b", joinedAt: .ms(0), lastSeen: .ms(20), inFlight: 1, requestedSlots: 0,
                                     completedMicroBatches: 0, completedSamples: 0),
        ])
    }

    @Test func timeNeverRunsBackwardsInsideTheMachine() {
        var machine = Coordinator(configuration: coordinatorConfiguration())
        _ = machine.join(["a"], at: .ms(5000))
        #expect(machine.handle(.tick, at: .ms(0)).deaths.isEmpty)
        #expect(machine.status.now == .ms(5000))
    }
}
