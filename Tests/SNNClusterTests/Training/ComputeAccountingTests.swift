import Foundation
import Testing
import SNNMethods
import SNNCluster

/// Compute time is CPU time of the computing thread (`ComputeClock`), so what a step records can never exceed the
/// CPU time the process spent, whatever the load on the machine.
@Suite struct ComputeAccountingTests {
    /// A sleeping thread uses no CPU: the compute clock does not advance by the sleep (a wall clock would advance by
    /// at least 300 ms).
    @Test func computeClockIsThreadCPUTimeNotWallTime() {
        let before = ComputeClock.threadCPUNanos()
        Thread.sleep(forTimeInterval: 0.3)
        let spent = ComputeClock.threadCPUNanos() - before
        #expect(spent < 150_000_000, "a sleeping thread was charged \(spent) ns")
    }

    /// Steps run on 3 threads at once (more than the 2 cores CI has, so slots wait for a core): the compute each
    /// step records (summed over its micro-batches) is at most the CPU time of the whole process over the same
    /// interval, and more than zero.
    @Test func recordedComputeOfAStepIsAtMostTheProcessCPUTime() throws {
        let train = tinyImages(count: 48, seed: 1)
        let s = tinySession(microBatch: 4)
        let exec = LocalExecutor(threads: 3)
        for _ in 0..<3 {
            let cpuBefore = ComputeClock.processCPUNanos()
            let results = exec.run(s.nextStepWork(), method: s.method, data: train, parameters: s.parameters, state: s.state)
            let cpuAfter = ComputeClock.processCPUNanos()
            let outcome = try s.commit(results)
            _ = s.advanceEpochIfDone()
            #expect(results.count == 6)
            #expect(outcome.computeNanos > 0)
            #expect(outcome.computeNanos <= cpuAfter - cpuBefore,
                    "recorded \(outcome.computeNanos) ns of compute, the process used \(cpuAfter - cpuBefore) ns of CPU")
        }
    }
}
