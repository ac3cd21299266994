import Foundation
import SNNCluster
import Testing

/// `ComputePriority`: a compute thread runs SCHED_BATCH, `levels` nice levels below the process; read back from the
/// kernel (`/proc/thread-self/stat`, fields 19 and 41), on a thread of its own so no shared pool thread is changed.
struct ComputePriorityTests {
    /// Field `n` (1-based, as proc(5) numbers them) of the calling thread's `/proc/thread-self/stat`.
    static func statField(_ n: Int) -> Int? {
        guard let stat = try? String(contentsOfFile: "/proc/thread-self/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        return Int(fields[n - 3])   // the fields after the command start at field 3
    }
    static func niceOfCurrentThread() -> Int? { statField(19) }
    /// Scheduling policy: 0 SCHED_OTHER, 3 SCHED_BATCH.
    static func policyOfCurrentThread() -> Int? { statField(41) }

    @Test func aComputeThreadRunsBelowTheProcess() throws {
        ComputePriority.prepare()
        let id = ComputePriority.currentThreadID()
        #expect(id != nil && id! > 0)
        final class Box: @unchecked Sendable { var before: Int?; var after: Int?; var policy: Int? }
        let box = Box()
        let done = DispatchSemaphore(value: 0)
        let t = Thread {
            box.before = Self.niceOfCurrentThread()
            ComputePriority.lowerCurrentThread()
            box.after = Self.niceOfCurrentThread()
            box.policy = Self.policyOfCurrentThread()
            done.signal()
        }
        t.start()
        done.wait()
        let b = try #require(box.before), a = try #require(box.after)
        #expect(a == min(19, b + Int(ComputePriority.levels)), "nice \(b) → \(a), levels \(ComputePriority.levels)")
        #expect(box.policy == 3)                                          // SCHED_BATCH
        #expect(Self.niceOfCurrentThread() == b && Self.policyOfCurrentThread() == 0)   // this thread is untouched
    }
}
