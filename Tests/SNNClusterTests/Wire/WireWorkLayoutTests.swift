import Foundation
import SNNCluster
import SNNEnergy
import SNNMethods
import Testing

/// WORK and RESULT carry the machines' own types (issue 7, item 2): the `WorkKey`, the plan's `Int32` sample ids,
/// parameters and running state in separate frames, the method's `steps` and the fixed-point gradient of a
/// `StepContribution`. Layouts are checked against PROTOCOL.md §5's offsets.
@Suite struct WireWorkLayoutTests {
    static let item = WorkItem(MicroBatch(epoch: 1, step: 4, index: 2, phase: .evaluate, samples: [9, 0, 7], seed: 0xABCD),
                               parameterVersion: 6)

    @Test("WORK: 60-byte body with parameter and state counts and checksum, parameters and state in frames 3 and 4")
    func workLayout() throws {
        let values = ModelValues(parameters: [1, 2, 3], state: [4, 5])
        let enc = try WireCodec.encode(.work(WorkAssignment(Self.item, values: values)), runID: WireSamples.runID, compressAbove: .max)
        #expect(enc.frames.count == 5)
        let b = enc.frames[1]
        #expect(b.count == 60)
        #expect(Array(b[0..<16]) == [1, 0, 0, 0, 4, 0, 0, 0, 2, 0, 0, 0, 1, 1, 1, 0])   // key, evaluate, test split, parameters: full
        #expect(Array(b[24..<32]) == [0xCD, 0xAB, 0, 0, 0, 0, 0, 0])                   // the micro-batch's seed
        #expect(Array(b[32..<44]) == [3, 0, 0, 0, 3, 0, 0, 0, 2, 0, 0, 0])             // samples, parameters, state
        #expect(Array(b[44..<52]) == [0, 0, 0, 0, 0, 0, 0, 0])                         // no base version
        #expect(Array(b[52..<60]) == le64(CodecValuesChecksumTests.reference([1, 2, 3, 4, 5])))
        #expect(enc.frames[2] == [9, 0, 0, 0, 0, 0, 0, 0, 7, 0, 0, 0])
        #expect(enc.frames[3].count == 12 && enc.frames[4].count == 8)
        guard case .work(let back) = try WireCodec.decode(enc.frames).message else { Issue.record("not WORK"); return }
        #expect(back.values == values && back.delta == nil)
        // The worker's item is the coordinator's, micro-batch and all: nothing is rebuilt or remapped.
        #expect(WorkItem(back) == Self.item)
        #expect(WorkItem(back).microBatch == Self.item.microBatch)

        let bare = try WireCodec.encode(.work(WorkAssignment(Self.item, values: nil)), runID: WireSamples.runID, compressAbove: .max)
        #expect(bare.frames.count == 3 && bare.frames[1][14] == 0 && Array(bare.frames[1][36..<60]) == [UInt8](repeating: 0, count: 24))
    }

    @Test("WORK delta (protocol 4): parameters byte 2, base version and checksum in the body, u32 differences in frames 3 and 4")
    func workDeltaLayout() throws {
        let base = ModelValues(parameters: [1, -2, 0.5], state: [4, 5])
        let target = ModelValues(parameters: [1.0000001, -2.5, -0.5], state: [4, 5.25])
        let delta = try #require(ParameterDelta(from: base, to: target, baseVersion: 5))
        let enc = try WireCodec.encode(.work(WorkAssignment(Self.item, values: nil, delta: delta)), runID: WireSamples.runID, compressAbove: .max)
        let b = enc.frames[1]
        #expect(b.count == 60 && b[14] == 2 && b[15] == 0)
        #expect(Array(b[44..<52]) == le64(5) && Array(b[52..<60]) == le64(CodecValuesChecksumTests.reference(target.parameters + target.state)))
        // Frame 3: zigzag of the bit-pattern differences, by hand: 1 → 1.0000001 is one ulp (+1 → 2).
        #expect(Array(enc.frames[3][0..<4]) == [2, 0, 0, 0])
        guard case .work(let back) = try WireCodec.decode(enc.frames).message else { Issue.record("not WORK"); return }
        #expect(back.delta == delta && back.values == nil)
        #expect(try back.delta!.applied(to: base).get() == target)

        func code(_ patch: (inout [[UInt8]]) -> Void) -> WireError.Code? {
            var f = enc.frames
            patch(&f)
            do { _ = try WireCodec.decode(f); return nil } catch { return error.code }
        }
        #expect(code { $0[1][14] = 3 } == .frameCount)                                          // kind 3 (update) has 6 frames
        #expect(code { $0[1][14] = 4 } == .invalidValue)                                        // no parameters kind 4
        #expect(code { $0[1].replaceSubrange(44..<52, with: le64(6)) } == .invalidValue)         // base = the version itself
        #expect(code { $0[1][14] = 1 } == .invalidValue)                                        // full, with a base version
        #expect(code { $0[1][14] = 0 } == .frameCount)                                          // none, with 4 frames
        #expect(throws: WireError.self) {   // the encoder refuses a delta that is not older than its version
            var d = delta
            d.baseVersion = 6
            return try WireCodec.encode(.work(WorkAssignment(Self.item, values: nil, delta: d)), runID: WireSamples.runID)
        }
    }

    func le64(_ v: UInt64) -> [UInt8] { (0..<8).map { UInt8(v >> (8 * UInt64($0)) & 0xff) } }

    @Test("WORK: hostile frames and values are rejected")
    func workHostile() throws {
        let values = ModelValues(parameters: [1, 2, 3], state: [4, 5])
        let good = try WireCodec.encode(.work(WorkAssignment(Self.item, values: values)), runID: WireSamples.runID, compressAbove: .max).frames
        func code(_ patch: (inout [[UInt8]]) -> Void) -> WireError.Code? {
            var f = good
            patch(&f)
            do { _ = try WireCodec.decode(f); return nil } catch { return error.code }
        }
        #expect(code { $0[1][13] = 0 } == .invalidValue)          // train split for an evaluation
        #expect(code { $0.removeLast(); $0[0][30] = 3 } == .frameCount)   // parameters without the state frame
        #expect(code { $0[1][40] = 3 } == .countMismatch)         // state count 3, frame holds 2
        #expect(code { $0[2].replaceSubrange(4..<8, with: [0, 0, 0, 0x80]) } == .invalidValue)   // sample index ≥ 2^31
        // A changed value no longer matches the checksum; with the checksum redone, an infinity is still refused.
        let inf = withUnsafeBytes(of: Float.infinity.bitPattern.littleEndian) { Array($0) }
        #expect(code { $0[4].replaceSubrange(0..<4, with: inf) } == .invalidValue)
        #expect(code { f in
            f[4].replaceSubrange(0..<4, with: inf)
            f[1].replaceSubrange(52..<60, with: le64(CodecValuesChecksumTests.reference([1, 2, 3, .infinity, 5])))
        } == .nonFinite)
        // The encoder refuses what the decoder would: a negative sample id, a non-finite state value.
        var negative = WorkAssignment(Self.item, values: nil)
        negative.sampleIndices[1] = -1
        #expect(throws: WireError.self) { try WireCodec.encode(.work(negative), runID: WireSamples.runID) }
        #expect(throws: WireError.self) {
            try WireCodec.encode(.work(WorkAssignment(Self.item, values: ModelValues(parameters: [1], state: [.nan]))), runID: WireSamples.runID)
        }
    }

    @Test("RESULT: a StepContribution crosses the wire whole, steps and fixed-point gradient included")
    func resultRoundTrip() throws {
        let layers = ["conv", "lif"]
        var ledger = EventLedger(layerNames: layers, timesteps: 3)
        var e = EventCounts()
        e.spikes = 17
        e.synapticOps = 340
        ledger.record(.inference, layer: 1, t: 2, e)
        let c = StepContribution(microBatch: 2, gradient: [], statistics: [], lossSum: 4.5, correct: 2, samples: 3, ledger: ledger,
                                 spikesPerLayer: [0, 17], steps: 2, computeNanos: 99)
        let wire = WorkResult(c, of: Self.item)
        #expect(wire.key == Self.item.key && wire.parameterVersion == 6 && wire.steps == 2)
        let enc = try WireCodec.encode(.result(wire), runID: WireSamples.runID, compressAbove: .max)
        #expect(enc.frames[1].count == 72 && Array(enc.frames[1][64..<68]) == [2, 0, 0, 0])   // steps at offset 64
        #expect(Array(enc.frames[1][68..<72]) == [1, 0, 0, 0] && enc.frames[6] == [2, 0, 0, 0])  // M = 1, frame 6 = [2]
        guard case .result(let r) = try WireCodec.decode(enc.frames).message else { Issue.record("not RESULT"); return }
        let back = try #require(StepContribution(r, ledgerLike: EventLedger(layerNames: layers, timesteps: 3)))
        #expect(back.microBatches == [2] && back.steps == 2 && back.samples == 3 && back.correct == 2 && back.lossSum == 4.5)
        #expect(back.ledger.total(.inference, layer: 1).spikes == 17 && back.ledger.total(.inference, layer: 1).synapticOps == 340)
        #expect(back.spikesPerLayer == [0, 17] && back.computeNanos == 99)
        // Counters of another network's shape do not make a contribution.
        #expect(StepContribution(r, ledgerLike: EventLedger(layerNames: layers, timesteps: 4)) == nil)
        // steps 0 is refused on both sides.
        var zero = wire
        zero.steps = 0
        #expect(throws: WireError.self) { try WireCodec.encode(.result(zero), runID: WireSamples.runID) }
        var frames = enc.frames
        frames[1].replaceSubrange(64..<68, with: [0, 0, 0, 0])
        do { _ = try WireCodec.decode(frames); Issue.record("accepted") } catch { #expect(error.code == .invalidValue) }
    }
}
