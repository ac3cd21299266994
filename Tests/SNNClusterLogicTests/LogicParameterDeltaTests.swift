import SNNClusterLogic
import Testing

/// Protocol 4's parameter deltas in the pure machines: the coordinator sends a new version as a delta only to a
/// worker it sent the version just before; full values on join, after a rejoin, after a missing-parameters report,
/// to a worker that skipped a version, after a restart (no previous version known), and always with deltas off. A
/// worker that cannot use the parameters it got answers every item with missingParameters and holds no version.
@Suite struct LogicParameterDeltaTests {
    let a = WorkerID("a"), b = WorkerID("b")

    func machine(deltas: Bool = true, version: Int = 0) -> Coordinator {
        var c = coordinatorConfiguration()
        c.parameterDeltas = deltas
        return Coordinator(configuration: c, parameterVersion: version)
    }

    /// What the assignment to `worker` says about parameters: "full", "none", "delta N".
    func parameters(_ out: [CoordinatorDirective], to worker: WorkerID) -> [String] {
        out.messages(to: worker).compactMap { m in
            switch m {
            case .assign(_, let full): return full ? "full" : "none"
            case .assignDelta(_, let base): return "delta \(base)"
            default: return nil
            }
        }
    }

    /// Runs the current step to its commit with `worker` computing everything, then commits `version`.
    func finishStep(_ m: inout Coordinator, items: [WorkItem], by worker: WorkerID, version: Int, at t: Int) {
        var out: [CoordinatorDirective] = []
        for item in items { out += m.complete(item, by: worker, at: .ms(t)) }
        #expect(out.commits.count == 1)
        _ = m.handle(.stepCommitted(version: version), at: .ms(t + 1))
    }

    @Test("a worker sent version v gets v + 1 as a delta against v; a newcomer gets full values")
    func deltaToTheHolderFullToANewcomer() {
        var m = machine()
        _ = m.join([a], at: .ms(0))
        _ = m.handle(.startStep(stepPlan(step: 0, microBatches: 2)), at: .ms(0))
        var out = m.handle(.workRequested(a, freeSlots: 2), at: .ms(1))
        #expect(parameters(out, to: a) == ["full"])
        finishStep(&m, items: out.assigned(to: a), by: a, version: 1, at: 10)

        _ = m.handle(.startStep(stepPlan(step: 1, microBatches: 2)), at: .ms(20))
        out = m.handle(.workRequested(a, freeSlots: 1), at: .ms(21))
        #expect(parameters(out, to: a) == ["delta 0"] && m.previousParameterVersion == 0 && m.parameterVersion == 1)
        // A second assignment of the same version carries nothing.
        out += m.handle(.workRequested(a, freeSlots: 1), at: .ms(22))
        #expect(parameters(out, to: a) == ["delta 0", "none"])
        // b joins mid-run: full values, even though it asks for the same version.
        _ = m.join([b], at: .ms(23))
        finishStep(&m, items: out.assigned(to: a), by: a, version: 2, at: 30)
        _ = m.handle(.startStep(stepPlan(step: 2, microBatches: 2)), at: .ms(40))
        out = m.handle(.workRequested(b, freeSlots: 1), at: .ms(41)) + m.handle(.workRequested(a, freeSlots: 1), at: .ms(41))
        #expect(parameters(out, to: b) == ["full"] && parameters(out, to: a) == ["delta 1"])
    }

    @Test("full values after a missing-parameters report, after a hello under the same id, and to a worker that skipped a version")
    func fullWheneverUnsure() {
        var m = machine()
        _ = m.join([a, b], at: .ms(0))
        _ = m.handle(.startStep(stepPlan(step: 0, microBatches: 2)), at: .ms(0))
        var out = m.handle(.workRequested(a, freeSlots: 1), at: .ms(1)) + m.handle(.workRequested(b, freeSlots: 1), at: .ms(1))
        let items0 = out.assigned(to: a) + out.assigned(to: b)
        #expect(parameters(out, to: a) == ["full"] && parameters(out, to: b) == ["full"])
        _ = m.complete(out.assigned(to: b)[0], by: b, at: .ms(5))
        finishStep(&m, items: out.assigned(to: a), by: a, version: 1, at: 10)
        _ = items0

        // Step 1: only a takes part; b holds version 0 still.
        _ = m.handle(.startStep(stepPlan(step: 1, microBatches: 1)), at: .ms(20))
        out = m.handle(.workRequested(a, freeSlots: 1), at: .ms(21))
        #expect(parameters(out, to: a) == ["delta 0"])
        // a could not use the delta: it reports missing parameters, and gets the item again with full values.
        let item = out.assigned(to: a)[0]
        out = m.handle(.workFailed(a, key: item.key, reason: .missingParameters(version: 1)), at: .ms(22))
        out += m.handle(.workRequested(a, freeSlots: 1), at: .ms(22))
        #expect(parameters(out, to: a) == ["full"] && out.assignedMicroBatches(to: a) == [0])
        finishStep(&m, items: out.assigned(to: a), by: a, version: 2, at: 30)

        // Step 2 (version 2): b was last sent version 0, two versions back: full values, not a delta.
        _ = m.handle(.startStep(stepPlan(step: 2, microBatches: 2)), at: .ms(40))
        out = m.handle(.workRequested(b, freeSlots: 1), at: .ms(41)) + m.handle(.workRequested(a, freeSlots: 1), at: .ms(41))
        #expect(parameters(out, to: b) == ["full"] && parameters(out, to: a) == ["delta 1"])
        // a says hello again (a reconnect): it is a new worker, and its next work comes with full values.
        _ = m.handle(.workerHello(a, compatible: .success(())), at: .ms(42))
        out = m.handle(.workRequested(a, freeSlots: 1), at: .ms(43))
        #expect(parameters(out, to: a) == ["full"])
    }

    @Test("a machine restarted at a checkpoint's version, or with deltas off, sends full values only")
    func fullAfterRestartAndWithDeltasOff() {
        for deltas in [true, false] {
            var m = machine(deltas: deltas, version: 7)   // as after a restart from a checkpoint of version 7
            _ = m.join([a], at: .ms(0))
            _ = m.handle(.startStep(stepPlan(step: 0, microBatches: 1)), at: .ms(0))
            var out = m.handle(.workRequested(a, freeSlots: 1), at: .ms(1))
            #expect(parameters(out, to: a) == ["full"] && m.previousParameterVersion == nil)
            finishStep(&m, items: out.assigned(to: a), by: a, version: 8, at: 10)
            _ = m.handle(.startStep(stepPlan(step: 1, microBatches: 1)), at: .ms(20))
            out = m.handle(.workRequested(a, freeSlots: 1), at: .ms(21))
            #expect(parameters(out, to: a) == [deltas ? "delta 7" : "full"])
        }
    }

    @Test("a worker given unusable parameters answers each item with missingParameters and holds no version")
    func workerRefusesUnusableParameters() {
        var w = WorkerMachine<String>(configuration: try! WorkerConfiguration(slots: 2))
        _ = w.handle(.connected, at: .ms(0))
        _ = w.handle(.welcomed(WelcomeInfo(heartbeatInterval: .seconds(1), deadAfter: .seconds(3))), at: .ms(1))
        let items = stepPlan(step: 1, microBatches: 2).microBatches.map { WorkItem($0, parameterVersion: 4) }
        _ = w.handle(.assignment([WorkItem(stepPlan(step: 0, microBatches: 1).microBatches[0], parameterVersion: 3)],
                                 includesParameters: true), at: .ms(2))
        #expect(w.parameterVersion == 3)
        let out = w.handle(.unusableParameters([items[0]], reason: "delta against version 2"), at: .ms(3))
            + w.handle(.assignment([items[1]], includesParameters: false), at: .ms(4))
        let failures = out.compactMap { d -> WorkKey? in
            if case .sendFailure(let item, .missingParameters(version: 4)) = d { return item.key }
            return nil
        }
        #expect(failures == items.map(\.key))
        #expect(w.parameterVersion == nil)
        #expect(!out.contains { if case .startCompute(let t) = $0 { return t.item.parameterVersion == 4 } else { return false } })
    }
}
