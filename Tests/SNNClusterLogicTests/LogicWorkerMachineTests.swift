import SNNClusterLogic
import Testing

/// The worker machine: hello, slots, pulling work, heartbeats, reconnects and stops.
@Suite struct LogicWorkerMachineTests {
    private let welcome = WelcomeInfo(heartbeatInterval: .seconds(1), deadAfter: .seconds(3))

    private func item(_ microBatch: Int, version: Int = 0, step: Int = 0) -> WorkItem {
        WorkItem(key: WorkKey(epoch: 0, step: step, microBatch: microBatch, phase: .train),
                 sampleIDs: [Int32(microBatch)], parameterVersion: version)
    }

    /// A welcomed worker with `slots` slots whose first request has gone out.
    private func welcomed(slots: Int) -> WorkerMachine<String> {
        var machine = WorkerMachine<String>(configuration: try! WorkerConfiguration(slots: slots))
        _ = machine.handle(.connected, at: .ms(0))
        _ = machine.handle(.welcomed(welcome), at: .ms(1))
        return machine
    }

    private func started(_ directives: [WorkerMachine<String>.Directive]) -> [ComputeTask] {
        directives.compactMap { if case .startCompute(let task) = $0 { return task } else { return nil } }
    }

    private func sent(_ directives: [WorkerMachine<String>.Directive]) -> [WorkerMachine<String>.Directive] {
        directives.filter { if case .log = $0 { return false } else { return true } }
    }

    @Test func connectingSendsHelloAndTheWelcomeAsksForAllSlots() {
        var machine = WorkerMachine<String>(configuration: try! WorkerConfiguration(slots: 3))
        #expect(machine.state == .disconnected)
        #expect(machine.handle(.connected, at: .ms(0)) == [.sendHello])
        #expect(machine.state == .helloSent)
        #expect(sent(machine.handle(.welcomed(welcome), at: .ms(5))) == [.requestWork(freeSlots: 3)])
        #expect(machine.state == .ready)
    }

    @Test func assignmentStartsOneComputationPerSlotAndQueuesTheRest() {
        var machine = welcomed(slots: 2)
        let out = machine.handle(.assignment([item(0), item(1), item(2)], includesParameters: true), at: .ms(10))
        #expect(started(out).map(\.item) == [item(0), item(1)])
        #expect(!out.contains { if case .requestWork = $0 { true } else { false } })
        #expect(machine.state == .working(inFlight: 3))
        #expect(machine.freeSlots == 0)
        #expect(machine.parameterVersion == 0)
    }

    @Test func finishedComputationSendsItsResultStartsWaitingWorkAndAsksForMore() {
        var machine = welcomed(slots: 2)
        let tasks = started(machine.handle(.assignment([item(0), item(1), item(2)], includesParameters: true), at: .ms(10)))
        let first = machine.handle(.computeFinished(taskID: tasks[0].id, "payload of \(tasks[0].id)"), at: .ms(20))
        #expect(first.first == .sendResult(item(0), "payload of \(tasks[0].id)"))
        #expect(started(first).map(\.item) == [item(2)])
        #expect(!first.contains { if case .requestWork = $0 { true } else { false } })

        let second = machine.handle(.computeFinished(taskID: tasks[1].id, "payload of \(tasks[1].id)"), at: .ms(30))
        #expect(sent(second) == [.sendResult(item(1), "payload of \(tasks[1].id)"), .requestWork(freeSlots: 1)])
        #expect(machine.resultsSent == 2)
    }

    @Test func partialAssignmentDoesNotTriggerAnotherRequestForTheParkedRemainder() {
        var machine = welcomed(slots: 3)   // asked for 3
        let out = machine.handle(.assignment([item(0)], includesParameters: true), at: .ms(10))
        #expect(!out.contains { if case .requestWork = $0 { true } else { false } })
        // A finished item frees a slot the coordinator does not know about yet: ask for all three again.
        let done = machine.handle(.computeFinished(taskID: started(out)[0].id, "result of item 0"), at: .ms(20))
        #expect(sent(done) == [.sendResult(item(0), "result of item 0"), .requestWork(freeSlots: 3)])
    }

    @Test func noWorkRetriesAfterTheGivenDelayOnATick() {
        var machine = welcomed(slots: 2)
        #expect(machine.handle(.noWork(retryAfter: .milliseconds(500)), at: .ms(10)).isEmpty)
        #expect(machine.handle(.tick, at: .ms(400)).isEmpty)
        #expect(machine.handle(.tick, at: .ms(510)) == [.requestWork(freeSlots: 2)])
        #expect(machine.handle(.tick, at: .ms(900)).isEmpty)
    }

    @Test func heartbeatFillsEverySilenceOfOneInterval() {
        var machine = welcomed(slots: 1)   // last sent at 1 ms (the request)
        _ = machine.handle(.coordinatorMessage, at: .ms(900))
        #expect(machine.handle(.tick, at: .ms(900)).isEmpty)
        #expect(machine.handle(.tick, at: .ms(1001)) == [.sendHeartbeat])
        #expect(machine.handle(.tick, at: .ms(1500)).isEmpty)
        _ = machine.handle(.coordinatorMessage, at: .ms(1900))
        #expect(machine.handle(.tick, at: .ms(2001)) == [.sendHeartbeat])
    }

    @Test func silentCoordinatorMakesTheWorkerDropItsWorkAndReconnect() {
        var machine = welcomed(slots: 2)
        let tasks = started(machine.handle(.assignment([item(0), item(1), item(2)], includesParameters: true), at: .ms(10)))
        _ = machine.handle(.coordinatorMessage, at: .ms(2000))
        #expect(!machine.handle(.tick, at: .ms(5000)).contains { if case .reconnect = $0 { true } else { false } })
        let out = machine.handle(.tick, at: .ms(5001))
        #expect(sent(out) == [.reconnect(abandoned: [item(0).key, item(1).key, item(2).key])])
        #expect(machine.state == .disconnected)
        #expect(machine.parameterVersion == nil)

        // The abandoned computations still occupy their slots; their results are discarded.
        #expect(machine.handle(.connected, at: .ms(5100)) == [.sendHello])
        #expect(sent(machine.handle(.welcomed(welcome), at: .ms(5200))).isEmpty)
        #expect(machine.abandonedCount == 2)
        #expect(sent(machine.handle(.computeFinished(taskID: tasks[0].id, "payload of \(tasks[0].id)"), at: .ms(5300))) == [.requestWork(freeSlots: 1)])
        #expect(machine.abandonedCount == 1)
    }

    @Test func unansweredHelloIsRetriedByReconnectingAfterDeadAfter() {
        var machine = WorkerMachine<String>(configuration: try! WorkerConfiguration(slots: 1))
        _ = machine.handle(.connected, at: .ms(0))
        #expect(machine.handle(.tick, at: .ms(2000)).isEmpty)   // no heartbeats before the welcome
        #expect(sent(machine.handle(.tick, at: .ms(3001))) == [.reconnect(abandoned: [])])
        #expect(machine.handle(.connected, at: .ms(3002)) == [.sendHello])
    }

    @Test func computationFromBeforeAReconnectCannotPassForALaterOneWithTheSameKey() {
        var machine = welcomed(slots: 2)
        let old = started(machine.handle(.assignment([item(0)], includesParameters: true), at: .ms(10)))[0]
        _ = machine.handle(.tick, at: .ms(4000))                          // reconnect
        _ = machine.handle(.connected, at: .ms(4001))
        _ = machine.handle(.welcomed(welcome), at: .ms(4002))
        let fresh = started(machine.handle(.assignment([item(0, version: 1)], includesParameters: true), at: .ms(4003)))[0]
        #expect(fresh.id != old.id)
        // The old computation ends first: nothing is sent for it.
        #expect(!machine.handle(.computeFinished(taskID: old.id, "payload of \(old.id)"), at: .ms(4004)).contains { if case .sendResult = $0 { true } else { false } })
        #expect(machine.handle(.computeFinished(taskID: fresh.id, "payload of \(fresh.id)"), at: .ms(4005)).first == .sendResult(item(0, version: 1), "payload of \(fresh.id)"))
    }

    @Test func itemForParametersTheWorkerDoesNotHoldIsReportedNotComputed() {
        var machine = welcomed(slots: 2)
        let out = machine.handle(.assignment([item(0, version: 3)], includesParameters: false), at: .ms(10))
        #expect(started(out).isEmpty)
        #expect(out.first == .sendFailure(item(0, version: 3), .missingParameters(version: 3)))
    }

    @Test func failedComputationIsReportedAndFreesItsSlot() {
        var machine = welcomed(slots: 1)
        let task = started(machine.handle(.assignment([item(0)], includesParameters: true), at: .ms(10)))[0]
        let out = machine.handle(.computeFailed(taskID: task.id, reason: "NaN in loss"), at: .ms(20))
        #expect(sent(out) == [.sendFailure(item(0), .computeError("NaN in loss")), .requestWork(freeSlots: 1)])
    }

    @Test func refusalIsTerminalAndStopsTheWorker() {
        var machine = WorkerMachine<String>(configuration: try! WorkerConfiguration(slots: 1))
        _ = machine.handle(.connected, at: .ms(0))
        let reason = RefusalReason.buildID("abc != def")
        #expect(sent(machine.handle(.refused(reason), at: .ms(1))) == [.stop(.refused(reason))])
        #expect(machine.state == .refused(reason))
        #expect(machine.handle(.connected, at: .ms(2)).isEmpty)
        #expect(machine.handle(.assignment([item(0)], includesParameters: true), at: .ms(3)).isEmpty)
        #expect(machine.handle(.tick, at: .ms(10_000)).isEmpty)
    }

    @Test func rejoinRequiredDropsWorkAndSaysHelloAgain() {
        var machine = welcomed(slots: 1)
        _ = machine.handle(.assignment([item(0)], includesParameters: true), at: .ms(10))
        #expect(sent(machine.handle(.rejoinRequired, at: .ms(20))) == [.sendHello])
        #expect(machine.state == .helloSent)
        #expect(machine.handle(.rejoinRequired, at: .ms(21)).isEmpty)   // hello already on its way
        #expect(machine.handle(.assignment([item(1)], includesParameters: true), at: .ms(22)).allSatisfy {
            if case .log = $0 { true } else { false }
        })
    }

    @Test func welcomeTimingReplacesTheWorkersOwn() {
        var machine = WorkerMachine<String>(configuration: try! WorkerConfiguration(slots: 1))
        _ = machine.handle(.connected, at: .ms(0))
        _ = machine.handle(.welcomed(WelcomeInfo(heartbeatInterval: .seconds(5), deadAfter: .seconds(20))), at: .ms(0))
        #expect(machine.heartbeatInterval == .seconds(5))
        #expect(machine.handle(.tick, at: .ms(4000)).isEmpty)
        #expect(machine.handle(.tick, at: .ms(5000)) == [.sendHeartbeat])
        #expect(!machine.handle(.tick, at: .ms(19_000)).contains { if case .reconnect = $0 { true } else { false } })
    }

    @Test func runFinishedAndStopRequestEndTheWorker() {
        var finished = welcomed(slots: 1)
        #expect(finished.handle(.runFinished, at: .ms(10)) == [.stop(.runFinished)])
        #expect(finished.state == .stopped(.runFinished))

        var stopped = welcomed(slots: 1)
        #expect(stopped.handle(.stop, at: .ms(10)) == [.sendBye, .stop(.requested)])
        #expect(stopped.state == .stopped(.requested))
    }

    @Test func duplicateAssignmentOfAHeldKeyIsIgnored() {
        var machine = welcomed(slots: 2)
        _ = machine.handle(.assignment([item(0)], includesParameters: true), at: .ms(10))
        #expect(started(machine.handle(.assignment([item(0)], includesParameters: false), at: .ms(11))).isEmpty)
        #expect(machine.state == .working(inFlight: 1))
    }
}
