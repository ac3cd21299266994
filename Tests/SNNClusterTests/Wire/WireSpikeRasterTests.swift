import Foundation
import SNNCluster
import Testing

/// SPIKES (PROTOCOL.md §5): bit-exact round trip through bit-packing, LZ4 and the frame envelope, and the
/// rules a receiver enforces.
@Suite struct WireSpikeRasterTests {
    @Test func roundTripIsBitExactAtEveryRate() throws {
        var rng = SeededGenerator(seed: 11)
        for (steps, neurons, rate) in [(4, 3136, 0.02), (4, 3136, 0.3), (25, 100, 0.0), (1, 1, 1.0), (7, 13, 0.5)] {
            let spikes = (0..<(steps * neurons)).map { _ in Double.random(in: 0..<1, using: &rng) < rate ? UInt8(1) : 0 }
            let raster = SpikeRaster(epoch: 1, sample: 3, layer: 2, steps: steps, neurons: neurons, spikes: spikes)
            #expect(Int(raster.spikeCount) == spikes.filter { $0 == 1 }.count)
            let enc = try WireCodec.encode(.spikeRaster(raster), runID: WireSamples.runID)
            let dec = try WireCodec.decode(enc.frames)
            guard case .spikeRaster(let back) = dec.message else { Issue.record("decoded \(dec.message.kind)"); continue }
            #expect(back == raster)
            #expect(try back.spikes() == spikes)                     // every (t, n) bit as sent
            #expect(dec.kind == .spikeRaster && dec.kind.description == "SPIKES")
        }
    }

    @Test func sparseRastersShrinkBelowOneBitPerNeuronStep() throws {
        var rng = SeededGenerator(seed: 12)
        let n = 4 * 3136
        // 1 % firing: bit-packed is n / 8 bytes; LZ4 must do better on the long zero runs.
        let spikes = (0..<n).map { _ in Double.random(in: 0..<1, using: &rng) < 0.01 ? UInt8(1) : 0 }
        let enc = try WireCodec.encode(.spikeRaster(SpikeRaster(epoch: 0, sample: 0, layer: 0, steps: 4, neurons: 3136, spikes: spikes)),
                                       runID: WireSamples.runID)
        let bitsFrame = enc.frames[2].count
        #expect(bitsFrame < n / 8)
    }

    @Test func receiverRejectsInconsistentRasters() throws {
        let good = SpikeRaster(epoch: 0, sample: 0, layer: 0, steps: 3, neurons: 3, spikes: [1, 0, 0, 0, 1, 0, 0, 0, 1])
        var wrongCount = good; wrongCount.spikeCount = 2
        var padding = good; padding.bits[1] |= 0b10; padding.spikeCount = 4           // bit 9 is past T × N
        var short = good; short.bits = [good.bits[0]]
        var noSteps = good; noSteps.steps = 0
        for (bad, code) in [(wrongCount, WireError.Code.countMismatch), (padding, .invalidValue), (short, .countMismatch), (noSteps, .invalidValue)] {
            #expect(throws: WireError.self) { _ = try WireCodec.encode(.spikeRaster(bad), runID: WireSamples.runID) }
            do { _ = try WireCodec.encode(.spikeRaster(bad), runID: WireSamples.runID) } catch { #expect(error.code == code) }
        }
        #expect(throws: WireError.self) { _ = try WireCodec.encode(.spikeRaster(good), runID: nil) }   // needs the run id
    }
}
