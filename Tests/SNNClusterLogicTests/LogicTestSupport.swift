import SNNClusterLogic
import Testing

/// Shared helpers for the Logic* suites: instants in milliseconds, configurations that cannot fail,
/// directive filters and a seeded RNG.

typealias Coordinator = CoordinatorMachine<String>
typealias CoordinatorDirective = CoordinatorMachine<String>.Directive

extension Instant {
    static func ms(_ milliseconds: Int) -> Instant { Instant(nanoseconds: Int64(milliseconds) * 1_000_000) }
}

func coordinatorConfiguration(
    minWorkers: Int = 1, speculateAfter: Duration? = nil, maxAttempts: Int = 3
) -> CoordinatorConfiguration {
    try! CoordinatorConfiguration(minWorkers: minWorkers, speculateAfter: speculateAfter, maxAttempts: maxAttempts)
}

/// A plan whose micro-batch `i` holds samples `[base + i*size, base + i*size + size)`.
func stepPlan(epoch: Int = 0, step: Int, microBatches: Int, size: Int = 4) -> StepPlan {
    StepPlan(epoch: epoch, step: step, sampleIDs: (0..<microBatches).map { i in
        ((step * 1000 + i * size)..<(step * 1000 + i * size + size)).map { Int32($0) }
    })
}

func evaluationPlan(epoch: Int = 0, step: Int, microBatches: Int, size: Int = 4) -> EvaluationPlan {
    EvaluationPlan(epoch: epoch, step: step, sampleIDs: (0..<microBatches).map { i in
        ((i * size)..<(i * size + size)).map { Int32($0) }
    })
}

/// The deterministic "computation" of the tests: depends only on the item, never on who computed it.
func payload(for item: WorkItem) -> String {
    "\(item.key)|v\(item.parameterVersion)|\(item.sampleIDs.reduce(0, +))"
}

extension Array where Element == CoordinatorDirective {
    /// The items of every assignment sent to `worker`, in order.
    func assigned(to worker: WorkerID) -> [WorkItem] {
        flatMap { directive -> [WorkItem] in
            if case .send(let to, .assign(let items, _)) = directive, to == worker { return items }
            if case .send(let to, .assignDelta(let items, _)) = directive, to == worker { return items }
            return []
        }
    }

    /// Micro-batch indices assigned to `worker`.
    func assignedMicroBatches(to worker: WorkerID) -> [Int] { assigned(to: worker).map(\.key.microBatch) }

    /// Every message sent to `worker`.
    func messages(to worker: WorkerID) -> [CoordinatorMessage] {
        compactMap { directive in
            if case .send(let to, let message) = directive, to == worker { return message }
            return nil
        }
    }

    var commits: [JobResults<String>] {
        compactMap { if case .commitStep(let results) = $0 { return results } else { return nil } }
    }

    var evaluations: [JobResults<String>] {
        compactMap { if case .finishEvaluation(let results) = $0 { return results } else { return nil } }
    }

    var drops: [DropReason] {
        compactMap { if case .log(let record) = $0 { return record.drop } else { return nil } }
    }

    var deaths: [(WorkerID, [WorkKey])] {
        compactMap { if case .declareDead(let id, let keys) = $0 { return (id, keys) } else { return nil } }
    }
}

extension CoordinatorMessage {
    var isNoWork: Bool { if case .noWork = self { return true } else { return false } }
    var isHeartbeat: Bool { if case .heartbeat = self { return true } else { return false } }
}

extension CoordinatorMachine where Payload == String {
    /// Sends the correct result for `item` from `worker`.
    mutating func complete(_ item: WorkItem, by worker: WorkerID, at now: Instant) -> [Directive] {
        handle(.resultArrived(worker, key: item.key, parameterVersion: item.parameterVersion,
                              samples: item.sampleIDs.count, payload: payload(for: item)), at: now)
    }

    /// Welcomes `workers` (all compatible) at `now`.
    mutating func join(_ workers: [WorkerID], at now: Instant) -> [Directive] {
        workers.flatMap { handle(.workerHello($0, compatible: .success(())), at: now) }
    }
}

/// SplitMix64: a tiny seedable generator so property tests replay exactly.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
