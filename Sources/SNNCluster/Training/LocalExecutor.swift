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

    public init(threads: Int) { self.threads = max(1, threads) }

    public func run(_ work: [MicroBatch], method: any TrainingMethod, data: LabeledImages,
                    parameters: [Float], state: [Float]) -> [MicroBatchResult] {
        let box = ResultBox(count: work.count)
        let next = Counter()
        DispatchQueue.concurrentPerform(iterations: min(threads, work.count)) { _ in
            while true {
                let i = next.take()
                if i >= work.count { break }
                box.set(i, method.run(work[i], data: data, parameters: parameters, state: state))
            }
        }
        return box.results()
    }
}

/// A lock-protected claim counter.
final class Counter: @unchecked Sendable {
    private var value = 0
    private let lock = NSLock()
    func take() -> Int { lock.lock(); defer { lock.unlock() }; value += 1; return value - 1 }
}

/// Collects results written by several threads into their slots.
final class ResultBox: @unchecked Sendable {
    private var slots: [MicroBatchResult?]
    private let lock = NSLock()
    init(count: Int) { slots = Array(repeating: nil, count: count) }
    func set(_ i: Int, _ r: MicroBatchResult) { lock.lock(); slots[i] = r; lock.unlock() }
    func results() -> [MicroBatchResult] { slots.map { $0! } }
}
