#if canImport(Glibc)
import Glibc
#endif

/// The clock compute time is accounted with: CPU time of the calling thread, not wall time.
///
/// A micro-batch runs single-threaded on one slot (BLAS is kept single-threaded), so the CPU time of that
/// thread is exactly what the micro-batch cost. Wall time is not: on shared cores a slot that waits for a
/// core still counts its wait, and the summed "compute" of a step's slots then exceeds the step's wall
/// time. With thread CPU time, the compute recorded for a step can never exceed the CPU time the worker
/// processes spent (`MicroBatchResult.computeNanos`, RESULT's compute time, the metrics' `compute_ms`).
public enum ComputeClock {
    /// CPU nanoseconds consumed so far by the calling thread (`CLOCK_THREAD_CPUTIME_ID`).
    @inline(__always) public static func threadCPUNanos() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }

    /// CPU nanoseconds consumed so far by the whole process, all threads (`CLOCK_PROCESS_CPUTIME_ID`).
    public static func processCPUNanos() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }
}
