import Dispatch
import Foundation
import SNNMethods
import SNNModel

/// Runs micro-batches on this machine: `threads` at once, each single-threaded, results in index order.
///
/// Because every micro-batch is computed by the same deterministic single-threaded code, the results do not depend
/// on `threads`.
public struct LocalExecutor: Sendable {
    public let threads: Int
    /// Significant bits kept of each training gradient (run spec `training.communication.gradientBits`), rounded on
    /// the computing thread as a worker rounds it; nil = exact.
    public var gradientBits: Int?

    public init(threads: Int, gradientBits: Int? = nil) { self.threads = max(1, threads); self.gradientBits = gradientBits }

    public func run(_ work: [MicroBatch], method: any TrainingMethod, data: LabeledImages,
                    parameters: [Float], state: [Float]) -> [MicroBatchResult] {
        let box = SlotBox<MicroBatchResult>(count: work.count)
        let next = Counter()
        DispatchQueue.concurrentPerform(iterations: min(threads, work.count)) { _ in
            while true {
                let i = next.take()
                if i >= work.count { break }
                box.set(i, method.run(work[i], data: data, parameters: parameters, state: state))
            }
        }
        return box.values()
    }
}

extension LocalExecutor {
    /// Training micro-batches, each rounded to fixed point on the thread that computed it (as a worker does), in
    /// index order. Throws the first micro-batch's (by index) non-finite or out-of-range gradient.
    public func runTraining(_ work: [MicroBatch], method: any TrainingMethod, data: LabeledImages,
                            parameters: [Float], state: [Float]) throws(ExactSumError) -> [StepContribution] {
        try runTraining(work, method: method, data: data, parameters: parameters, state: state, trace: nil, step: "")
    }

    /// The same, marking `s.cbegin` / `s.cend` with the thread's CPU clock per micro-batch in `trace` (key
    /// `<step>:<index>`), as a worker marks `w.cbegin` / `w.cend` (GapTrace.swift).
    func runTraining(_ work: [MicroBatch], method: any TrainingMethod, data: LabeledImages,
                     parameters: [Float], state: [Float], trace: GapTrace?, step: String) throws(ExactSumError) -> [StepContribution] {
        try runEach(work, method: method, data: data, parameters: parameters, state: state, trace: trace, step: step) {
            i, r throws(ExactSumError) in try StepContribution(microBatch: i, r)
        }
    }

    /// Runs `work` on up to `threads` threads, each micro-batch turned into `C` by `make` on the thread that
    /// computed it, marking `s.cbegin` / `s.cend` per micro-batch in `trace`; results in index order, or the first
    /// micro-batch's (by index) error.
    private func runEach<C>(_ work: [MicroBatch], method: any TrainingMethod, data: LabeledImages,
                            parameters: [Float], state: [Float], trace: GapTrace?, step: String,
                            _ make: @escaping @Sendable (Int, MicroBatchResult) throws(ExactSumError) -> C) throws(ExactSumError) -> [C] {
        let box = SlotBox<Result<C, ExactSumError>>(count: work.count)
        let next = Counter()
        let bits = gradientBits
        DispatchQueue.concurrentPerform(iterations: min(threads, work.count)) { _ in
            while true {
                let i = next.take()
                if i >= work.count { break }
                trace?.markStart("s.cbegin", "\(step):\(i)", cpu: .thread)
                var r = method.run(work[i], data: data, parameters: parameters, state: state)
                r.roundGradient(bits: bits)
                box.set(i, Result { () throws(ExactSumError) in try make(i, r) })
                trace?.markEnd("s.cend", "\(step):\(i)", cpu: .thread)
            }
        }
        return try box.values().map { r throws(ExactSumError) in try r.get() }
    }
}

extension LocalExecutor {
    /// `runTraining` for the standalone commit: each micro-batch's gradient range-checked on the thread that
    /// computed it and kept as floats (`LocalContribution`), in index order. Throws as `runTraining` does.
    public func runTrainingLocal(_ work: [MicroBatch], method: any TrainingMethod, data: LabeledImages,
                                 parameters: [Float], state: [Float]) throws(ExactSumError) -> [LocalContribution] {
        try runTrainingLocal(work, method: method, data: data, parameters: parameters, state: state, trace: nil, step: "")
    }

    /// The same, marking `s.cbegin` / `s.cend` per micro-batch in `trace` as `runTraining(_:…trace:step:)` does.
    func runTrainingLocal(_ work: [MicroBatch], method: any TrainingMethod, data: LabeledImages,
                          parameters: [Float], state: [Float], trace: GapTrace?,
                          step: String) throws(ExactSumError) -> [LocalContribution] {
        try runEach(work, method: method, data: data, parameters: parameters, state: state, trace: trace, step: step) {
            i, r throws(ExactSumError) in try LocalContribution(microBatch: i, r)
        }
    }
}

/// Collects values written by several threads into their slots.
final class SlotBox<Value>: @unchecked Sendable {
    private var slots: [Value?]
    private let lock = NSLock()
    init(count: Int) { slots = Array(repeating: nil, count: count) }
    func set(_ i: Int, _ v: Value) { lock.lock(); slots[i] = v; lock.unlock() }
    func values() -> [Value] { slots.map { $0! } }
}

/// A lock-protected claim counter.
final class Counter: @unchecked Sendable {
    private var value = 0
    private let lock = NSLock()
    func take() -> Int { lock.lock(); defer { lock.unlock() }; value += 1; return value - 1 }
}
