#if canImport(Glibc)
import Glibc
#endif

/// Process-wide settings the engine needs for speed.
public enum Runtime {
    /// Pins BLAS to one thread and keeps freed activation buffers in the heap.
    ///
    /// Every pass allocates activations of tens of MiB; glibc would return such blocks to the kernel on free
    /// (mmap/munmap) and fault them in again, zeroed, on the next pass — a third of the time of a conv network.
    /// Raising the mmap and trim thresholds to their maximum keeps them for reuse. One arena: glibc gives every
    /// further thread its own arena made of heaps of at most 64 MiB, which cannot hold a micro-batch's activations;
    /// it maps a new heap for them and unmaps it when they are freed, so every pass faulted its pages in again,
    /// zeroed (W2 training: 47 % of the CPU time was in the kernel). The main arena grows by `brk` and keeps what
    /// it got. The threads allocate a few large blocks per layer, so sharing one arena costs no measurable waiting.
    public static func configure() {
        BLAS.useSingleThread()
        unblockSignals()
        #if os(Linux)
        _ = glibcMallopt(-8 /* M_ARENA_MAX */, 1)
        _ = glibcMallopt(-3 /* M_MMAP_THRESHOLD */, 32 << 20)
        _ = glibcMallopt(-1 /* M_TRIM_THRESHOLD */, 1 << 30)
        #endif
    }
}

extension Runtime {
    /// Clears the signal mask this process inherited. Some launchers (Foundation's `Process` among them) start
    /// children with nearly every signal blocked; a coordinator or worker started that way would ignore SIGTERM
    /// and Ctrl-C, and pass the mask on to the workers it starts.
    public static func unblockSignals() {
        #if canImport(Glibc)
        var none = sigset_t()
        sigemptyset(&none)
        pthread_sigmask(SIG_SETMASK, &none, nil)
        #endif
    }
}

#if os(Linux)
/// glibc's mallopt (declared in <malloc.h>, which the Glibc module does not export).
@_silgen_name("mallopt")
func glibcMallopt(_ parameter: Int32, _ value: Int32) -> Int32
#endif

/// Non-zero counting for event-driven operation counts.
public enum Events {
    /// Number of non-zero values in `p[0..<n]`.
    @inlinable
    public static func nonZeros(_ p: UnsafePointer<Float>, count n: Int) -> Int {
        var acc = SIMD16<Int32>(repeating: 0)
        let zero = SIMD16<Float>(repeating: 0)
        let one = SIMD16<Int32>(repeating: 1), none = SIMD16<Int32>(repeating: 0)
        var i = 0
        let raw = UnsafeRawPointer(p)
        while i + 16 <= n {
            let v = raw.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self)
            acc &+= none.replacing(with: one, where: v .!= zero)
            i += 16
        }
        var c = Int(acc.wrappedSum())
        while i < n { if p[i] != 0 { c += 1 }; i += 1 }
        return c
    }
}
