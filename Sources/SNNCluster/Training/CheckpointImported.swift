import SNNCore

extension Checkpoint {
    /// A checkpoint for parameters that come from outside a run (a NIR or other imported network): cursor at the
    /// start of `epoch` (0: `start --resume` trains the spec's epochs from these parameters; the spec's epoch
    /// count: the run is finished and `start --resume` only evaluates), fresh optimizer state.
    public static func imported(runID: String, specJSON: String, parameters: [Float], state: [Float],
                                optimizer: OptimizerKind, epoch: Int = 0) -> Checkpoint {
        Checkpoint(runID: runID, specJSON: specJSON, epoch: epoch, step: 0, iteration: 0, version: 0,
                   parameters: parameters, state: state, optimizer: OptimizerState(kind: optimizer, parameterCount: parameters.count))
    }
}
