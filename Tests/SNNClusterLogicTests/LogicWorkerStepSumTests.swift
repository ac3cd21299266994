import SNNClusterLogic
import Testing

/// The worker machine with a merge: one result per step per worker, never more computations than slots, and what it
/// holds is dropped (not sent) when it reconnects. Payloads are strings; the merge joins them with "+".
@Suite struct LogicWorkerStepSumTests {
    private let welcome = WelcomeInfo(heartbeatInterval: .seconds(1), deadAfter: .seconds(3))

    private func item(_ microBatch: Int, step: Int = 0, evaluate: Bool = false) -> WorkItem {
        WorkItem(key: WorkKey(epoch: 0, step: step, microBatch: microBatch, phase: evaluate ? .evaluate : .train), sampleIDs: [Int32(microBatch)],
                 parameterVersion: 0)
    }

    private func welcomed(slots: Int) -> WorkerMachine<String> {
        var machine = WorkerMachine<String>(configuration: try! WorkerConfiguration(slots: slots), merge: { $0 += "+\($1)" })
        _ = machine.handle(.connected, at: .ms(0))
        _ = machine.handle(.welcomed(welcome), at: .ms(1))
        return machine
    }

    private func started(_ directives: [WorkerMachine<String>.Directive]) -> [ComputeTask] {
        directives.compactMap { if case .startCompute(let task) = $0 { return task } else { return nil } }
    }

    private func results(_ directives: [WorkerMachine<String>.Directive]) -> [WorkerMachine<String>.Directive] {
        directives.filter {
            switch $0 {
            case .sendResult, .sendMergedResult: true
            default: false
            }
        }
    }

    @Test func twoMicroBatchesOfAStepOnTwoSlotsGiveOneResult() {
        var machine = welcomed(slots: 2)
        let tasks = started(machine.handle(.assignment([item(0), item(1)], includesParameters: true), at: .ms(10)))
        #expect(tasks.count == 2)
        // The second finishes first: held (micro-batch 0 still runs), nothing sent, a slot asked for.
        let first = machine.handle(.computeFinished(taskID: tasks[1].id, "b"), at: .ms(20))
        #expect(results(first).isEmpty)
        #expect(first.contains(.requestWork(freeSlots: 1)))
        #expect(machine.heldItems == [item(1).key])
        // The last one ends: nothing of the step is left here, and the request for more may bring more of it: held
        // until the coordinator answers. NO_WORK: the one merged result goes out.
        let second = machine.handle(.computeFinished(taskID: tasks[0].id, "a"), at: .ms(30))
        #expect(results(second).isEmpty && second.contains(.requestWork(freeSlots: 2)))
        #expect(results(machine.handle(.noWork(retryAfter: .milliseconds(500)), at: .ms(31))) == [.sendMergedResult([item(0), item(1)], "b+a")])
        #expect(machine.heldItems.isEmpty && machine.resultsSent == 1)
    }

    @Test func moreMicroBatchesThanSlotsRunAtMostSlotsAtOnceAndStillGiveOneResult() {
        var machine = welcomed(slots: 2)
        var running = Set(started(machine.handle(.assignment([item(0), item(1), item(2), item(3)], includesParameters: true),
                                                 at: .ms(10))).map(\.id))
        var sent: [WorkerMachine<String>.Directive] = []
        var t = 10
        while let next = running.min() {
            t += 10
            let out = machine.handle(.computeFinished(taskID: next, "r\(next)"), at: .ms(t))
            running.remove(next)
            running.formUnion(started(out).map(\.id))
            #expect(running.count <= 2, "\(running.count) computations at once on 2 slots")
            sent += results(out)
        }
        #expect(sent.isEmpty)
        sent += results(machine.handle(.noWork(retryAfter: .milliseconds(500)), at: .ms(t + 1)))
        #expect(sent.count == 1)
        guard case .sendMergedResult(let items, let payload) = sent.first else { Issue.record("no merged result"); return }
        #expect(items == [item(0), item(1), item(2), item(3)])
        #expect(payload.split(separator: Character("+")).count == 4)
    }

    /// Issue 11 item 3: once the coordinator has answered that it has nothing more for this worker (NO_WORK after the
    /// last WORK), the step's last finish sends the merged RESULT at once instead of asking again and waiting a round
    /// trip for a second NO_WORK; the request for the next step's work goes just before the RESULT.
    @Test func aStepEndingAfterNoWorkIsSentAtOnceRightAfterTheRequestForMore() {
        var machine = welcomed(slots: 2)
        let tasks = started(machine.handle(.assignment([item(0), item(1)], includesParameters: true), at: .ms(10)))
        let first = machine.handle(.computeFinished(taskID: tasks[0].id, "a"), at: .ms(20))
        #expect(results(first).isEmpty && first.contains(.requestWork(freeSlots: 1)))
        // The coordinator has nothing more of the step: the demand stays parked there; nothing to send yet (1 runs).
        #expect(results(machine.handle(.noWork(retryAfter: .milliseconds(500)), at: .ms(21))).isEmpty)
        let last = machine.handle(.computeFinished(taskID: tasks[1].id, "b"), at: .ms(30))
        #expect(results(last) == [.sendMergedResult([item(0), item(1)], "a+b")])
        guard let r = last.firstIndex(where: { if case .sendMergedResult = $0 { true } else { false } }),
              let q = last.firstIndex(of: .requestWork(freeSlots: 2)) else { Issue.record("no result or no request: \(last)"); return }
        #expect(q < r, "the request for the next step's work leaves first, so the coordinator hands it out in one go")
        #expect(machine.heldItems.isEmpty && machine.resultsSent == 1)
    }

    /// A request served only in part (one item for two free slots) tells the worker the coordinator had no more: the
    /// rest of its demand is parked there and would be served without asking, so the step's result is not held.
    @Test func aRequestServedInPartMeansNothingMoreToWaitFor() {
        var machine = welcomed(slots: 2)   // welcomed: asked for 2
        let task = started(machine.handle(.assignment([item(0)], includesParameters: true), at: .ms(10)))[0]
        #expect(results(machine.handle(.computeFinished(taskID: task.id, "a"), at: .ms(20))) == [.sendResult(item(0), "a")])
    }

    /// Not waiting is only an optimisation: a micro-batch of the same step that comes after the RESULT (requeued from
    /// a lost worker) is computed and answered by a RESULT of its own.
    @Test func moreOfAStepAfterItsResultIsAnsweredOnItsOwn() {
        var machine = welcomed(slots: 2)
        let task = started(machine.handle(.assignment([item(0)], includesParameters: true), at: .ms(10)))[0]
        #expect(results(machine.handle(.computeFinished(taskID: task.id, "a"), at: .ms(20))) == [.sendResult(item(0), "a")])
        let late = started(machine.handle(.assignment([item(1)], includesParameters: false), at: .ms(30)))
        #expect(late.count == 1)
        #expect(results(machine.handle(.computeFinished(taskID: late[0].id, "b"), at: .ms(40))) == [.sendResult(item(1), "b")])
        #expect(machine.resultsSent == 2)
    }

    /// While a request is unanswered the worker still holds (the answer may be more of the step), whatever it was
    /// told before that request.
    @Test func anUnansweredRequestStillHolds() {
        var machine = welcomed(slots: 1)
        _ = machine.handle(.noWork(retryAfter: .milliseconds(10)), at: .ms(5))
        #expect(machine.handle(.tick, at: .ms(60)).contains(.requestWork(freeSlots: 1)))   // the retry: unanswered
        let task = started(machine.handle(.assignment([item(0)], includesParameters: true), at: .ms(70)))[0]
        let out = machine.handle(.computeFinished(taskID: task.id, "a"), at: .ms(80))
        #expect(results(out).isEmpty && out.contains(.requestWork(freeSlots: 1)))
        #expect(machine.heldItems == [item(0).key])
        #expect(results(machine.handle(.assignment([item(1)], includesParameters: false), at: .ms(90))).isEmpty)
        #expect(machine.heldItems == [item(0).key])   // more of the step came: computed and summed in
    }

    @Test func evaluationItemsAndOtherStepsAreNotMerged() {
        var machine = welcomed(slots: 2)
        let tasks = started(machine.handle(.assignment([item(0, evaluate: true), item(1, evaluate: true)], includesParameters: true),
                                           at: .ms(10)))
        #expect(results(machine.handle(.computeFinished(taskID: tasks[0].id, "e0"), at: .ms(20))) == [.sendResult(item(0, evaluate: true), "e0")])
        #expect(results(machine.handle(.computeFinished(taskID: tasks[1].id, "e1"), at: .ms(30))) == [.sendResult(item(1, evaluate: true), "e1")])
        let other = started(machine.handle(.assignment([item(0, step: 1), item(0, step: 2)], includesParameters: false), at: .ms(40)))
        #expect(results(machine.handle(.computeFinished(taskID: other[0].id, "s1"), at: .ms(50))).isEmpty)
        // More work comes, of another step: step 1's result goes out alone, then step 2's after NO_WORK.
        let more = machine.handle(.assignment([item(1, step: 2)], includesParameters: false), at: .ms(60))
        #expect(results(more) == [.sendResult(item(0, step: 1), "s1")])
        let tasks2 = started(more)
        _ = machine.handle(.computeFinished(taskID: other[1].id, "s2a"), at: .ms(70))
        _ = machine.handle(.computeFinished(taskID: tasks2[0].id, "s2b"), at: .ms(80))
        #expect(results(machine.handle(.noWork(retryAfter: .milliseconds(500)), at: .ms(90))) == [.sendMergedResult([item(0, step: 2), item(1, step: 2)], "s2a+s2b")])
    }

    @Test func aHeldResultWhoseAnswerNeverComesIsSentAfterAHeartbeatInterval() {
        var machine = welcomed(slots: 1)
        let task = started(machine.handle(.assignment([item(0)], includesParameters: true), at: .ms(10)))[0]
        _ = machine.handle(.computeFinished(taskID: task.id, "a"), at: .ms(20))
        #expect(machine.heldItems == [item(0).key])
        #expect(results(machine.handle(.tick, at: .ms(500))).isEmpty)
        #expect(results(machine.handle(.tick, at: .ms(1020))) == [.sendResult(item(0), "a")])
    }

    @Test func heldResultsAreDroppedAtAReconnectAndNeverSent() {
        var machine = welcomed(slots: 2)
        let tasks = started(machine.handle(.assignment([item(0), item(1)], includesParameters: true), at: .ms(10)))
        _ = machine.handle(.computeFinished(taskID: tasks[0].id, "a"), at: .ms(20))
        #expect(machine.heldItems == [item(0).key])
        // The coordinator falls silent past deadAfter: the worker reconnects and reports both keys abandoned.
        let out = machine.handle(.tick, at: .ms(4000))
        #expect(out.contains(.reconnect(abandoned: [item(1).key, item(0).key])))
        #expect(machine.heldItems.isEmpty)
        #expect(results(machine.handle(.computeFinished(taskID: tasks[1].id, "b"), at: .ms(4100))).isEmpty)
    }
}
