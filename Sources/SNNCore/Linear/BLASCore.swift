#if canImport(Glibc)
import Glibc
#endif

/// Choosing OpenBLAS's kernel family (its "core") when its own detection falls back to a generic one.
///
/// Debian's OpenBLAS 0.3.21 picks its core once, while the library loads, from the CPU model. On CPUs it does
/// not know by model (a virtualised "Intel Xeon Processor", e.g. under gVisor) it falls back to "Prescott", the
/// SSE3 kernels: sgemm then runs 5–9x slower than with the AVX-512 "SkylakeX" kernels the CPU supports
/// (measured 5.8 vs 32–57 GFLOP/s single-threaded at n = 256). The choice can only be changed before the library
/// loads, through `OPENBLAS_CORETYPE`, so a binary that finds itself on a generic core while the CPU reports
/// AVX2/FMA or AVX-512 sets the variable and re-executes itself (same pid, arguments and descriptors).
///
/// The core is part of the build id a worker reports, so every process of a run on such a machine ends on the same
/// core by the same rule. An `OPENBLAS_CORETYPE` the user set (even empty) is always left as it is.
extension BLAS {
    /// Cores OpenBLAS 0.3.21 uses as generic fallbacks for an x86-64 CPU it does not recognise.
    static let genericCores: Set<String> = ["prescott", "core2", "penryn", "dunnington", "nehalem", "unknown"]

    /// The core to force for a CPU with these `/proc/cpuinfo` flags, or nil to keep OpenBLAS's choice:
    /// "SkylakeX" with AVX-512 F/BW/DQ/VL/CD, else "Haswell" with AVX2 and FMA.
    public static func preferredCore(cpuFlags: Set<String>) -> String? {
        if ["avx512f", "avx512bw", "avx512dq", "avx512vl", "avx512cd"].allSatisfy(cpuFlags.contains) { return "SkylakeX" }
        if cpuFlags.contains("avx2") && cpuFlags.contains("fma") { return "Haswell" }
        return nil
    }

    /// The core to switch to, given the one OpenBLAS chose and the CPU's flags; nil to keep it.
    public static func coreToForce(current: String, cpuFlags: Set<String>) -> String? {
        guard genericCores.contains(current.lowercased()), let better = preferredCore(cpuFlags: cpuFlags),
              better.lowercased() != current.lowercased() else { return nil }
        return better
    }

    /// The flags of the first processor in `/proc/cpuinfo` (empty where it cannot be read).
    public static func cpuFlags(cpuinfo: String) -> Set<String> {
        for line in cpuinfo.split(separator: "\n") where line.hasPrefix("flags") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            return Set(line[line.index(after: colon)...].split(separator: " ").map(String.init))
        }
        return []
    }

    /// The core the product's binaries end on, on this machine, after `selectCoreForThisCPU` (the one their build
    /// id names); a process that does not re-execute itself (a test runner) computes it with this.
    public static var coreOfTheBinaries: String { coreToSelect() ?? coreName }

    /// The core `selectCoreForThisCPU` switches to on this machine, nil when it keeps OpenBLAS's choice (the user
    /// set `OPENBLAS_CORETYPE`, OpenBLAS recognised the CPU, or the CPU has neither AVX2+FMA nor AVX-512).
    static func coreToSelect() -> String? {
        #if os(Linux)
        guard getenv("OPENBLAS_CORETYPE") == nil, let info = readSmallFile("/proc/cpuinfo") else { return nil }
        return coreToForce(current: coreName, cpuFlags: cpuFlags(cpuinfo: info))
        #else
        return nil
        #endif
    }

    /// Call first thing in `main`: re-executes this binary with `OPENBLAS_CORETYPE` set when OpenBLAS fell back to
    /// a generic core on a CPU with AVX2/FMA or AVX-512 and the user did not set the variable. Returns when nothing
    /// is to be done or the re-exec failed (the process then runs on, on the generic core).
    public static func selectCoreForThisCPU() {
        #if os(Linux)
        guard let core = coreToSelect() else { return }
        setenv("OPENBLAS_CORETYPE", core, 1)
        var args = CommandLine.arguments.map { strdup($0) }
        args.append(nil)
        execv("/proc/self/exe", args)
        // exec failed: stay on the generic core, but keep the environment as it was for children.
        unsetenv("OPENBLAS_CORETYPE")
        #endif
    }

    private static func readSmallFile(_ path: String) -> String? {
        guard let f = fopen(path, "r") else { return nil }
        defer { fclose(f) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while bytes.count < 1 << 22 {
            let n = fread(&buffer, 1, buffer.count, f)
            if n <= 0 { break }
            bytes.append(contentsOf: buffer[0..<n])
            // The first processor's flags come early; no need to read every core's block.
            if bytes.count >= 65536 { break }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
