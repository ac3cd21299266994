#pragma once
// The vector width the build targets, for kernels whose register blocking depends on it. Swift has no compile-time
// test of target features, but the Clang importer receives the same `-target-cpu` as the Swift code (Package.swift),
// so this macro says what the Swift kernels compile to: 512 where `SIMD16<Float>` is one zmm register (AVX-512,
// 32 vector registers), 256 where it is two ymm registers (AVX2, 16 vector registers), 128 otherwise.
#if defined(__AVX512F__)
#define SNN_VECTOR_REGISTER_BITS 512
#elif defined(__AVX2__) || defined(__AVX__)
#define SNN_VECTOR_REGISTER_BITS 256
#else
#define SNN_VECTOR_REGISTER_BITS 128
#endif
