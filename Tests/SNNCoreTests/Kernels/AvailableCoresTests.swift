import Foundation
import Glibc
import SNNCore
import Testing

/// The default thread count follows what the process may use (affinity mask, cgroup quota), not the machine's
/// online CPUs: a Slurm job or a `taskset` pin would otherwise run a thread per core of the whole node.
@Suite struct AvailableCoresTests {
    @Test func cgroupQuotaIsRoundedUpToWholeCores() {
        #expect(AvailableCores.quotaCores(cpuMax: "max 100000\n") == nil)
        #expect(AvailableCores.quotaCores(cpuMax: "200000 100000\n") == 2)
        #expect(AvailableCores.quotaCores(cpuMax: "150000 100000") == 2)
        #expect(AvailableCores.quotaCores(cpuMax: "50000 100000\n") == 1)
        #expect(AvailableCores.quotaCores(cpuMax: "800000 50000\n") == 16)
        #expect(AvailableCores.quotaCores(cpuMax: "") == nil)
        #expect(AvailableCores.quotaCores(cpuMax: "x y") == nil)
    }

    @Test func countIsWithinTheOnlineCPUs() {
        let online = Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
        #expect(AvailableCores.count >= 1)
        #expect(AvailableCores.count <= online)
        #expect((AvailableCores.affinityCount() ?? 0) >= 1)
    }

    /// A thread pinned to one CPU (as `taskset -c N` pins a process) counts one core.
    @Test func aThreadPinnedToOneCPUCountsOne() throws {
        typealias Affinity = @convention(c) (pid_t, Int, UnsafeMutableRawPointer) -> Int32
        let get = unsafeBitCast(try #require(dlsym(nil, "sched_getaffinity")), to: Affinity.self)
        let set = unsafeBitCast(try #require(dlsym(nil, "sched_setaffinity")), to: Affinity.self)
        var mine = [UInt64](repeating: 0, count: 16)
        try #require(mine.withUnsafeMutableBytes { get(0, $0.count, $0.baseAddress!) } == 0)
        // The first CPU of the current mask.
        let word = try #require(mine.firstIndex { $0 != 0 })
        let first = word * 64 + mine[word].trailingZeroBitCount
        let done = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var seen: (affinity: Int?, count: Int) = (nil, 0)
        let thread = Thread {
            var one = [UInt64](repeating: 0, count: 16)
            one[first / 64] = 1 << UInt64(first % 64)
            if one.withUnsafeMutableBytes({ set(0, $0.count, $0.baseAddress!) }) == 0 {
                seen = (AvailableCores.affinityCount(), AvailableCores.count)
            }
            done.signal()
        }
        thread.start()
        done.wait()
        #expect(seen.affinity == 1)
        #expect(seen.count == 1)
    }
}
