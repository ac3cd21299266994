import Foundation
import SNNCluster
import Testing

/// `ComputePriority`: a compute thread runs `levels` nice levels below the process; read back from the kernel
/// (`/proc/thread-self/stat`, field 19), on a thread of its own so no shared pool thread is lowered.
struct ComputePriorityTests {
    static func niceOfCurrentThread() -> Int? {
        guard let stat = try? String(contentsOfFile: "/proc/thread-self/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        return Int(fields[16])   // field 19 of the line; fields after the command start at field 3
    }

    @Test func aComputeThreadRunsBelowTheProcess() throws {
        ComputePriority.prepare()
        let id = ComputePriority.currentThreadID()
        #expect(id != nil && id! > 0)
        final class Box: @unchecked Sendable { var before: Int?; var after: Int? }
        let box = Box()
        let done = DispatchSemaphore(value: 0)
        let t = Thread {
            box.before = Self.niceOfCurrentThread()
            ComputePriority.lowerCurrentThread()
            box.after = Self.niceOfCurrentThread()
            done.signal()
        }
        t.start()
        done.wait()
        let b = try #require(box.before), a = try #require(box.after)
        #expect(a == min(19, b + Int(ComputePriority.levels)), "nice \(b) → \(a), levels \(ComputePriority.levels)")
        #expect(Self.niceOfCurrentThread() == b)   // this thread is untouched
    }
}
