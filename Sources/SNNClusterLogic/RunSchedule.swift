/// The run's schedule as pure logic: given what just finished, the next actions (train a step, evaluate,
/// checkpoint, stop). `StandaloneTrainer` and `CoordinatorServer` both execute it, so the two runners share one
/// run loop: evaluation at each epoch's end, the checkpoint cadence (`checkpointEvery` committed steps, and
/// always after an evaluation), `maxSteps` (evaluate what was trained, checkpoint, stop) and a stop request
/// (checkpoint the committed state, stop; the step in flight is abandoned and redone on resume).
///
/// No clocks, threads or I/O: the runner reports each finished thing with the cursor it reached, and carries
/// out the returned actions in order.
public struct RunSchedule: Sendable, Equatable {
    /// Where the run stands: the next step to run, as `TrainingSession` counts it.
    public struct Cursor: Sendable, Equatable {
        /// Next step to run: (epoch, step within epoch); `epoch == epochs` once training is over.
        public var epoch: Int, step: Int
        /// Steps committed since the run began (across resumes): the checkpoint cadence counts these.
        public var iteration: Int
        public init(epoch: Int, step: Int, iteration: Int) { self.epoch = epoch; self.step = step; self.iteration = iteration }
    }

    /// What just finished, as the runner reports it.
    public enum Finished: Sendable, Equatable {
        /// The run (or a resume) begins at `cursor`.
        case started(Cursor)
        /// A step was committed; `cursor` is the session's cursor after the commit.
        case stepCommitted(Cursor)
        /// An evaluation pass of the cursor's epoch finished (the cursor has not moved yet).
        case evaluated(Cursor)
        /// The process was asked to stop (SIGINT/SIGTERM).
        case stopRequested
    }

    /// Why a run ends.
    public enum StopReason: Sendable, Equatable {
        /// Every epoch is done.
        case completed
        /// `maxSteps` steps were committed in this invocation.
        case maxSteps
        /// The process was asked to stop.
        case requested
    }

    /// Something the runner must do, in order.
    public enum Action: Sendable, Equatable {
        /// Run the cursor's next training step and report `stepCommitted`.
        case trainStep
        /// Run an evaluation pass for `epoch` and report `evaluated`.
        case evaluate(epoch: Int)
        /// Move the session's cursor to the next epoch (its steps are all done).
        case advanceEpoch
        /// Write a checkpoint of the committed state.
        case checkpoint
        /// The run is over.
        case stop(StopReason)
    }

    public let epochs: Int
    public let stepsPerEpoch: Int
    /// Stop after this many committed steps in this invocation (nil: no limit).
    public let maxSteps: Int?
    /// Also checkpoint whenever the iteration count is a multiple of this (nil or ≤ 0: only after evaluations).
    public let checkpointEvery: Int?
    /// Steps committed in this invocation.
    public private(set) var committed = 0
    /// Set once `maxSteps` was reached: the evaluation in progress is the last thing before stopping.
    public private(set) var finishing = false
    /// Set once a `stop` action was returned; every later report returns no actions.
    public private(set) var stopped: StopReason?

    public init(epochs: Int, stepsPerEpoch: Int, maxSteps: Int? = nil, checkpointEvery: Int? = nil) {
        self.epochs = epochs; self.stepsPerEpoch = stepsPerEpoch
        self.maxSteps = maxSteps; self.checkpointEvery = checkpointEvery
    }

    /// The actions that follow `finished`.
    public mutating func next(after finished: Finished) -> [Action] {
        guard stopped == nil else { return [] }
        switch finished {
        case .started(let c):
            if c.epoch >= epochs { return stop(.completed) }
            // Resumed from a checkpoint taken after the epoch's last step but before its evaluation.
            if c.step >= stepsPerEpoch { return [.evaluate(epoch: c.epoch)] }
            return [.trainStep]
        case .stepCommitted(let c):
            committed += 1
            var actions: [Action] = []
            if let every = checkpointEvery, every > 0, c.iteration % every == 0 { actions.append(.checkpoint) }
            if let m = maxSteps, committed >= m { finishing = true }
            if c.step >= stepsPerEpoch || finishing { actions.append(.evaluate(epoch: c.epoch)) }
            else { actions.append(.trainStep) }
            return actions
        case .evaluated(let c):
            var actions: [Action] = []
            var epoch = c.epoch
            if c.step >= stepsPerEpoch { actions.append(.advanceEpoch); epoch += 1 }
            actions.append(.checkpoint)
            if epoch >= epochs { return actions + stop(.completed) }
            if finishing { return actions + stop(.maxSteps) }
            actions.append(.trainStep)
            return actions
        case .stopRequested:
            return [.checkpoint] + stop(.requested)
        }
    }

    private mutating func stop(_ reason: StopReason) -> [Action] {
        stopped = reason
        return [.stop(reason)]
    }
}
