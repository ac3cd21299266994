import Foundation
import SNNCluster
import Testing

/// Feeds mutated encodings of every message kind to `WireCodec.decode`. Every outcome must be a validated
/// message or a `WireError`: a trap would kill the test process, a hang or huge allocation would show as
/// a slow decode. Seeded, so a failure reproduces; the seed and iteration are in every failure message.
@Suite("Fuzz: WireCodec.decode")
struct FuzzWireDecodeTests {
    /// `SNN_FUZZ_SEED` and `SNN_FUZZ_ITERATIONS` override the CI-sized defaults (`scripts/fuzz` runs 1 000 000).
    static let seed: UInt64 = ProcessInfo.processInfo.environment["SNN_FUZZ_SEED"].flatMap { UInt64($0) } ?? 0x5EED_F00D
    static let iterations = ProcessInfo.processInfo.environment["SNN_FUZZ_ITERATIONS"].flatMap { Int($0) } ?? 120_000

    @Test("mutated messages (120 000 in CI) decode or fail with WireError, never crash or hang")
    func fuzzDecode() throws {
        var rng = SeededGenerator(seed: Self.seed)
        var corpus: [[[UInt8]]] = []
        for (message, runID) in WireSamples.all(&rng) {
            for threshold in [0, 512, Int.max] {
                corpus.append(try WireCodec.encode(message, runID: runID, compressAbove: threshold).frames)
            }
        }
        var accepted = 0
        var codes: [WireError.Code: Int] = [:]
        var slowest: Double = 0
        let start = Date()
        for iteration in 0..<Self.iterations {
            var frames = corpus[Int.random(in: 0..<corpus.count, using: &rng)]
            for _ in 0..<Int.random(in: 1...3, using: &rng) { Self.mutate(&frames, &rng) }
            let t0 = DispatchTime.now().uptimeNanoseconds
            do {
                let decoded = try WireCodec.decode(frames)
                accepted += 1
                // Whatever the decoder accepts must be a message our encoder accepts too.
                let again = try WireCodec.encode(decoded.message, runID: decoded.runID)
                #expect(try WireCodec.decode(again.frames).message == decoded.message,
                        "seed \(Self.seed) iteration \(iteration): accepted mutant does not round-trip")
            } catch {
                codes[error.code, default: 0] += 1
            }
            slowest = max(slowest, Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9)
        }
        let elapsed = Date().timeIntervalSince(start)
        let summary = codes.sorted { $0.value > $1.value }.map { "\($0.key.rawValue)=\($0.value)" }.joined(separator: " ")
        print("fuzz: \(Self.iterations) mutants in \(String(format: "%.2f", elapsed)) s, accepted \(accepted), slowest decode \(String(format: "%.4f", slowest)) s; rejected: \(summary)")
        #expect(slowest < 1, "a single decode took \(slowest) s")
        #expect(codes.count >= 8, "mutations should exercise many rejection paths")
    }

    /// Applies one random mutation.
    static func mutate(_ frames: inout [[UInt8]], _ rng: inout SeededGenerator) {
        func pick() -> Int? { frames.isEmpty ? nil : Int.random(in: 0..<frames.count, using: &rng) }
        func randomBytes(_ n: Int) -> [UInt8] { (0..<n).map { _ in UInt8.random(in: 0...255, using: &rng) } }
        func putU32(_ v: UInt32, frame f: Int, at offset: Int) {
            guard offset >= 0, offset + 4 <= frames[f].count else { return }
            withUnsafeBytes(of: v.littleEndian) { frames[f].replaceSubrange(offset..<(offset + 4), with: $0) }
        }
        switch Int.random(in: 0..<13, using: &rng) {
        case 0, 1:   // bit flip
            if let f = pick(), !frames[f].isEmpty {
                let i = Int.random(in: 0..<frames[f].count, using: &rng)
                frames[f][i] ^= 1 << UInt8.random(in: 0...7, using: &rng)
            }
        case 2:      // random byte
            if let f = pick(), !frames[f].isEmpty {
                frames[f][Int.random(in: 0..<frames[f].count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
            }
        case 3:      // truncation
            if let f = pick() { frames[f] = Array(frames[f].prefix(Int.random(in: 0...frames[f].count, using: &rng))) }
        case 4:      // extension
            if let f = pick() { frames[f] += randomBytes(Int.random(in: 1...64, using: &rng)) }
        case 5:      // swapped frames
            if let a = pick(), let b = pick() { frames.swapAt(a, b) }
        case 6:      // dropped or duplicated frame
            if let f = pick() {
                if Bool.random(using: &rng) { frames.remove(at: f) } else { frames.insert(frames[f], at: f) }
            }
        case 7:      // frame replaced by random bytes of random length
            if let f = pick() { frames[f] = randomBytes(Int.random(in: 0...96, using: &rng)) }
        case 8:      // header fields: type, flags, frame count
            if !frames.isEmpty, frames[0].count >= 32 {
                switch Int.random(in: 0..<3, using: &rng) {
                case 0: frames[0][6] = UInt8.random(in: 0...11, using: &rng)
                case 1: frames[0][8] ^= 1
                default: frames[0][30] = UInt8.random(in: 0...7, using: &rng)
                }
            }
        case 9:      // envelope: huge or wrong claimed raw size
            if frames.count > 1 {
                let f = Int.random(in: 1..<frames.count, using: &rng)
                let claims: [UInt32] = [.max, 0x7FFF_FFFF, 1 << 29, 1 << 20, 0, 1,
                                        UInt32(truncatingIfNeeded: frames[f].count * 300),
                                        UInt32.random(in: 0...UInt32.max, using: &rng)]
                putU32(claims[Int.random(in: 0..<claims.count, using: &rng)], frame: f, at: 4)
            }
        case 10:     // envelope: codec / shuffle bytes
            if frames.count > 1 {
                let f = Int.random(in: 1..<frames.count, using: &rng)
                if frames[f].count >= 2 { frames[f][Int.random(in: 0...1, using: &rng)] = UInt8.random(in: 0...9, using: &rng) }
            }
        case 11:     // corrupt LZ4 stream body
            if frames.count > 1 {
                let f = Int.random(in: 1..<frames.count, using: &rng)
                if frames[f].count > 8 {
                    let start = Int.random(in: 8..<frames[f].count, using: &rng)
                    let n = min(frames[f].count - start, Int.random(in: 1...16, using: &rng))
                    frames[f].replaceSubrange(start..<(start + n), with: randomBytes(n))
                }
            }
        default:     // random count / length field in a body
            if frames.count > 1 {
                let f = Int.random(in: 1..<frames.count, using: &rng)
                let values: [UInt32] = [0, 1, 0xFFFF, 0x10000, 0x10001, .max, UInt32.random(in: 0...4096, using: &rng)]
                putU32(values[Int.random(in: 0..<values.count, using: &rng)], frame: f,
                       at: Int.random(in: 0...max(0, frames[f].count - 4), using: &rng))
            }
        }
    }
}
