#pragma once
// Vector math the Swift kernels cannot express: Swift's `SIMD16<Float>.squareRoot()` takes every lane through the
// scalar `_stdlib_squareRootf` (16 `sqrtss` with an errno branch and lane inserts: the hot spot of the Adam update),
// while clang's element-wise builtin is one `llvm.sqrt` on the whole vector (`vsqrtps`, one zmm with AVX-512, two
// ymm with AVX2). IEEE square root is correctly rounded either way, so the bits are the same.

/// Sixteen floats; Swift imports this type as `SIMD16<Float>`.
typedef float snn_float16 __attribute__((ext_vector_type(16)));

/// The square root of every lane (IEEE, correctly rounded).
static inline __attribute__((always_inline)) snn_float16 snn_sqrt16(snn_float16 x) {
    return __builtin_elementwise_sqrt(x);
}
