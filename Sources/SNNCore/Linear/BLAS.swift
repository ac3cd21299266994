import CBLAS

/// Row-major single-precision GEMM through OpenBLAS.
///
/// Every micro-batch runs single-threaded (parallelism is across micro-batches), so OpenBLAS is pinned to one
/// thread: that keeps results bit-identical whatever the worker's thread count (OpenBLAS with one thread is
/// deterministic for a given CPU kernel) and avoids oversubscribing the cores.
public enum BLAS {
    /// Pins OpenBLAS to one thread. Call once at process start, before any GEMM.
    public static func useSingleThread() { openblas_set_num_threads(1) }

    /// The OpenBLAS core (kernel family) chosen at run time, e.g. "Cooperlake". Workers report it: bit-identical
    /// results across machines need the same one.
    public static var coreName: String {
        guard let p = openblas_get_corename() else { return "unknown" }
        return String(cString: p)
    }

    /// C[m×n] = alpha · op(A) · op(B) + beta · C, all row-major. op(A) is m×k, op(B) is k×n.
    @inlinable
    public static func gemm(transA: Bool = false, transB: Bool = false, m: Int, n: Int, k: Int,
                            alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
                            b: UnsafePointer<Float>, ldb: Int,
                            beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int) {
        if m == 0 || n == 0 { return }
        if k == 0 {
            if beta == 0 { for i in 0..<m { (c + i * ldc).update(repeating: 0, count: n) } }
            else if beta != 1 { for i in 0..<m { for j in 0..<n { c[i * ldc + j] *= beta } } }
            return
        }
        cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// Plain triple-loop GEMM (Double accumulation) used as the reference in tests.
    public static func gemmReference(transA: Bool = false, transB: Bool = false, m: Int, n: Int, k: Int,
                                     alpha: Float = 1, a: [Float], lda: Int, b: [Float], ldb: Int,
                                     beta: Float = 0, c: inout [Float], ldc: Int) {
        for i in 0..<m {
            for j in 0..<n {
                var s = 0.0
                for p in 0..<k {
                    let av = transA ? a[p * lda + i] : a[i * lda + p]
                    let bv = transB ? b[j * ldb + p] : b[p * ldb + j]
                    s += Double(av) * Double(bv)
                }
                let prior = beta == 0 ? 0 : beta * c[i * ldc + j]
                c[i * ldc + j] = alpha * Float(s) + prior
            }
        }
    }
}
