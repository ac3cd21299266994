import SNNCore
import SNNEnergy
import SNNModel
import SNNMethods

/// The coordinator's side of training, independent of where micro-batches run: master parameters, optimizer and
/// running state, the epoch/step cursor, and the exact once-per-step commit.
///
/// The standalone runner executes micro-batches on local threads; the cluster coordinator ships them to workers.
/// Both commit through here, so both give the same parameters for the same seed.
public final class TrainingSession: @unchecked Sendable {
    public let method: any TrainingMethod
    public let settings: TrainingSettings
    public let trainCount: Int
    public let testCount: Int
    public private(set) var parameters: [Float]
    public private(set) var state: [Float]
    public private(set) var optimizer: OptimizerState
    /// Next step to run: (epoch, step within epoch). `epoch == settings.epochs` when training is over.
    public private(set) var epoch = 0
    public private(set) var step = 0
    /// Steps committed since the start (the schedule's iteration counter).
    public private(set) var iteration = 0
    /// Incremented by every commit; work carries the version it was computed with.
    public private(set) var version: UInt64 = 0
    /// Event counts of this epoch's training micro-batches.
    public private(set) var trainLedger: EventLedger
    public private(set) var trainSamplesThisEpoch = 0
    private var planCache: EpochPlan?
    /// With update quantization (`settings.updateBits`): the last commit's rounded update from version `baseVersion`
    /// to the current one, which a worker holding that version applies instead of a bit-exact delta (WORK kind 3).
    public private(set) var lastUpdate: ParameterUpdate?
    /// Whether commits keep `lastUpdate` (the coordinator: its workers need it); the standalone trainer skips the copy,
    /// rebuild and checksum it costs.
    public var recordsRoundedUpdates = false
    /// Threads for the commit's element-wise work (gradient sum, decode, optimizer): any number gives the same bits.
    /// The standalone trainer sets its thread count; the coordinator its machine's cores, idle during a commit.
    public var reductionThreads = 1

    public var network: Network { method.network }

    public init(method: any TrainingMethod, settings: TrainingSettings, trainCount: Int, testCount: Int) {
        self.method = method; self.settings = settings; self.trainCount = trainCount; self.testCount = testCount
        var (p, s) = method.network.initialValues(seed: settings.seed)
        method.constrain(parameters: &p)
        parameters = p; state = s
        optimizer = OptimizerState(kind: settings.optimizer, parameterCount: p.count)
        trainLedger = method.network.makeLedger()
    }

    public var finished: Bool { epoch >= settings.epochs }

    /// The cursor as the run schedule reads it.
    public var cursor: RunSchedule.Cursor { RunSchedule.Cursor(epoch: epoch, step: step, iteration: iteration) }

    public func plan(epoch e: Int) -> EpochPlan {
        if let p = planCache, p.epoch == e { return p }
        let p = EpochPlan(epoch: e, samples: trainCount, batchSize: settings.batchSize,
                          microBatch: settings.microBatch, seed: settings.seed)
        planCache = p
        return p
    }

    public var stepsPerEpoch: Int { (trainCount + settings.batchSize - 1) / settings.batchSize }

    /// The micro-batches of the next step.
    public func nextStepWork() -> [MicroBatch] { plan(epoch: epoch).microBatches(step: step) }

    public func learningRate(epoch e: Int, iteration i: Int) -> Float {
        settings.schedule.rate(base: settings.learningRate, epoch: e, totalEpochs: settings.epochs, iteration: i)
    }

    /// Applies one step: exact sum of the micro-batches' gradients and statistics, one optimizer update.
    /// `results` must hold exactly the step's micro-batches (any order; they are reduced exactly).
    public func commit(_ results: [MicroBatchResult]) throws(ExactSumError) -> StepOutcome {
        var contributions: [StepContribution] = []
        for (i, var r) in results.enumerated() {
            r.roundGradient(bits: settings.gradientBits)
            contributions.append(try StepContribution(microBatch: i, r))
        }
        return try commit(contributions: contributions)
    }

    /// Applies one step from contributions already in fixed point (what workers send).
    public func commit(contributions unordered: [StepContribution]) throws(ExactSumError) -> StepOutcome {
        let results = unordered.sorted { $0.firstMicroBatch < $1.firstMicroBatch }
        return try commitStep(results) { () throws(ExactSumError) in
            // Exact, so the split over threads (and the order of arrival) changes no bit.
            .fixedPoint(try ExactSum.total(of: results.map(\.gradient), count: parameters.count, threads: reductionThreads).totals)
        }
    }

    /// Applies one step from micro-batches computed in this process (the standalone trainer): the same bits as
    /// `commit(contributions:)` of their rounded forms, with the rounding, exact sum and decode done block by block
    /// inside the optimizer pass when every gradient is in the fast range (`LocalContribution`).
    public func commit(local unordered: [LocalContribution]) throws(ExactSumError) -> StepOutcome {
        let local = unordered.sorted { $0.contribution.firstMicroBatch < $1.contribution.firstMicroBatch }
        let n = parameters.count
        guard n > 0, !local.isEmpty, local.count <= FixedPointKernels.maximumFastContributions,
              local.allSatisfy({ $0.unrounded.count == n })
        else { return try commit(contributions: local.map { c throws(ExactSumError) in try c.rounded() }) }
        return try commitStep(local.map(\.contribution)) { () throws(ExactSumError) in .unrounded(local.map(\.unrounded)) }
    }

    /// The gradient of a step as the optimizer reads it.
    private enum StepGradient {
        /// The exact fixed-point sum.
        case fixedPoint([Int64])
        /// Float contributions in the fast range, in reduction order, still to be rounded and summed.
        case unrounded([[Float]])
    }

    /// The commit shared by both forms: statistics and gradient first (either may throw, leaving the session
    /// unchanged), then counters, one optimizer update, running statistics and the cursor.
    private func commitStep(_ results: [StepContribution],
                            gradient: () throws(ExactSumError) -> StepGradient) throws(ExactSumError) -> StepOutcome {
        var stats = ExactSum(count: network.statisticsCount)
        var loss = 0.0, correct = 0, samples = 0
        for r in results {
            // One block per covered micro-batch, each rounded on its own: the same total however they were grouped.
            if network.statisticsCount > 0 { for block in r.statisticsBlocks { try stats.add(Array(block)) } }
            samples += r.samples; correct += r.correct
        }
        let grad = try gradient()
        for r in results { trainLedger.add(r.ledger) }
        // Loss sums are reported, not used for the update; sum them in a fixed order anyway.
        loss = results.map(\.lossSum).reduce(0, +)
        let lr = learningRate(epoch: epoch, iteration: iteration)
        let factor = 1 / Double(max(1, samples))
        // The mean gradient decoded block by block inside the update (the same bits as decoding it whole first).
        // With update quantization the optimizer's result is rounded against the values before it (`UpdateQuantization`).
        let before = settings.updateBits == nil ? nil : ModelValues(parameters: parameters, state: state)
        switch grad {
        case .fixedPoint(let totals):
            optimizerStep(settings.optimizer, learningRate: lr, parameters: &parameters, fixedPointGradients: totals,
                          times: factor, state: &optimizer, decayMask: method.decayMask, threads: reductionThreads)
        case .unrounded(let contributions):
            optimizerStep(settings.optimizer, learningRate: lr, parameters: &parameters, fixedPointSumOf: contributions,
                          times: factor, state: &optimizer, decayMask: method.decayMask, threads: reductionThreads)
        }
        var rounded: UpdateQuantization?
        if let bits = settings.updateBits, let before {
            if optimizer.residual.count != parameters.count { optimizer.residual = [Float](repeating: 0, count: parameters.count) }
            rounded = UpdateQuantization.apply(old: before.parameters, parameters: &parameters, residual: &optimizer.residual, bits: bits,
                                               threads: reductionThreads)
        }
        method.constrain(parameters: &parameters)
        recordOptimizerEvents()
        if network.statisticsCount > 0 {
            network.applyStatistics(stats.value(times: 1 / Double(max(1, stats.contributions))), to: &state,
                                    microBatchSize: settings.microBatch)
        }
        lastUpdate = !recordsRoundedUpdates ? nil : rounded.flatMap { r in
            before.map { ParameterUpdate(rounded: r, from: $0, to: ModelValues(parameters: parameters, state: state), baseVersion: version) }
        }
        let outcome = StepOutcome(epoch: epoch, step: step, loss: loss / Double(max(1, samples)),
                                  accuracy: Double(correct) / Double(max(1, samples)), samples: samples,
                                  learningRate: lr, computeNanos: results.reduce(0) { $0 + $1.computeNanos })
        trainSamplesThisEpoch += samples
        iteration += 1; version += 1; step += 1
        return outcome
    }

    /// The optimizer's work per step, per layer: per parameter, SGD-momentum does weight decay, momentum and update
    /// (3 MACs), Adam also its second moment, bias corrections and the division (8); each parameter word is read
    /// once and its state words read and written.
    func recordOptimizerEvents() {
        let perParameter: Int64
        let stateWords: Int64
        switch settings.optimizer {
        case .sgd: perParameter = 3; stateWords = 1
        case .adam: perParameter = 8; stateWords = 2
        }
        for l in network.layers where l.parameterCount > 0 {
            var e = EventCounts()
            let n = Int64(l.parameterCount)
            e.macs = n * perParameter
            e.weightReads = n
            e.savedStateReads = n * stateWords
            e.savedStateWrites = n * stateWords
            trainLedger.record(.optimizer, layer: l.index, t: 0, e)
        }
    }

    /// Moves the cursor to the next epoch once its steps are done; returns true if it did.
    public func advanceEpochIfDone() -> Bool {
        guard step >= stepsPerEpoch else { return false }
        epoch += 1; step = 0
        trainLedger = network.makeLedger(); trainSamplesThisEpoch = 0
        return true
    }

    /// Test-split evaluation micro-batches for the current parameters.
    public func evaluationWork(epoch e: Int) -> [MicroBatch] {
        EpochPlan.evaluation(epoch: e, count: testCount, microBatch: settings.evalMicroBatch, seed: settings.seed)
    }

    /// Aggregates an evaluation's results (any order).
    public func summarizeEvaluation(_ results: [MicroBatchResult]) -> EvaluationOutcome {
        summarizeEvaluation(contributions: results.enumerated().map { i, r in
            StepContribution(microBatch: i, gradient: [], statistics: [], lossSum: r.lossSum, correct: r.correct,
                             samples: r.samples, ledger: r.ledger, spikesPerLayer: r.spikesPerLayer, steps: r.steps,
                             computeNanos: r.computeNanos)
        })
    }

    public func summarizeEvaluation(contributions unordered: [StepContribution]) -> EvaluationOutcome {
        let results = unordered.sorted { $0.firstMicroBatch < $1.firstMicroBatch }
        var ledger = network.makeLedger()
        var spikes = [Int64](repeating: 0, count: network.layers.count)
        var loss = 0.0, correct = 0, samples = 0
        for r in results {
            ledger.add(r.ledger); samples += r.samples; correct += r.correct; loss += r.lossSum
            for i in spikes.indices { spikes[i] += r.spikesPerLayer[i] }
        }
        return EvaluationOutcome(loss: loss / Double(max(1, samples)), accuracy: Double(correct) / Double(max(1, samples)),
                                 samples: samples, spikesPerSample: spikes.map { Double($0) / Double(max(1, samples)) },
                                 steps: results.first?.steps ?? network.timesteps, ledger: ledger)
    }

    /// SHA-256 of the parameters and running state: equal digests mean bit-identical models.
    public var digest: String { sha256Hex(parameters + state) }

    /// Restores a checkpointed session state.
    public func restore(_ c: Checkpoint) throws(CheckpointError) {
        guard c.parameters.count == parameters.count, c.state.count == state.count else {
            throw CheckpointError("checkpoint has \(c.parameters.count) parameters, the spec's network has \(parameters.count)")
        }
        guard c.optimizer.residual.isEmpty || c.optimizer.residual.count == parameters.count else {
            throw CheckpointError("checkpoint's update residual has \(c.optimizer.residual.count) values for \(parameters.count) parameters")
        }
        parameters = c.parameters; state = c.state; optimizer = c.optimizer; lastUpdate = nil
        epoch = c.epoch; step = c.step; iteration = c.iteration; version = c.version
        // The epoch's counters so far travel in the checkpoint, so an interrupted epoch's energy stays whole.
        if let flat = c.trainLedger {
            guard let ledger = EventLedger(flatCounts: flat, like: network.makeLedger()) else {
                throw CheckpointError("checkpoint's event counters (\(flat.count) values) do not fit the spec's network")
            }
            trainLedger = ledger; trainSamplesThisEpoch = c.trainSamples ?? 0
        } else {
            trainLedger = network.makeLedger(); trainSamplesThisEpoch = 0
        }
    }

    public func checkpoint(runID: String, specJSON: String) -> Checkpoint {
        Checkpoint(runID: runID, specJSON: specJSON, epoch: epoch, step: step, iteration: iteration, version: version,
                   parameters: parameters, state: state, optimizer: optimizer,
                   dataFingerprint: dataFingerprint, limit: dataLimit,
                   trainLedger: trainLedger.flatCounts, trainSamples: trainSamplesThisEpoch)
    }

    /// The data this session trains on (recorded in checkpoints, checked on resume); set by the start code.
    public var dataFingerprint: String?
    /// The `--limit` this session was started with (nil: the full data set).
    public var dataLimit: Int?
}

/// What one committed step did.
public struct StepOutcome: Sendable {
    public var epoch: Int, step: Int
    public var loss: Double, accuracy: Double
    public var samples: Int
    public var learningRate: Float
    public var computeNanos: UInt64
}

/// What one evaluation pass measured.
public struct EvaluationOutcome: Sendable {
    public var loss: Double, accuracy: Double
    public var samples: Int
    public var spikesPerSample: [Double]
    public var steps: Int
    public var ledger: EventLedger
}
