#pragma once
// The inner loop of the WORK values checksum (PROTOCOL.md §5 WORK, protocol 5; Swift side: `ValuesChecksum` in
// Sources/SNNCluster/Codecs/ValuesChecksum.swift, which does the words before and after whole blocks and the fold).
//
// Why C and not Swift: the 8 lanes are independent scalar multiply chains (one 64-bit multiply per word, about one
// per cycle). Written in Swift, LLVM's SLP vectorizer packs them into AVX-512 `vpmullq` on this project's machines
// (`-target-cpu native`), whose latency (15 cycles on Intel) makes the pass 2.2x slower than the scalar chains
// (measured: 77 against 35 us for 104,072 words). The empty asm statement below pins the 8 lane values in general
// registers, which is the one way to keep the vectorizer off this loop without disabling it for the whole module.
// It emits no instruction. Header-only (static inline), so it is compiled and inlined with the Swift code that calls it.
// SwiftPM does not track this header: after editing it, touch ValuesChecksum.swift or the build keeps the old loop.
#include <stdint.h>
#include <string.h>

/// For each of `blocks` blocks of 8 little-endian u64 words at `words` (any alignment): lane j takes word j,
/// lanes[j] = (lanes[j] XOR w) * 0x100000001b3 mod 2^64.
static inline void snn_values_checksum_blocks(uint64_t *lanes, const void *words, long blocks) {
    const uint64_t prime = 0x100000001b3ULL;
    const unsigned char *p = (const unsigned char *)words;
    uint64_t h0 = lanes[0], h1 = lanes[1], h2 = lanes[2], h3 = lanes[3];
    uint64_t h4 = lanes[4], h5 = lanes[5], h6 = lanes[6], h7 = lanes[7];
    for (long b = 0; b < blocks; b++, p += 64) {
        uint64_t w[8];
        memcpy(w, p, sizeof w);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
        for (int j = 0; j < 8; j++) w[j] = __builtin_bswap64(w[j]);
#endif
        h0 = (h0 ^ w[0]) * prime; h1 = (h1 ^ w[1]) * prime; h2 = (h2 ^ w[2]) * prime; h3 = (h3 ^ w[3]) * prime;
        h4 = (h4 ^ w[4]) * prime; h5 = (h5 ^ w[5]) * prime; h6 = (h6 ^ w[6]) * prime; h7 = (h7 ^ w[7]) * prime;
        __asm__("" : "+r"(h0), "+r"(h1), "+r"(h2), "+r"(h3), "+r"(h4), "+r"(h5), "+r"(h6), "+r"(h7));
    }
    lanes[0] = h0; lanes[1] = h1; lanes[2] = h2; lanes[3] = h3;
    lanes[4] = h4; lanes[5] = h5; lanes[6] = h6; lanes[7] = h7;
}
