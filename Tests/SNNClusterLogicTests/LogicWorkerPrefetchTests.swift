import SNNClusterLogic
import Testing

/// The worker machine with a prefetch: it asks for its free slots plus `prefetch` items, keeps the extra ones
/// waiting, starts one the moment a slot frees (no request → WORK round trip), and never runs more than its slots.
@Suite struct LogicWorkerPrefetchTests {
    private let welcome = WelcomeInfo(heartbeatInterval: .seconds(1), deadAfter: .seconds(3))

    private func item(_ microBatch: Int) -> WorkItem {
        WorkItem(key: WorkKey(epoch: 0, step: 0, microBatch: microBatch, phase: .train), sampleIDs: [Int32(microBatch)],
                 parameterVersion: 0)
    }

    private func started(_ directives: [WorkerMachine<String>.Directive]) -> [ComputeTask] {
        directives.compactMap { if case .startCompute(let task) = $0 { return task } else { return nil } }
    }

    private func requests(_ directives: [WorkerMachine<String>.Directive]) -> [Int] {
        directives.compactMap { if case .requestWork(let n) = $0 { return n } else { return nil } }
    }

    @Test func asksForSlotsPlusPrefetchAndStartsTheWaitingItemWhenASlotFrees() throws {
        var machine = WorkerMachine<String>(configuration: try WorkerConfiguration(slots: 2, prefetch: 1), merge: { $0 += "+\($1)" })
        _ = machine.handle(.connected, at: .ms(0))
        // Welcomed: 2 free slots + 1 prefetched item = 3 asked for.
        #expect(requests(machine.handle(.welcomed(welcome), at: .ms(1))) == [3])
        let first = machine.handle(.assignment([item(0), item(1), item(2)], includesParameters: true), at: .ms(10))
        let tasks = started(first)
        #expect(tasks.map(\.item) == [item(0), item(1)])   // two slots: the third waits
        #expect(requests(first).isEmpty && machine.wanted == 0 && machine.freeSlots == 0)
        // Micro-batch 1 ends: micro-batch 2 starts at once, in the same turn; one item asked for to refill the prefetch.
        let out = machine.handle(.computeFinished(taskID: tasks[1].id, "b"), at: .ms(20))
        #expect(started(out).map(\.item) == [item(2)])
        #expect(requests(out) == [1])
        #expect(machine.runningTasks.count == 2)
    }

    @Test func neverRunsMoreThanItsSlotsAndStillSendsOneResultPerStep() throws {
        var machine = WorkerMachine<String>(configuration: try WorkerConfiguration(slots: 1, prefetch: 2), merge: { $0 += "+\($1)" })
        _ = machine.handle(.connected, at: .ms(0))
        #expect(requests(machine.handle(.welcomed(welcome), at: .ms(1))) == [3])
        var running = started(machine.handle(.assignment([item(0), item(1), item(2)], includesParameters: true), at: .ms(10)))
        var sent: [WorkerMachine<String>.Directive] = []
        var t = 10
        while let task = running.first {
            t += 10
            let out = machine.handle(.computeFinished(taskID: task.id, "r\(task.item.key.microBatch)"), at: .ms(t))
            running.removeFirst()
            running += started(out)
            #expect(running.count <= 1, "\(running.count) computations at once on 1 slot")
            sent += out.filter { if case .sendMergedResult = $0 { true } else if case .sendResult = $0 { true } else { false } }
        }
        #expect(sent.isEmpty)   // held until the coordinator answers the last request
        let flushed = machine.handle(.noWork(retryAfter: .milliseconds(500)), at: .ms(t + 1))
        #expect(flushed.contains(.sendMergedResult([item(0), item(1), item(2)], "r0+r1+r2")))
    }

    @Test func aNegativePrefetchIsRefusedByName() {
        #expect { _ = try WorkerConfiguration(slots: 1, prefetch: -1) } throws: {
            ($0 as? MachineConfigurationError)?.setting == "prefetch"
        }
    }
}
