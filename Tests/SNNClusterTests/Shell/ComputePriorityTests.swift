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

    /// The lowered thread runs SCHED_BATCH at the base nice plus `levels`, whatever the thread that spawned it ran at:
    /// in this test process, in-process workers' compute threads lower pooled Dispatch threads, and the test itself
    /// may run on one of them (its spawned thread inherits that), so the check is against `baseNice`, not against
    /// the spawning thread's nice.
    @Test func aComputeThreadRunsBelowTheProcess() throws {
        ComputePriority.prepare()
        let id = ComputePriority.currentThreadID()
        #expect(id != nil && id! > 0)
        let niceHere = Self.niceOfCurrentThread(), policyHere = Self.policyOfCurrentThread()
        final class Box: @unchecked Sendable { var before: Int?; var policyBefore: Int?; var after: Int?; var policy: Int? }
        let box = Box()
        let done = DispatchSemaphore(value: 0)
        let t = Thread {
            // Back to SCHED_OTHER (allowed without privilege), so that the lowering is seen whatever was inherited;
            // a nice value can only go up without privilege, so an inherited +5 stays.
            var param = sched_param(sched_priority: 0)
            _ = pthread_setschedparam(pthread_self(), 0, &param)
            box.before = Self.niceOfCurrentThread()
            box.policyBefore = Self.policyOfCurrentThread()
            ComputePriority.lowerCurrentThread()
            box.after = Self.niceOfCurrentThread()
            box.policy = Self.policyOfCurrentThread()
            done.signal()
        }
        t.start()
        done.wait()
        let b = try #require(box.before), a = try #require(box.after)
        #expect(box.policyBefore == 0)
        if ComputePriority.levels == 0 {                                  // SNN_COMPUTE_NICE=0: left as it was
            #expect(a == b && box.policy == 0)
        } else {
            let want = min(19, Int(ComputePriority.baseNice) + Int(ComputePriority.levels))
            #expect(b <= want && a == want, "nice \(b) → \(a), base \(ComputePriority.baseNice), levels \(ComputePriority.levels)")
            #expect(box.policy == 3)                                      // SCHED_OTHER → SCHED_BATCH
        }
        // This thread is untouched.
        #expect(Self.niceOfCurrentThread() == niceHere && Self.policyOfCurrentThread() == policyHere)
    }
}
