import Testing
import SNNClusterLogic

/// The run schedule alone: no processes, no sessions. Each test walks a run by hand, reporting what a runner
/// would report, and compares the actions with the sequence worked out from the rules (evaluate at each epoch's
/// end, checkpoint after every evaluation and every `checkpointEvery` iterations, `maxSteps` → evaluate,
/// checkpoint, stop; a stop request → checkpoint, stop).
@Suite struct LogicRunScheduleTests {
    typealias C = RunSchedule.Cursor

    /// Runs the schedule to its end the way a runner does, simulating the session's cursor; returns every action.
    static func drive(_ schedule: inout RunSchedule, from start: C, stopBeforeStep: Int? = nil) -> [RunSchedule.Action] {
        var cursor = start
        var log: [RunSchedule.Action] = []
        var pending = schedule.next(after: .started(cursor))
        var trained = 0
        while !pending.isEmpty {
            let a = pending.removeFirst()
            log.append(a)
            switch a {
            case .trainStep:
                if let s = stopBeforeStep, trained == s { pending = schedule.next(after: .stopRequested); continue }
                trained += 1
                cursor.step += 1; cursor.iteration += 1
                pending = schedule.next(after: .stepCommitted(cursor))
            case .evaluate: pending = schedule.next(after: .evaluated(cursor))
            case .advanceEpoch: cursor.epoch += 1; cursor.step = 0
            case .checkpoint, .stop: break
            }
        }
        return log
    }

    @Test func fullRunEvaluatesAndCheckpointsAtEachEpochEndThenCompletes() {
        var s = RunSchedule(epochs: 2, stepsPerEpoch: 2)
        let log = Self.drive(&s, from: C(epoch: 0, step: 0, iteration: 0))
        #expect(log == [.trainStep, .trainStep, .evaluate(epoch: 0), .advanceEpoch, .checkpoint,
                        .trainStep, .trainStep, .evaluate(epoch: 1), .advanceEpoch, .checkpoint, .stop(.completed)])
        #expect(s.committed == 4 && s.stopped == .completed)
    }

    @Test func checkpointEveryCountsIterationsAcrossResumeNotThisInvocation() {
        // Resumed at iteration 5 (epoch 1 step 1 of 4): epoch 1 commits iterations 6, 7, 8; epoch 2 commits 9–12.
        // Every 3 iterations → after 6, 9 and 12 (the last one before epoch 2's evaluation and its own checkpoint).
        var s = RunSchedule(epochs: 3, stepsPerEpoch: 4, checkpointEvery: 3)
        let log = Self.drive(&s, from: C(epoch: 1, step: 1, iteration: 5))
        #expect(log == [.trainStep, .checkpoint, .trainStep, .trainStep, .evaluate(epoch: 1), .advanceEpoch, .checkpoint,
                        .trainStep, .checkpoint, .trainStep, .trainStep, .trainStep, .checkpoint, .evaluate(epoch: 2),
                        .advanceEpoch, .checkpoint, .stop(.completed)])
        #expect(s.committed == 7)
    }

    @Test func maxStepsInsideAnEpochEvaluatesWhatWasTrainedCheckpointsAndStops() {
        var s = RunSchedule(epochs: 1, stepsPerEpoch: 10, maxSteps: 2)
        let log = Self.drive(&s, from: C(epoch: 0, step: 0, iteration: 0))
        // The epoch is not over: no advance; the evaluation is of epoch 0.
        #expect(log == [.trainStep, .trainStep, .evaluate(epoch: 0), .checkpoint, .stop(.maxSteps)])
        #expect(s.finishing)
    }

    @Test func maxStepsAtAnEpochsEndAdvancesOnceAndStops() {
        var s = RunSchedule(epochs: 3, stepsPerEpoch: 2, maxSteps: 2)
        let log = Self.drive(&s, from: C(epoch: 0, step: 0, iteration: 0))
        #expect(log == [.trainStep, .trainStep, .evaluate(epoch: 0), .advanceEpoch, .checkpoint, .stop(.maxSteps)])
    }

    @Test func maxStepsCountsThisInvocationOnly() {
        var s = RunSchedule(epochs: 1, stepsPerEpoch: 10, maxSteps: 1)
        let log = Self.drive(&s, from: C(epoch: 0, step: 7, iteration: 7))
        #expect(log == [.trainStep, .evaluate(epoch: 0), .checkpoint, .stop(.maxSteps)])
    }

    @Test func resumeAfterAnEpochsLastStepEvaluatesThatEpochFirst() {
        var s = RunSchedule(epochs: 2, stepsPerEpoch: 3)
        let log = Self.drive(&s, from: C(epoch: 0, step: 3, iteration: 3))
        #expect(Array(log.prefix(4)) == [.evaluate(epoch: 0), .advanceEpoch, .checkpoint, .trainStep])
        #expect(log.last == .stop(.completed) && log.filter { $0 == .trainStep }.count == 3)
    }

    @Test func startingAFinishedRunStopsAtOnceWithNothingToDo() {
        var s = RunSchedule(epochs: 2, stepsPerEpoch: 3)
        #expect(s.next(after: .started(C(epoch: 2, step: 0, iteration: 6))) == [.stop(.completed)])
        #expect(s.next(after: .stepCommitted(C(epoch: 2, step: 1, iteration: 7))) == [])
    }

    @Test func stopRequestCheckpointsTheCommittedStateAndEndsTheRun() {
        var s = RunSchedule(epochs: 1, stepsPerEpoch: 10)
        let log = Self.drive(&s, from: C(epoch: 0, step: 0, iteration: 0), stopBeforeStep: 3)
        #expect(log == [.trainStep, .trainStep, .trainStep, .trainStep, .checkpoint, .stop(.requested)])
        #expect(s.stopped == .requested && s.committed == 3)
        // After the stop nothing more happens, whatever is reported.
        #expect(s.next(after: .evaluated(C(epoch: 0, step: 3, iteration: 3))) == [])
        #expect(s.next(after: .stopRequested) == [])
    }

    @Test func zeroOrNegativeCheckpointEveryMeansOnlyAfterEvaluations() {
        for every in [0, -2] {
            var s = RunSchedule(epochs: 1, stepsPerEpoch: 3, checkpointEvery: every)
            let log = Self.drive(&s, from: C(epoch: 0, step: 0, iteration: 0))
            #expect(log.filter { $0 == .checkpoint }.count == 1)
        }
    }
}
