import SNNClusterLogic
import Testing

/// Evaluation passes are sharded and reduced like steps, but change no parameters.
@Suite struct LogicCoordinatorEvaluationTests {
    @Test func evaluationIsShardedAcrossWorkersAndFinishesWithResultsInOrder() {
        var machine = Coordinator(configuration: coordinatorConfiguration(), parameterVersion: 4)
        _ = machine.join(["a", "b"], at: .ms(0))
        _ = machine.handle(.startEvaluation(evaluationPlan(epoch: 1, step: 10, microBatches: 4)), at: .ms(0))
        let aItems = machine.handle(.workRequested("a", freeSlots: 2), at: .ms(1)).assigned(to: "a")
        let bItems = machine.handle(.workRequested("b", freeSlots: 2), at: .ms(1)).assigned(to: "b")
        #expect(aItems.map(\.key.phase) == [.evaluate, .evaluate])
        #expect(aItems.map(\.key.microBatch) == [0, 1])
        #expect(bItems.map(\.key.microBatch) == [2, 3])
        var out: [CoordinatorDirective] = []
        for (item, worker) in [(bItems[1], WorkerID("b")), (aItems[0], "a"), (bItems[0], "b"), (aItems[1], "a")] {
            out += machine.complete(item, by: worker, at: .ms(5))
        }
        #expect(out.commits.isEmpty)
        #expect(out.evaluations.count == 1)
        #expect(out.evaluations[0].job == JobID(epoch: 1, step: 10, phase: .evaluate))
        #expect(out.evaluations[0].parameterVersion == 4)
        #expect(out.evaluations[0].payloads == (aItems + bItems).map(payload(for:)))
        #expect(machine.status.finishedEvaluations == 1)
        #expect(machine.status.state == .idle)
    }

    @Test func jobsRunInQueueOrderAndEvaluationNeedsNoStepCommitted() {
        var machine = Coordinator(configuration: coordinatorConfiguration())
        _ = machine.join(["a"], at: .ms(0))
        _ = machine.handle(.startStep(stepPlan(step: 0, microBatches: 1)), at: .ms(0))
        _ = machine.handle(.startEvaluation(evaluationPlan(step: 0, microBatches: 1)), at: .ms(0))
        _ = machine.handle(.startStep(stepPlan(step: 1, microBatches: 1)), at: .ms(0))

        let step0 = machine.handle(.workRequested("a", freeSlots: 1), at: .ms(1)).assigned(to: "a")
        _ = machine.complete(step0[0], by: "a", at: .ms(2))
        let evaluation = machine.handle(.stepCommitted(version: 1), at: .ms(3))
        #expect(evaluation.assigned(to: "a").isEmpty)   // a's request was satisfied; it must ask again
        let evalItems = machine.handle(.workRequested("a", freeSlots: 1), at: .ms(4)).assigned(to: "a")
        #expect(evalItems.map(\.key) == [WorkKey(epoch: 0, step: 0, microBatch: 0, phase: .evaluate)])
        #expect(evalItems.map(\.parameterVersion) == [1])

        _ = machine.handle(.workRequested("a", freeSlots: 1), at: .ms(5))   // parked: nothing pending
        let finished = machine.complete(evalItems[0], by: "a", at: .ms(6))
        #expect(finished.evaluations.count == 1)
        // The next step starts at once and serves the parked request.
        #expect(finished.assigned(to: "a").map(\.key) == [WorkKey(epoch: 0, step: 1, microBatch: 0, phase: .train)])
    }

    @Test func evaluationResultsWithTheSameStepAsATrainingStepAreNotConfused() {
        var machine = Coordinator(configuration: coordinatorConfiguration())
        _ = machine.join(["a"], at: .ms(0))
        _ = machine.handle(.startStep(stepPlan(step: 3, microBatches: 1)), at: .ms(0))
        _ = machine.handle(.startEvaluation(evaluationPlan(step: 3, microBatches: 1)), at: .ms(0))
        let train = machine.handle(.workRequested("a", freeSlots: 1), at: .ms(1)).assigned(to: "a")[0]
        _ = machine.complete(train, by: "a", at: .ms(2))
        _ = machine.handle(.stepCommitted(version: 1), at: .ms(3))
        let eval = machine.handle(.workRequested("a", freeSlots: 1), at: .ms(4)).assigned(to: "a")[0]
        // A straggling train result under the same epoch/step is late, not an evaluation result.
        var lateTrain = train
        lateTrain.parameterVersion = 1
        #expect(machine.complete(lateTrain, by: "a", at: .ms(5)).drops == [.late])
        #expect(machine.complete(eval, by: "a", at: .ms(6)).evaluations.count == 1)
    }
}
