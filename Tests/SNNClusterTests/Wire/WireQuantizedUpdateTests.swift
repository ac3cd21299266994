import Foundation
import SNNCluster
import SNNCore
import SNNMethods
import Testing

/// Protocol 6: RESULT gradients with filter 15 (ZigZag, then the low and high 32-bit halves bit-shuffled), and WORK
/// parameters kind 3, a rounded update (`training.communication.updateBits`): integer per parameter, exponent per block
/// of 256, exceptions as (index, bit pattern) pairs, state as a bit-exact delta. Layouts by hand against PROTOCOL.md §3.3
/// and §5; decoding refuses what the document forbids.
@Suite struct WireQuantizedUpdateTests {
    static let item = WorkItem(MicroBatch(epoch: 0, step: 3, index: 0, phase: .train, samples: [4, 5], seed: 9), parameterVersion: 7)

    @Test("filter 15: ZigZag, then filter 12 on the low halves followed by filter 12 on the high halves; the tail copied")
    func filter15ByDefinition() {
        var rng = SeededGenerator(seed: 15)
        for count in [0, 1, 31, 32, 33, 100, 1000] {
            let values = (0..<count).map { i -> Int64 in
                switch i % 5 {
                case 0: return Int64.min
                case 1: return Int64.max
                case 2: return -Int64(UInt32.random(in: 0...UInt32.max, using: &rng))
                default: return Int64(UInt32.random(in: 0...1 << 20, using: &rng)) << 12
                }
            }
            let raw: [UInt8] = values.flatMap { v in (0..<8).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) } } + [7, 8, 9]
            let zigzag = values.map { UInt64(bitPattern: ($0 << 1) ^ ($0 >> 63)) }
            let lo: [UInt8] = zigzag.flatMap { z in (0..<4).map { UInt8(truncatingIfNeeded: z >> (8 * $0)) } }
            let hi: [UInt8] = zigzag.flatMap { z in (4..<8).map { UInt8(truncatingIfNeeded: z >> (8 * $0)) } }
            let want: [UInt8] = BitShuffle.referenceShuffle(lo) + BitShuffle.referenceShuffle(hi) + [7, 8, 9]
            #expect(BitShuffle.shuffleZigZag64(raw) == want, "count \(count)")
            #expect(BitShuffle.unshuffleZigZag64(want) == raw, "count \(count)")
        }
    }

    @Test("RESULT gradients travel with filter 15 and LZ4; a gradient rounded to 8 bits takes under half the bytes of an exact one")
    func resultGradientFrame() throws {
        var rng = SeededGenerator(seed: 3)
        let exact = (0..<8192).map { _ in Float.random(in: -1...1, using: &rng) * Float.random(in: 0...0.01, using: &rng) }
        var rounded = exact
        GradientQuantization.round(&rounded, bits: 8)
        func frame(_ g: [Float]) throws -> (bytes: Int, back: [Int64]) {
            let r = WorkResult(key: WorkKey(epoch: 0, step: 0, microBatch: 0, phase: .train), parameterVersion: 1, samples: 8,
                               lossSum: 1, correct: 1, computeNanos: 1, steps: 1, gradient: try FixedPoint.encode(g),
                               statistics: [], counters: [], spikesPerLayer: [])
            let enc = try WireCodec.encode(.result(r), runID: UUID())
            #expect(enc.frames[2][0] == 1 && enc.frames[2][1] == 15)
            guard case .result(let back) = try WireCodec.decode(enc.frames).message else { throw WireError(.invalidValue, "not RESULT") }
            #expect(back == r)
            return (enc.frames[2].count, back.gradient)
        }
        let (exactBytes, _) = try frame(exact)
        let (roundedBytes, back) = try frame(rounded)
        #expect(back == (try FixedPoint.encode(rounded)))
        #expect(roundedBytes * 2 < exactBytes, "rounded \(roundedBytes) B, exact \(exactBytes) B")
    }

    /// A rounded update of 600 parameters (3 blocks) with two exceptions and a state change.
    static func sample() -> (base: ModelValues, target: ModelValues, update: ParameterUpdate) {
        var rng = SeededGenerator(seed: 21)
        let base = ModelValues(parameters: (0..<600).map { _ in Float.random(in: -1...1, using: &rng) }, state: [1, 2])
        var parameters = base.parameters.map { $0 - Float.random(in: -0.001...0.001, using: &rng) }
        var residual = [Float](repeating: 0, count: 600)
        let rounded = UpdateQuantization.apply(old: base.parameters, parameters: &parameters, residual: &residual, bits: 8)
        parameters[17] = 0.5; parameters[599] = -3   // what a method's constraint might do after the update
        let target = ModelValues(parameters: parameters, state: [1.5, 2])
        return (base, target, ParameterUpdate(rounded: rounded, from: base, to: target, baseVersion: 6))
    }

    @Test("WORK kind 3: parameters byte 3, base = version − 1, 6 frames; the worker's rebuild gives the coordinator's bits")
    func workUpdateLayoutAndRebuild() throws {
        let (base, target, update) = Self.sample()
        #expect(update.exceptionIndices == [17, 599] && update.exceptionValues == [Float(0.5).bitPattern, Float(-3).bitPattern])
        let enc = try WireCodec.encode(.work(WorkAssignment(Self.item, values: nil, update: update)), runID: WireSamples.runID,
                                       compressAbove: .max)
        #expect(enc.frames.count == 7)
        let b = enc.frames[1]
        #expect(b[14] == 3 && Array(b[36..<44]) == [88, 2, 0, 0, 2, 0, 0, 0])   // 600 parameters, 2 state values
        #expect(Array(b[44..<52]) == le64(6) && Array(b[52..<60]) == le64(CodecValuesChecksumTests.reference(target.parameters + target.state)))
        // Payload frames carry envelopes when one of them is narrowed (§3.3): their raw bytes are what the layout names.
        func raw(_ i: Int) throws -> [UInt8] {
            enc.frames[0][8] & 1 == 0 ? enc.frames[i] : try FrameEnvelope.decode(enc.frames[i], limit: 1 << 20, name: "test")
        }
        #expect(try raw(5) == update.exponents && update.exponents.count == 3)                         // frame 5: exponents
        #expect(try raw(6) == [17, 0, 0, 0] + le32(Float(0.5).bitPattern) + [0x57, 2, 0, 0] + le32(Float(-3).bitPattern))
        guard case .work(let back) = try WireCodec.decode(enc.frames).message else { Issue.record("not WORK"); return }
        #expect(back.update == update && back.delta == nil && back.values == nil)
        var values = base
        #expect(update.apply(to: &values) == nil)
        #expect(zip(values.parameters + values.state, target.parameters + target.state).allSatisfy { $0.bitPattern == $1.bitPattern })
        // Applied to another version, the checksum catches it.
        var other = base
        other.parameters[3] += 1
        #expect(update.apply(to: &other) != nil)
    }

    @Test("WORK kind 3 decoding refuses a wrong base, frame count, exponent count and unordered or out-of-range exceptions")
    func workUpdateRefusals() throws {
        let (_, _, update) = Self.sample()
        let enc = try WireCodec.encode(.work(WorkAssignment(Self.item, values: nil, update: update)), runID: WireSamples.runID,
                                       compressAbove: .max)
        func code(_ patch: (inout [[UInt8]]) -> Void) -> WireError.Code? {
            var f = enc.frames
            patch(&f)
            do { _ = try WireCodec.decode(f); return nil } catch { return error.code }
        }
        #expect(code { _ in } == nil)
        #expect(code { $0[1].replaceSubrange(44..<52, with: le64(5)) } == .invalidValue)        // base two versions back
        #expect(code { $0.removeLast() } == .frameCount)                                       // 5 payload frames
        // Frames 5 and 6 rewritten with hostile contents (inside a stored envelope when the message has envelopes).
        let enveloped = enc.frames[0][8] & 1 == 1
        func stored(_ bytes: [UInt8]) -> [UInt8] { enveloped ? [0, 0, 0, 0] + le32(UInt32(bytes.count)) + bytes : bytes }
        let pairs = [17, 0, 0, 0] + le32(Float(0.5).bitPattern) + [0x57, 2, 0, 0] + le32(Float(-3).bitPattern)
        #expect(code { $0[5] = stored(update.exponents); $0[6] = stored(pairs) } == nil)         // the same, stored
        #expect(code { $0[5] = stored(Array(update.exponents.dropLast())) } == .countMismatch)   // 2 exponents for 600 values
        #expect(code { $0[6] = stored(le32(600) + Array(pairs[4...])) } == .invalidValue)        // index past the parameters
        #expect(code { $0[6] = stored(Array(pairs[0..<8]) + le32(3) + Array(pairs[12...])) } == .invalidValue)   // 17, then 3
        #expect(code { $0[6] = stored(Array(pairs.dropLast(4))) } == .countMismatch)             // half a pair
        #expect(code { $0[1][14] = 2 } == .frameCount)                                         // a delta has 4 frames
    }
}

private func le32(_ v: UInt32) -> [UInt8] { (0..<4).map { UInt8(v >> (8 * UInt32($0)) & 0xff) } }
private func le64(_ v: UInt64) -> [UInt8] { (0..<8).map { UInt8(v >> (8 * UInt64($0)) & 0xff) } }
