#if canImport(Glibc)
import Glibc
#endif

/// How many cores this process may compute on: the CPUs in its affinity mask, capped by a cgroup v2 CPU quota.
///
/// `ProcessInfo.activeProcessorCount` counts every online CPU of the machine. Under Slurm (`--cpus-per-task`),
/// `taskset`, `numactl` or a container limited with `--cpus`, that is more cores than the job holds, and a thread
/// per counted core oversubscribes the ones it does hold. Every default thread count (`--threads` absent, the
/// coordinator's reduction threads, `--local-workers`' split of the cores) uses this count instead.
public enum AvailableCores {
    /// The cores of the calling thread's affinity mask (inherited by the threads and processes it starts), at most
    /// the cgroup quota, at least 1.
    public static var count: Int {
        var cores = affinityCount() ?? onlineCount()
        if let text = readSmallFile("/sys/fs/cgroup/cpu.max"), let quota = quotaCores(cpuMax: text) {
            cores = min(cores, quota)
        }
        return max(1, cores)
    }

    /// Cores allowed by a cgroup v2 `cpu.max` line ("QUOTA PERIOD" in microseconds, or "max PERIOD" for none):
    /// the quota rounded up to whole cores, so 1.5 cores of quota allow 2 threads. `nil` when unlimited or unreadable.
    public static func quotaCores(cpuMax: String) -> Int? {
        let fields = cpuMax.split(whereSeparator: { $0 == " " || $0 == "\n" })
        guard fields.count >= 2, fields[0] != "max",
              let quota = Int(fields[0]), let period = Int(fields[1]), quota > 0, period > 0 else { return nil }
        return max(1, (quota + period - 1) / period)
    }

    /// CPUs in the calling thread's affinity mask, or `nil` where the mask cannot be read.
    public static func affinityCount() -> Int? {
        #if canImport(Glibc)
        // glibc declares sched_getaffinity only under _GNU_SOURCE, which Swift's Glibc module does not set.
        guard let symbol = dlsym(nil, "sched_getaffinity") else { return nil }
        typealias GetAffinity = @convention(c) (pid_t, Int, UnsafeMutableRawPointer) -> Int32
        let getAffinity = unsafeBitCast(symbol, to: GetAffinity.self)
        var mask = [UInt64](repeating: 0, count: 16)  // 1,024 CPUs, glibc's cpu_set_t
        let ok = mask.withUnsafeMutableBytes { getAffinity(0, $0.count, $0.baseAddress!) == 0 }
        guard ok else { return nil }
        let bits = mask.reduce(0) { $0 + $1.nonzeroBitCount }
        return bits > 0 ? bits : nil
        #else
        return nil
        #endif
    }

    private static func onlineCount() -> Int {
        #if canImport(Glibc)
        return max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
        #else
        return 1
        #endif
    }

    private static func readSmallFile(_ path: String) -> String? {
        #if canImport(Glibc)
        guard let f = fopen(path, "r") else { return nil }
        defer { fclose(f) }
        var buffer = [CChar](repeating: 0, count: 128)
        guard fgets(&buffer, Int32(buffer.count), f) != nil else { return nil }
        return String(cString: buffer)
        #else
        return nil
        #endif
    }
}
