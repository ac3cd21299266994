import SNNCore
import Testing

/// The rule that moves OpenBLAS off a generic fallback core (BLAS.selectCoreForThisCPU), checked on flag sets
/// taken from real /proc/cpuinfo lines.
struct BLASCoreTests {
    static let xeonAVX512 = "processor\t: 0\nflags\t\t: fpu sse sse2 ssse3 fma sse4_1 avx avx2 avx512f avx512dq avx512cd avx512bw avx512vl\nbogomips: 1\n"
    static let zen3 = "flags\t\t: fpu sse sse2 ssse3 fma sse4_1 avx avx2 bmi2\n"
    static let oldSSE = "flags\t\t: fpu sse sse2 sse3\n"

    @Test func readsTheFirstFlagsLine() {
        let flags = BLAS.cpuFlags(cpuinfo: Self.xeonAVX512 + "flags : other\n")
        #expect(flags.contains("avx512bw") && flags.contains("fma") && !flags.contains("other"))
        #expect(BLAS.cpuFlags(cpuinfo: "processor : 0\n").isEmpty)
    }

    @Test func forcesTheWidestSupportedCoreOnlyFromAGenericOne() {
        let avx512 = BLAS.cpuFlags(cpuinfo: Self.xeonAVX512), avx2 = BLAS.cpuFlags(cpuinfo: Self.zen3)
        #expect(BLAS.coreToForce(current: "Prescott", cpuFlags: avx512) == "SkylakeX")
        #expect(BLAS.coreToForce(current: "Prescott", cpuFlags: avx2) == "Haswell")
        #expect(BLAS.coreToForce(current: "Nehalem", cpuFlags: avx2) == "Haswell")
        // A core OpenBLAS recognised is kept, and a CPU without AVX2/FMA keeps its generic core.
        #expect(BLAS.coreToForce(current: "Cooperlake", cpuFlags: avx512) == nil)
        #expect(BLAS.coreToForce(current: "Zen", cpuFlags: avx2) == nil)
        #expect(BLAS.coreToForce(current: "Prescott", cpuFlags: BLAS.cpuFlags(cpuinfo: Self.oldSSE)) == nil)
    }
}
