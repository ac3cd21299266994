import Foundation
import SNNMethods

/// Diagnostics of where a step's time goes between processes (issue 11): when `SNN_GAP_TRACE` names a folder,
/// the coordinator and each worker record `<CLOCK_MONOTONIC ns> <event> <epoch:step:mb>` lines in memory and
/// write them to `<folder>/<role>-<pid>.trace` when they finish. CLOCK_MONOTONIC is one clock for every process of
/// the machine, so the files of local workers and their coordinator line up. `scripts/gap-table` turns them into
/// the per-step gap table. Off (and free) unless the variable is set; nothing reads these lines back.
///
/// Some events carry a CPU-time reading as a fourth column (`<ns> <event> <key> <cpu ns>`): the compute thread's
/// (`CLOCK_THREAD_CPUTIME_ID`) at the begin and end of each micro-batch, the whole process's
/// (`CLOCK_PROCESS_CPUTIME_ID`) once per step. `scripts/mb-table` compares them between a standalone run and a
/// cluster run of the same spec: CPU per micro-batch and per step does not depend on what else the machine runs,
/// wall time does.
final class GapTrace: @unchecked Sendable {
    static let folder: String? = ProcessInfo.processInfo.environment["SNN_GAP_TRACE"]

    private let path: String
    private var lines: [String] = []
    private let lock = NSLock()

    /// A trace for this process, or nil when tracing is off.
    static func make(role: String) -> GapTrace? {
        guard let folder else { return nil }
        return GapTrace(path: "\(folder)/\(role)-\(getpid()).trace")
    }

    private init(path: String) { self.path = path; lines.reserveCapacity(1 << 14) }

    static func nanos() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }

    /// Records `event` for the micro-batch `key` (any text) now; safe from any thread.
    func mark(_ event: String, _ key: String = "-") {
        let t = Self.nanos()
        lock.lock(); lines.append("\(t) \(event) \(key)"); lock.unlock()
    }

    /// Which CPU clock a mark reads: the calling thread's or the whole process's.
    enum CPUClock {
        case thread, process
        var nanos: UInt64 { self == .thread ? ComputeClock.threadCPUNanos() : ComputeClock.processCPUNanos() }
    }

    /// Records `event` for `key` with the clock's CPU time as the fourth column, reading the wall clock first: for the
    /// start of an interval. Marked this way at its start and with `markEnd` at its end, an interval's CPU time never
    /// exceeds its wall time.
    func markStart(_ event: String, _ key: String, cpu clock: CPUClock) {
        let t = Self.nanos(), cpu = clock.nanos
        lock.lock(); lines.append("\(t) \(event) \(key) \(cpu)"); lock.unlock()
    }

    /// Records `event` for `key` with the clock's CPU time, reading the CPU clock first: for the end of an interval.
    func markEnd(_ event: String, _ key: String, cpu clock: CPUClock) {
        let cpu = clock.nanos, t = Self.nanos()
        lock.lock(); lines.append("\(t) \(event) \(key) \(cpu)"); lock.unlock()
    }

    /// Records `event` for `key` at `nanos` (a `GapTrace.nanos()` taken earlier).
    func mark(_ event: String, _ key: String, at nanos: UInt64) {
        lock.lock(); lines.append("\(nanos) \(event) \(key)"); lock.unlock()
    }

    /// Writes what was recorded (once; later calls write what came since, appended).
    func flush() {
        lock.lock(); let out = lines; lines = []; lock.unlock()
        guard !out.isEmpty else { return }
        let text = out.joined(separator: "\n") + "\n"
        if let h = FileHandle(forWritingAtPath: path) {
            h.seekToEndOfFile(); h.write(Data(text.utf8)); try? h.close()
        } else {
            FileManager.default.createFile(atPath: path, contents: Data(text.utf8))
        }
    }
}

extension WorkKey {
    /// `epoch:step:mb` with the phase's initial (t/e), as the gap trace writes keys.
    var traceLabel: String { "\(phase == .train ? "t" : "e")\(epoch):\(step):\(microBatch)" }
}
