import Foundation
import SNNCluster
import Testing

/// Measured compression ratios (raw / wire) for the data the cluster sends. Printed, not asserted beyond
/// "sparse data compresses": DESIGN says measure and report, never claim what was not measured.
@Suite("Compression ratios (measured)")
struct CodecCompressionRatioTests {
    static let count = 1 << 20

    static func gaussian(_ rng: inout SeededGenerator, sigma: Float) -> [Float] {
        (0..<count).map { _ in
            let u1 = Float.random(in: Float.ulpOfOne..<1, using: &rng), u2 = Float.random(in: 0..<1, using: &rng)
            return sigma * (-2 * logf(u1)).squareRoot() * cosf(2 * .pi * u2)
        }
    }

    static func ratio(_ raw: [UInt8], _ filter: FrameEnvelope.Filter) -> Double {
        let frame = FrameEnvelope.encode(raw, filter: filter, compress: true).frame
        return Double(raw.count) / Double(frame.count)
    }

    static func report(_ label: String, _ r: Double) {
        print("compression \(label): \(String(format: "%.3f", r))x")
    }

    @Test("gradients: dense fp32, fixed point after shuffle, sparse rows")
    func gradients() throws {
        var rng = SeededGenerator(seed: 30)
        let dense = Self.gaussian(&rng, sigma: 1e-3)
        let denseBytes = ArrayBytes.bytes(of: dense)
        Self.report("dense fp32 N(0,1e-3), LZ4", Double(denseBytes.count) / Double((LZ4Block.compress(denseBytes) ?? denseBytes).count))
        Self.report("dense fp32 N(0,1e-3), shuffle4+LZ4", Self.ratio(denseBytes, .shuffle4))
        for sigma: Float in [1e-3, 1e-5] {
            let g = sigma == 1e-3 ? dense : Self.gaussian(&rng, sigma: sigma)
            let fixed = ArrayBytes.bytes(of: try FixedPoint.encode(g))
            Self.report("fixed-point N(0,\(sigma)), LZ4 without shuffle",
                        Double(fixed.count) / Double((LZ4Block.compress(fixed) ?? fixed).count))
            Self.report("fixed-point N(0,\(sigma)), shuffle8+LZ4", Self.ratio(fixed, .shuffle8))
            let zz = Self.ratio(fixed, .zigzagShuffle8)
            Self.report("fixed-point N(0,\(sigma)), zigzag+shuffle8+LZ4 (the wire's choice)", zz)
            #expect(zz > 1)
        }
        // A 2048×512 weight gradient where 70 % of the input rows were silent (exact zero rows).
        var sparse = dense
        for row in 0..<(Self.count / 512) where Float.random(in: 0..<1, using: &rng) < 0.7 {
            for j in 0..<512 { sparse[row * 512 + j] = 0 }
        }
        let sparseFloat = Self.ratio(ArrayBytes.bytes(of: sparse), .shuffle4)
        let sparseFixed = Self.ratio(ArrayBytes.bytes(of: try FixedPoint.encode(sparse)), .zigzagShuffle8)
        Self.report("sparse (70% zero rows) fp32, LZ4", Self.ratio(ArrayBytes.bytes(of: sparse), .none))
        Self.report("sparse (70% zero rows) fp32, shuffle4+LZ4", sparseFloat)
        Self.report("sparse (70% zero rows) fixed-point, zigzag+shuffle8+LZ4", sparseFixed)
        #expect(sparseFloat >= 1)
        #expect(sparseFixed >= 1)

        // The same through the message codec, as metrics will log it.
        let result = WorkResult(key: WireSamples.key, parameterVersion: 1, samples: 16, lossSum: 1, correct: 1,
                                computeNanos: 1, steps: 1, gradient: try FixedPoint.encode(dense), statistics: [], counters: [],
                                spikesPerLayer: [])
        let e = try WireCodec.encode(.result(result), runID: WireSamples.runID)
        print("RESULT message, 1 Mi fixed-point gradient N(0,1e-3): raw \(e.rawBytes) B, wire \(e.wireBytes) B, ratio \(String(format: "%.3f", Double(e.rawBytes) / Double(e.wireBytes)))x")
    }

    @Test("spike tensors: bytes vs bit-packed, with LZ4")
    func spikes() {
        var rng = SeededGenerator(seed: 31)
        for rate in [0.02, 0.10] {
            let spikes = (0..<(4 * Self.count)).map { _ in UInt8(Double.random(in: 0..<1, using: &rng) < rate ? 1 : 0) }
            let frame = SpikeCodec.encode(spikes)
            let packedOnly = BitPack.packedCount(spikes.count)
            Self.report("spikes \(Int(rate * 100))%, bytes LZ4", Self.ratio(spikes, .none))
            Self.report("spikes \(Int(rate * 100))%, bit-pack only (vs bytes)", Double(spikes.count) / Double(packedOnly))
            Self.report("spikes \(Int(rate * 100))%, bit-pack+LZ4 (vs packed)", Double(packedOnly) / Double(frame.count))
            Self.report("spikes \(Int(rate * 100))%, bit-pack+LZ4 (vs bytes)", Double(spikes.count) / Double(frame.count))
            #expect(Double(spikes.count) / Double(frame.count) >= 1)
        }
    }
}
