import SNNCore

/// The method-independent settings of a training run (from the run spec), typed and validated.
public struct TrainingSettings: Sendable, Equatable {
    public var epochs: Int
    public var batchSize: Int
    public var microBatch: Int
    public var seed: UInt64
    public var optimizer: OptimizerKind
    public var learningRate: Float
    public var schedule: LearningRateSchedule
    /// Evaluation micro-batch size (larger: no backward pass).
    public var evalMicroBatch: Int
    /// Significant bits kept of each micro-batch gradient (`GradientQuantization`); nil = exact.
    public var gradientBits: Int?
    /// Significant bits kept of each step's parameter update (`UpdateQuantization`); nil = exact.
    public var updateBits: Int?

    public init(epochs: Int, batchSize: Int, microBatch: Int, seed: UInt64, optimizer: OptimizerKind,
                learningRate: Float, schedule: LearningRateSchedule, evalMicroBatch: Int = 250,
                gradientBits: Int? = nil, updateBits: Int? = nil) {
        self.epochs = epochs; self.batchSize = batchSize; self.microBatch = microBatch; self.seed = seed
        self.optimizer = optimizer; self.learningRate = learningRate; self.schedule = schedule
        self.evalMicroBatch = evalMicroBatch
        self.gradientBits = gradientBits; self.updateBits = updateBits
    }
}
