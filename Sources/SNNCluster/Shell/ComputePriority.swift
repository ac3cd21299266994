import Foundation

/// Runs a worker's micro-batches as SCHED_BATCH, a few nice levels below its message loop (issue 11, item 3).
///
/// Why: on a machine where the coordinator and the workers share cores (`--local-workers`, or a worker on the head
/// node) every core computes a micro-batch most of the time, and the threads that move a step forward (the
/// coordinator sending the next WORK, a worker decoding it) had to wait for a time slice behind them. Traced on the
/// demo spec with 2 local workers: after the first WORK of a step left, the coordinator lost its core to the first
/// worker's new micro-batch for 2.5 ms, and the second worker started that much later. With the compute threads at a
/// lower priority (CFS weight about a third at +5) and as SCHED_BATCH (no wakeup advantage of their own), a waking loop
/// thread takes a core at once; the compute threads still get every cycle the loops do not use, so a worker alone on
/// its machine loses nothing. Measured on the demo spec with 1 local worker: its second slot started a step 0.5 – 0.75 ms
/// after the first on average (up to 4 ms), 0.03 ms with this. Neither change needs a privilege.
public enum ComputePriority {
    /// Nice levels the compute threads run below the process (0 turns it off: `SNN_COMPUTE_NICE=0`).
    public static let levels: Int32 = {
        if let v = ProcessInfo.processInfo.environment["SNN_COMPUTE_NICE"], let n = Int32(v), (0...19).contains(n) { return n }
        return 5
    }()

    /// The process's nice value when this was first read (the loop thread's).
    private static let base: Int32 = {
        errno = 0
        let p = getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0)
        return errno == 0 ? p : 0
    }()

    /// Lowers the calling thread (a compute thread) to `base + levels`; cheap enough to call per micro-batch.
    public static func lowerCurrentThread() {
        guard levels > 0 else { return }
        // SCHED_BATCH (3; Swift's Glibc does not export the name): no wakeup advantage over the loop threads, which a
        // compute thread waking at a step's start otherwise has for a few milliseconds (its sleep credit).
        var param = sched_param(sched_priority: 0)
        _ = pthread_setschedparam(pthread_self(), 3, &param)
        guard let tid = currentThreadID() else { return }
        _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), tid, min(19, base + levels))
    }

    /// The kernel's id of the calling thread (`/proc/thread-self` links to `<pid>/task/<tid>`; Swift's Glibc has no
    /// `gettid`, and `syscall` is variadic).
    public static func currentThreadID() -> id_t? {
        var buffer = [CChar](repeating: 0, count: 64)
        let n = readlink("/proc/thread-self", &buffer, buffer.count - 1)
        guard n > 0 else { return nil }
        let path = String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return path.split(separator: "/").last.flatMap { id_t($0) }
    }

    /// Reads the base now, on the loop thread, before any compute thread lowers itself.
    public static func prepare() { _ = base }

    /// The nice value compute threads are lowered from (the process's, read once by `prepare()` or the first lowering).
    public static var baseNice: Int32 { base }
}
