import Foundation
import SNNClusterLogic
import SNNCore

/// A worker's fixed-point gradient sum per training step, built on the compute threads as each micro-batch ends,
/// so that the loop thread does not add the 1.7 MB (demo spec) gradients itself (issue 11, item 3).
///
/// Why: the worker machine holds a step's finished items and merges their payloads into one RESULT (protocol 3).
/// When the loop thread did the gradient additions, each cost about 0.3–0.5 ms of it (perf, demo spec), one of them on
/// the step's serial path after the last micro-batch and the others taking a core from a computing slot. Here the
/// thread that computed a micro-batch adds its gradient into the step's sum (exact, so the order does not matter), and
/// the payload the machine merges carries everything but the gradient. When the machine sends the step's RESULT,
/// `take` hands over the sum, but only if it covers exactly the micro-batches the RESULT names; anything else (a
/// computation abandoned at a reconnect that still finished, a micro-batch computed twice) answers a failure, and the
/// worker reports those items failed (WORK_FAILED), so they are computed again: never a wrong sum.
public final class StepGradientStaging: @unchecked Sendable {
    private struct Entry {
        var sum: [Int64]
        var covered: Set<Int>
        /// How many contributions the sum holds when every one of them was in the fast range (|x| < 2^19, which makes
        /// an overflow impossible below `FixedPointKernels.maximumFastContributions`); nil once one was not.
        var fastContributions: Int?
        /// Why the sum can no longer be sent (a micro-batch added twice).
        var spoiled: String?
    }

    private var entries: [JobID: Entry] = [:]
    private let lock = NSLock()

    public init() {}

    /// Adds micro-batch `microBatch`'s fixed-point gradient into job `job`'s sum; all or nothing. Throws on overflow
    /// (the sum is left as it was, and the micro-batch reported failed by the caller).
    public func add(job: JobID, microBatch: Int, fixedPoint gradient: [Int64]) throws(ExactSumError) {
        try add(job: job, microBatch: microBatch, gradient: gradient, fast: false)
    }

    private func add(job: JobID, microBatch: Int, gradient: [Int64], fast: Bool) throws(ExactSumError) {
        lock.lock(); defer { lock.unlock() }
        guard var e = entries.removeValue(forKey: job) else {
            entries[job] = Entry(sum: gradient, covered: [microBatch], fastContributions: fast ? 1 : nil)
            return
        }
        defer { entries[job] = e }
        e.fastContributions = nil
        if e.covered.contains(microBatch) { e.spoiled = "micro-batch \(microBatch) of \(job) was added twice"; return }
        guard e.sum.count == gradient.count else { e.spoiled = "gradients of \(e.sum.count) and \(gradient.count) values"; return }
        do { try FixedPoint.add(into: &e.sum, gradient) } catch { throw ExactSumError(description: "cannot merge results: \(error.message)") }
        e.covered.insert(microBatch)
    }

    /// Adds micro-batch `microBatch`'s float gradient, rounded to fixed point, into job `job`'s sum: in one pass when
    /// this and every earlier contribution are in the fast range (no overflow possible), else rounded first and added
    /// with the overflow check. Throws on a non-finite or out-of-range value, or overflow; the sum is then unchanged.
    public func add(job: JobID, microBatch: Int, gradient: [Float]) throws(ExactSumError) {
        let fast = gradient.withUnsafeBufferPointer { g in g.baseAddress.map { FixedPointKernels.allFast($0, count: g.count) } ?? true }
        lock.lock()
        if fast, fastPathOpen(job: job, microBatch: microBatch, count: gradient.count), var e = entries.removeValue(forKey: job),
           let k = e.fastContributions {   // `e` holds the only reference to the sum: added to in place
            e.sum.withUnsafeMutableBufferPointer { acc in
                gradient.withUnsafeBufferPointer { g in
                    if let a = acc.baseAddress, let x = g.baseAddress { FixedPointKernels.encodeAddFast(x, count: g.count, into: a) }
                }
            }
            e.covered.insert(microBatch)
            e.fastContributions = k + 1
            entries[job] = e
            lock.unlock()
            return
        }
        lock.unlock()
        let encoded = try ExactSum.encode(gradient)
        try add(job: job, microBatch: microBatch, gradient: encoded, fast: fast)
    }

    /// Whether job `job` holds a sum of fast contributions only that `microBatch` may join in one pass (caller holds
    /// the lock). A separate function, so no second reference to the sum outlives the check.
    private func fastPathOpen(job: JobID, microBatch: Int, count: Int) -> Bool {
        guard let e = entries[job], let k = e.fastContributions else { return false }
        return k < FixedPointKernels.maximumFastContributions && e.spoiled == nil && !e.covered.contains(microBatch)
            && e.sum.count == count
    }

    /// The sum of job `job`, removed, when it covers exactly `microBatches`; otherwise why not (the entry is removed
    /// too: its items are failed and computed again).
    /// Sums of earlier jobs, left by items that were never sent (abandoned, failed), are dropped at the same time.
    public func take(job: JobID, covering microBatches: [Int]) -> Result<[Int64], StagingMismatch> {
        lock.lock(); defer { lock.unlock() }
        for old in entries.keys where old < job { entries[old] = nil }
        guard let e = entries.removeValue(forKey: job) else {
            return .failure(StagingMismatch(description: "no gradient sum for \(job)"))
        }
        if let why = e.spoiled { return .failure(StagingMismatch(description: why)) }
        guard e.covered == Set(microBatches) else {
            return .failure(StagingMismatch(description: "the gradient sum of \(job) covers micro-batches \(e.covered.sorted()), the result \(microBatches)"))
        }
        return .success(e.sum)
    }

    /// Forgets every sum (a reconnect: the machine dropped what it held).
    public func clear() {
        lock.lock(); defer { lock.unlock() }
        entries.removeAll()
    }

    /// Jobs with a sum held (tests, diagnostics).
    public var jobs: [JobID] {
        lock.lock(); defer { lock.unlock() }
        return entries.keys.sorted()
    }
}

/// Why a staged sum cannot be sent.
public struct StagingMismatch: Error, CustomStringConvertible {
    public let description: String
}
