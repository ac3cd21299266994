import Foundation
import SNNCluster
import Testing

@Suite("Codecs: LZ4, byte shuffle, bit packing")
struct CodecTests {
    @Test("LZ4 round-trips and refuses a wrong or oversized declared length")
    func lz4Bounds() throws {
        let data = (0..<10_000).map { UInt8(truncatingIfNeeded: $0 / 37) }
        let packed = try #require(LZ4Block.compress(data))
        #expect(packed.count < data.count)
        #expect(try LZ4Block.decompress(packed[...], rawLength: data.count, limit: data.count) == data)
        #expect(throws: WireError.self) { try LZ4Block.decompress(packed[...], rawLength: data.count - 1, limit: 1 << 20) }
        #expect(throws: WireError.self) { try LZ4Block.decompress(packed[...], rawLength: data.count + 1, limit: 1 << 20) }
        #expect(throws: WireError.self) { try LZ4Block.decompress(packed[...], rawLength: data.count, limit: data.count - 1) }
        #expect(throws: WireError.self) { try LZ4Block.decompress([0xFF, 0xFF][...], rawLength: 1 << 20, limit: 1 << 30) }
        #expect(throws: WireError.self) { try LZ4Block.decompress([][...], rawLength: 0, limit: 10) }
    }

    @Test("LZ4 cannot expand beyond the ratio bound the decoder assumes")
    func lz4RatioBound() throws {
        let zeros = [UInt8](repeating: 0, count: 8 << 20)
        let packed = try #require(LZ4Block.compress(zeros))
        print("LZ4 8 MiB of zeros -> \(packed.count) bytes (ratio \(zeros.count / packed.count):1)")
        #expect(zeros.count <= LZ4Block.maxRawLength(compressedLength: packed.count))
        #expect(try LZ4Block.decompress(packed[...], rawLength: zeros.count, limit: zeros.count) == zeros)
    }

    @Test("frame envelope stores incompressible data and compresses the rest")
    func envelope() throws {
        var rng = SeededGenerator(seed: 10)
        let noise = (0..<4096).map { _ in UInt8.random(in: 0...255, using: &rng) }
        let stored = FrameEnvelope.encode(noise, filter: .shuffle4, compress: true)
        #expect(!stored.compressed && stored.frame.count == noise.count + 8)
        #expect(try FrameEnvelope.decode(stored.frame, limit: 4096, name: "t") == noise)
        let smooth = ArrayBytes.bytes(of: (0..<1024).map { Int64($0) })
        for filter in FrameEnvelope.Filter.allCases where !filter.narrows {   // 13, 14: CodecNarrowingTests
            let packed = FrameEnvelope.encode(smooth, filter: filter, compress: true)
            #expect(packed.compressed)
            #expect(packed.frame[1] == filter.rawValue)
            #expect(try FrameEnvelope.decode(packed.frame, limit: smooth.count, name: "t") == smooth)
        }
        let packed = FrameEnvelope.encode(smooth, filter: .zigzagShuffle8, compress: true)
        #expect(throws: WireError.self) { try FrameEnvelope.decode(packed.frame, limit: smooth.count - 1, name: "t") }
    }

    @Test("byte shuffle of 4- and 8-byte elements inverts exactly, tails included")
    func shuffleRoundTrip() {
        var rng = SeededGenerator(seed: 11)
        for width in [4, 8] {
            for n in [0, 1, 7, 8, 9, 64, 1001] {
                let data = (0..<n).map { _ in UInt8.random(in: 0...255, using: &rng) }
                let s = ByteShuffle.shuffle(data, width: width)
                #expect(ByteShuffle.unshuffle(s, width: width) == data)
            }
        }
        let two: [UInt32] = [0x0403_0201, 0x0807_0605]
        #expect(ByteShuffle.shuffle(ArrayBytes.bytes(of: two), width: 4) == [1, 5, 2, 6, 3, 7, 4, 8])
    }

    @Test("ZigZag maps small signed values to small unsigned ones and inverts exactly")
    func zigzag() {
        let values: [Int64] = [0, -1, 1, -2, 2, .max, .min, -123_456_789]
        var bytes = ArrayBytes.bytes(of: values)
        ZigZag.encode64(&bytes)
        #expect(Array(ArrayBytes.integers(bytes, as: UInt64.self)!.prefix(5)) == [0, 1, 2, 3, 4])
        ZigZag.decode64(&bytes)
        #expect(ArrayBytes.integers(bytes, as: Int64.self) == values)
    }

    @Test("bit packing is LSB-first and rejects wrong lengths and padding")
    func bitPack() throws {
        let spikes: [UInt8] = [1, 0, 0, 0, 0, 0, 0, 1, 1, 0, 2]
        let packed = BitPack.pack(spikes)
        #expect(packed == [0b1000_0001, 0b101])
        #expect(try BitPack.unpack(packed, count: spikes.count) == spikes.map { $0 != 0 ? 1 : 0 })
        #expect(throws: WireError.self) { try BitPack.unpack(packed, count: 17) }
        #expect(throws: WireError.self) { try BitPack.unpack([0b1000_0001, 0b1101], count: 11) }
        #expect(BitPack.pack([Float](arrayLiteral: 0, 1, 1)) == [0b110])
        var rng = SeededGenerator(seed: 12)
        let big = (0..<100_003).map { _ in UInt8(Double.random(in: 0..<1, using: &rng) < 0.05 ? 1 : 0) }
        #expect(try SpikeCodec.decode(SpikeCodec.encode(big), count: big.count) == big)
    }
}

@Suite("Fixed-point gradients")
struct CodecFixedPointTests {
    @Test("sums are bit-identical whatever the order or partition")
    func associativeSums() throws {
        var rng = SeededGenerator(seed: 20)
        let n = 24, length = 2000
        let grads = (0..<n).map { _ in (0..<length).map { _ in Float.random(in: -0.5...0.5, using: &rng) } }
        let fixed = try grads.map { try FixedPoint.encode($0) }

        func sum(_ order: [Int]) throws -> [Int64] {
            var acc = [Int64](repeating: 0, count: length)
            for i in order { try FixedPoint.add(into: &acc, fixed[i]) }
            return acc
        }
        /// Sum within groups (one per "worker") first, then the group sums in reverse.
        func partitioned(_ workers: Int) throws -> [Int64] {
            var partials: [[Int64]] = []
            for w in 0..<workers {
                var acc = [Int64](repeating: 0, count: length)
                for i in stride(from: w, to: n, by: workers) { try FixedPoint.add(into: &acc, fixed[i]) }
                partials.append(acc)
            }
            var total = [Int64](repeating: 0, count: length)
            for p in partials.reversed() { try FixedPoint.add(into: &total, p) }
            return total
        }
        let reference = try sum(Array(0..<n))
        #expect(try sum(Array((0..<n).reversed())) == reference)
        #expect(try sum(Array(0..<n).shuffled(using: &rng)) == reference)
        #expect(try partitioned(2) == reference)
        #expect(try partitioned(4) == reference)
        #expect(try partitioned(3) == reference)

        // For contrast: the float sum in two orders usually differs in the last bits.
        let f1 = grads.reduce(into: [Float](repeating: 0, count: length)) { a, g in for j in 0..<length { a[j] += g[j] } }
        let f2 = grads.reversed().reduce(into: [Float](repeating: 0, count: length)) { a, g in for j in 0..<length { a[j] += g[j] } }
        print("fixed point: 5 orders/partitions identical; float32 sums differ in \(zip(f1, f2).filter { $0 != $1 }.count) of \(length) elements between two orders")
    }

    @Test("round trip error is at most 2^-33 per element")
    func roundTripError() throws {
        var rng = SeededGenerator(seed: 21)
        var values: [Float] = (0..<20_000).map { _ in Float.random(in: -1...1, using: &rng) * powf(10, Float.random(in: -12...2, using: &rng)) }
        values += [0, -0.0, 1e-12, -3e-10, 1_073_741_760, -1_073_741_760, .leastNonzeroMagnitude, 0.1]
        let decoded = FixedPoint.decode(try FixedPoint.encode(values))
        let bound = pow(2.0, -33.0)
        var worst = 0.0
        for (x, y) in zip(values, decoded) { worst = max(worst, abs(Double(x) - Double(y))) }
        #expect(worst <= bound)
        print("fixed point round trip: worst error \(worst) (bound 2^-33 = \(bound))")
        #expect(FixedPoint.decode([Int64(3) << 32], dividedBy: 2) == [1.5])
    }

    @Test("NaN, infinity and |x| ≥ 2^30 are rejected with a clear error")
    func rejects() {
        for (bad, code) in [(Float.nan, WireError.Code.nonFinite), (.infinity, .nonFinite), (-.infinity, .nonFinite),
                            (1_073_741_824, .outOfRange), (-2e9, .outOfRange)] {
            do {
                _ = try FixedPoint.encode([0, 1, bad])
                Issue.record("\(bad) accepted")
            } catch {
                #expect(error.code == code)
                #expect(error.message.contains("[2]"))
            }
        }
    }

    @Test("add detects overflow and leaves the accumulator unchanged")
    func overflow() {
        var acc: [Int64] = [1, 2, .max - 1, 4]
        let before = acc
        #expect(throws: WireError.self) { try FixedPoint.add(into: &acc, [10, 20, 5, 40]) }
        #expect(acc == before)
        #expect(throws: WireError.self) { try FixedPoint.add(into: &acc, [1]) }
    }
}
