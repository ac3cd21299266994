import Foundation
import SNNCluster
import SNNClusterLogic
import Testing

/// PROTOCOL.md §3.3 filters 13 and 14 (`Narrowing`, `FrameEnvelope.narrowed`), checked against the page's words
/// written out byte by byte here: ZigZag (13 only), keep the low W bytes little-endian, W the fewest that hold every
/// element; and the envelope rules a receiver enforces on hostile frames.
struct CodecNarrowingTests {
    /// The page: ZigZag of each i64, then its low `w` bytes, element after element.
    static func referenceNarrow(_ values: [Int64], width w: Int) -> [UInt8] {
        values.flatMap { v -> [UInt8] in
            let z = UInt64(bitPattern: (v << 1) ^ (v >> 63))
            return (0..<w).map { UInt8(truncatingIfNeeded: z >> (8 * UInt64($0))) }
        }
    }

    /// The fewest bytes holding every ZigZag value, found by trying widths upward.
    static func referenceWidth(_ values: [Int64]) -> Int {
        (1...8).first { w in
            values.allSatisfy { v in w == 8 || UInt64(bitPattern: (v << 1) ^ (v >> 63)) < (UInt64(1) << UInt64(8 * w)) }
        }!
    }

    /// Values whose ZigZag needs exactly `w` bytes at most, of both signs.
    static func values(count: Int, width w: Int, rng: inout SeededGenerator) -> [Int64] {
        let bound: UInt64 = w == 8 ? .max : (UInt64(1) << UInt64(8 * w)) - 1
        return (0..<count).map { _ in
            let z = UInt64.random(in: 0...bound, using: &rng)
            return Int64(bitPattern: (z >> 1) ^ (0 &- (z & 1)))
        }
    }

    @Test("i64: width, narrowing and widening match the page at every width and tail length")
    func int64RoundTrip() throws {
        var rng = SeededGenerator(seed: 131)
        for w in 1...8 {
            for n in [0, 1, 2, 3, 7, 8, 9, 17, 100, 1001] {
                var v = Self.values(count: n, width: w, rng: &rng)
                if n > 0 { v[n / 2] = w == 8 ? .min : Int64(bitPattern: ((UInt64(1) << UInt64(8 * w - 1)) - 1)) }   // needs all w bytes
                let width = v.withUnsafeBufferPointer { Narrowing.width(zigzag: $0) }
                #expect(width == (n == 0 ? 1 : Self.referenceWidth(v)), "w \(w) n \(n)")
                var bytes = [UInt8](repeating: 0xAA, count: n * width)
                v.withUnsafeBufferPointer { src in bytes.withUnsafeMutableBytes { Narrowing.narrow(zigzag: src, width: width, into: $0.baseAddress ?? UnsafeMutableRawPointer(bitPattern: 8)!) } }
                #expect(bytes == Self.referenceNarrow(v, width: width), "w \(w) n \(n)")
                var back = [Int64](repeating: 0, count: n)
                bytes.withUnsafeBytes { src in back.withUnsafeMutableBufferPointer { Narrowing.widen(zigzag: src.baseAddress ?? UnsafeRawPointer(bitPattern: 8)!, width: width, into: $0) } }
                #expect(back == v, "w \(w) n \(n)")
            }
        }
    }

    @Test("u32: width, narrowing and widening match the page")
    func uint32RoundTrip() {
        var rng = SeededGenerator(seed: 132)
        for w in 1...4 {
            for n in [1, 2, 3, 4, 5, 33, 1000] {
                let bound: UInt32 = w == 4 ? .max : (UInt32(1) << UInt32(8 * w)) - 1
                var v = (0..<n).map { _ in UInt32.random(in: 0...bound, using: &rng) }
                v[n - 1] = bound
                let width = v.withUnsafeBufferPointer { Narrowing.width($0) }
                #expect(width == w)
                var bytes = [UInt8](repeating: 0x55, count: n * w)
                v.withUnsafeBufferPointer { src in bytes.withUnsafeMutableBytes { Narrowing.narrow(src, width: w, into: $0.baseAddress!) } }
                #expect(bytes == v.flatMap { x in (0..<w).map { UInt8(truncatingIfNeeded: x >> (8 * UInt32($0))) } })
                var back = [UInt32](repeating: 0, count: n)
                bytes.withUnsafeBytes { src in back.withUnsafeMutableBufferPointer { Narrowing.widen(src.baseAddress!, width: w, into: $0) } }
                #expect(back == v)
            }
        }
    }

    @Test("a narrowed frame has the page's envelope and decodes to the raw little-endian bytes")
    func envelopeLayout() throws {
        var rng = SeededGenerator(seed: 133)
        let v = Self.values(count: 777, width: 5, rng: &rng)
        let frame = try #require(FrameEnvelope.narrowed(v))
        let w = Self.referenceWidth(v)
        #expect(w == 5 && frame.count == 8 + 777 * 5)
        #expect(Array(frame[0..<4]) == [0, 13, 5, 0])
        let rawLength: Int = (0..<4).reduce(0) { (sum: Int, i: Int) -> Int in sum | Int(frame[4 + i]) << (8 * i) }
        #expect(rawLength == 777 * 8)
        #expect(Array(frame[8...]) == Self.referenceNarrow(v, width: 5))
        #expect(try FrameEnvelope.decode(frame, limit: 777 * 8, name: "t") == ArrayBytes.bytes(of: v))

        let deltas: [UInt32] = (0..<500).map { UInt32($0 * 97 % 65_536) }
        let d = try #require(FrameEnvelope.narrowed(deltas))
        #expect(Array(d[0..<4]) == [0, 14, 2, 0] && d.count == 8 + 500 * 2)
        #expect(try FrameEnvelope.decode(d, limit: 2000, name: "t") == ArrayBytes.bytes(of: deltas))
        // Nothing to save: every element needs its full width.
        #expect(FrameEnvelope.narrowed([Int64.min, 1]) == nil)
        #expect(FrameEnvelope.narrowed([UInt32.max]) == nil)
    }

    @Test("hostile narrowed envelopes are rejected before anything is allocated")
    func hostileEnvelopes() throws {
        let good = try #require(FrameEnvelope.narrowed((0..<64).map { Int64($0) - 32 }))   // W = 1
        #expect(good[2] == 1)
        func rejected(_ edit: (inout [UInt8]) -> Void) -> Bool {
            var f = good
            edit(&f)
            do { _ = try FrameEnvelope.decode(f, limit: 1 << 20, name: "t"); return false } catch { return true }
        }
        #expect(rejected { $0[0] = 1 })                        // LZ4 codec with a narrowing filter
        #expect(rejected { $0[2] = 0 })                        // 0 bytes per element
        #expect(rejected { $0[2] = 9 })                        // more bytes than an i64 has
        #expect(rejected { $0[1] = 14; $0[2] = 5 })            // u32 narrowed to 5 bytes
        #expect(rejected { $0[3] = 1 })                        // reserved byte
        #expect(rejected { $0.removeLast() })                  // data length is not elements × W
        #expect(rejected { $0 += [0] })
        #expect(rejected { $0[4] = 65 })                       // raw length 65: not whole i64s
        #expect(rejected { $0[4] = 0; $0[5] = 0; $0[6] = 0; $0[7] = 1 })   // 16 MiB raw claimed from 64 bytes
        // Byte 2 is 0 for every other filter.
        let plain = FrameEnvelope.encode([UInt8](repeating: 7, count: 64), filter: .shuffle4, compress: false).frame
        var bad = plain
        bad[2] = 4
        #expect(throws: WireError.self) { try FrameEnvelope.decode(bad, limit: 64, name: "t") }
        #expect(try FrameEnvelope.decode(plain, limit: 64, name: "t") == [UInt8](repeating: 7, count: 64))
        // A narrowed frame of zero elements is valid and empty.
        #expect(try FrameEnvelope.decode([0, 13, 3, 0, 0, 0, 0, 0], limit: 64, name: "t") == [])
    }

    @Test("messages between processes of one machine carry RESULT gradients and WORK deltas narrowed, and decode unchanged")
    func storedMessagesNarrow() throws {
        var rng = SeededGenerator(seed: 134)
        let gradient = Self.values(count: 3000, width: 5, rng: &rng)
        let key = WorkKey(epoch: 0, step: 3, microBatch: 2, phase: .train)
        let result = WorkResult(key: key, parameterVersion: 4, samples: 64, lossSum: 12.5, correct: 40, computeNanos: 9,
                                steps: 8, gradient: gradient, statistics: [1, 2, 3, 4], counters: [5, -6], spikesPerLayer: [7, 8],
                                microBatches: [2, 3])
        let runID = UUID()
        let stored = try WireCodec.encode(.result(result), runID: runID, compressAbove: .max)
        #expect(stored.frames[2][1] == 13 && stored.frames[2][2] == 5 && stored.frames[2].count == 8 + 3000 * 5)
        #expect(stored.payload[1].rawBytes == 3000 * 8 && !stored.payload[1].compressed)
        let back = try WireCodec.decode(stored.frames)
        #expect(back.message == .result(result))
        #expect(back.rawBytes == stored.rawBytes)
        // Compressed (a network): filter 15 (protocol 6) and LZ4.
        let packed = try WireCodec.encode(.result(result), runID: runID)
        #expect(packed.frames[2][0] == 1 && packed.frames[2][1] == 15)
        #expect(try WireCodec.decode(packed.frames).message == .result(result))

        let delta = ParameterDelta(baseVersion: 3, parameters: (0..<2048).map { UInt32($0 % 300) }, state: [1, 2, 3],
                                   checksum: 0xfeed)
        let work = Message.work(WorkAssignment(key: WorkKey(epoch: 0, step: 1, microBatch: 0, phase: .train), parameterVersion: 4,
                                               seed: 5, sampleIndices: [1, 2], delta: delta))
        let w = try WireCodec.encode(work, runID: runID, compressAbove: .max)
        #expect(w.frames[3][1] == 14 && w.frames[3][2] == 2)   // the parameter deltas, 2 bytes each
        #expect(w.frames[4][1] == 0)                          // 12 bytes of state: below the narrowing threshold
        #expect(try WireCodec.decode(w.frames).message == work)
    }
}
