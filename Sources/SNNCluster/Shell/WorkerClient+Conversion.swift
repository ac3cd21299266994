import Dispatch
import Foundation
import SNNCore
import SNNEnergy
import SNNMethods
import SNNModel

/// A worker's state while it serves an ECC conversion (`snn-coord convert --workers N`): the conversion spec from
/// WELCOME, the models of the parameter versions it was sent, and the results waiting to be sent. (Each item's key
/// is the WORK's own: its ECC phase names the job kind, its step T.) Shared between the worker's loop and its compute threads (hence the lock).
final class ConversionWorkerState: @unchecked Sendable {
    let spec: ConversionSpec
    private let lock = NSLock()
    private var cnn: (version: Int, network: ECCNetwork)?
    private var snn: (version: Int, model: ConvertedSNN)?
    private var outbox: [WorkKey: WorkResult] = [:]

    init(spec: ConversionSpec) { self.spec = spec }

    /// Loads a parameter vector; returns a reason when it does not fit the spec.
    func load(version: Int, parameters p: [Float]) throws -> String? {
        lock.lock(); defer { lock.unlock() }
        if version == spec.cnnVersion {
            guard p.count == spec.weightCount, let net = try spec.network(parameters: p) else {
                return "\(p.count) CNN parameter values, the conversion spec needs \(spec.weightCount)"
            }
            cnn = (version, net)
        } else if version == spec.snnVersion {
            guard let m = try spec.snn(parameters: p) else {
                return "\(p.count) SNN parameter values, the conversion spec needs \(spec.weightCount + spec.layers.count)"
            }
            snn = (version, m)
        } else {
            return "parameter version \(version) is neither the CNN's (\(spec.cnnVersion)) nor the SNN's (\(spec.snnVersion))"
        }
        return nil
    }

    func models() -> (cnn: ECCNetwork?, snn: ConvertedSNN?) {
        lock.lock(); defer { lock.unlock() }
        return (cnn?.network, snn?.model)
    }

    func holds(version: Int) -> Bool {
        lock.lock(); defer { lock.unlock() }
        return cnn?.version == version || snn?.version == version
    }

    func post(_ key: WorkKey, _ r: WorkResult) { lock.lock(); outbox[key] = r; lock.unlock() }

    func take(_ key: WorkKey) -> WorkResult? {
        lock.lock(); defer { lock.unlock() }
        return outbox.removeValue(forKey: key)
    }
}

extension WorkerClient {
    /// [conversion hook] WELCOME of a conversion run: returns true when the spec was a conversion spec (handled).
    func welcomeConversion(_ specJSON: [UInt8]) throws -> Bool {
        guard let spec = try ConversionSpec.decodeIfConversion(specJSON) else { conversion = nil; return false }
        if conversion?.spec != spec { conversion = ConversionWorkerState(spec: spec) }
        method = nil
        self.spec = nil
        parameters = nil
        return true
    }

    /// [conversion hook] WORK of a conversion: loads the parameters it carries (the state frame is empty: a
    /// conversion has no running state) and hands the item, keyed by its ECC phase and T, to the worker machine.
    func conversionWork(_ a: WorkAssignment, state: ConversionWorkerState) throws {
        guard a.key.phase.isConversion else {
            logger.error("coordinator sent \(a.key.phase) work to a worker serving a conversion")
            return
        }
        if let v = a.values {
            guard v.state.isEmpty else {
                logger.error("coordinator sent \(v.state.count) state values with conversion parameters; a conversion has none")
                return
            }
            do {
                if let problem = try state.load(version: Int(a.parameterVersion), parameters: v.parameters) {
                    logger.error("coordinator sent unusable conversion parameters: \(problem)")
                    return
                }
            } catch {
                logger.error("coordinator sent unusable conversion parameters: \(error)")
                return
            }
            parameters = (Int(a.parameterVersion), v)
        }
        try apply(machine.handle(.assignment([WorkItem(a)], includesParameters: a.values != nil), at: now))
    }

    /// [conversion hook] Runs one conversion micro-batch on a compute thread; its RESULT waits in the state's outbox.
    func startConversion(_ task: ComputeTask, state: ConversionWorkerState) {
        let item = task.item
        let (cnn, snn) = state.models()
        let q = completions
        func fail(_ why: String) { q.push(task.id, .failure(SetupError(why))) }
        let k = item.key
        guard let kind = ConversionTaskKind(wirePhase: k.phase) else {
            return fail("conversion work \(item.key) of unknown kind")
        }
        // Fault injection for the end-to-end tests (never set in production): `SNN_TEST_CRASH_ON=ecc:JOB:MB` aborts
        // this worker the moment it is given micro-batch MB of conversion job JOB (the key's epoch).
        if let c = Self.crashOn, c == "ecc:\(k.epoch):\(k.microBatch)" {
            logger.critical("SNN_TEST_CRASH_ON=\(c): aborting on \(k) (test fault injection)")
            abort()
        }
        guard state.holds(version: item.parameterVersion) else { return fail("missing parameters for version \(item.parameterVersion)") }
        let data = kind.readsTrainingSet ? train : test
        guard item.sampleIDs.allSatisfy({ $0 >= 0 && $0 < data.count }) else {
            return fail("sample index out of range (this worker holds \(data.count) images)")
        }
        let h = state.spec.thresholding, T = k.step, ids = item.sampleIDs.map(Int.init), version = UInt64(item.parameterVersion)
        let needsCNN = kind == .cnn || kind == .lambda
        guard needsCNN ? cnn != nil : snn != nil else { return fail("missing parameters for version \(item.parameterVersion)") }
        dispatchCompute {
            ComputePriority.lowerCurrentThread()
            let t0 = ContinuousClock.now
            var r = WorkResult(key: k, parameterVersion: version, samples: UInt32(ids.count), lossSum: 0, correct: 0,
                               computeNanos: 0, steps: UInt32(max(1, T)), gradient: [], statistics: [], counters: [],
                               spikesPerLayer: [])
            switch kind {
            case .cnn:
                r.correct = UInt32(ECCInference.cnnCorrect(cnn!, data: data, indices: ids))
            case .lambda:
                r.statistics = ECCInference.maxima(cnn!, data: data, indices: ids)
            case .closedForm:
                let e = ECCInference.closedForm(snn!, data: data, indices: ids, timesteps: T, thresholding: h)
                r.correct = UInt32(e.correct); r.spikesPerLayer = e.spikesPerLayer; r.counters = e.ledger.flatCounts
            case .timeStepped:
                let (e, c) = ECCInference.timeStepped(snn!, data: data, indices: ids, timesteps: T, thresholding: h)
                r.correct = UInt32(e.correct); r.spikesPerLayer = e.spikesPerLayer
                r.counters = e.ledger.flatCounts + c.sums
                r.statistics = [Float(c.maxDifference)]
            }
            r.computeNanos = UInt64(max(0, (ContinuousClock.now - t0).nanoseconds))
            state.post(item.key, r)
            // The machine's payload is only a receipt: the RESULT itself waits in the outbox (sendConversionResult).
            q.push(task.id, .success(StepContribution(microBatch: k.microBatch, gradient: [], statistics: [], lossSum: 0,
                                                      correct: Int(r.correct), samples: ids.count,
                                                      ledger: EventLedger(layerNames: [], timesteps: 1), spikesPerLayer: [],
                                                      steps: max(1, T), computeNanos: r.computeNanos)))
        }
    }

    /// [conversion hook] Sends the RESULT a conversion micro-batch left in the outbox.
    func sendConversionResult(_ item: WorkItem, state: ConversionWorkerState) {
        guard let r = state.take(item.key) else { return }
        resultsSent += 1
        send(.result(r))
    }
}
