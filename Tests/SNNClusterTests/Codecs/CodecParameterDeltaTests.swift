import SNNCluster
import Testing

/// WORK's parameter delta (protocol 4): exact to the bit whatever the values (sign changes, zeros, subnormals,
/// extremes), its checksum that of the document's recipe (`CodecValuesChecksumTests.reference`), and a delta on the
/// wrong base refused, never applied.
@Suite struct CodecParameterDeltaTests {
    static let awkward: [Float] = [0, -0, 1, -1, .leastNonzeroMagnitude, -.leastNonzeroMagnitude, .greatestFiniteMagnitude,
                                   -.greatestFiniteMagnitude, 1e-30, -3.5, 0.1, 7]

    @Test("base + delta rebuilds the target bit for bit, across sign changes, zeros and extremes")
    func exactRoundTrip() throws {
        var rng = SeededGenerator(seed: 3)
        let n = Self.awkward.count
        for _ in 0..<20 {
            let base = ModelValues(parameters: (0..<n).map { _ in Self.awkward.randomElement(using: &rng)! },
                                   state: (0..<5).map { _ in Float.random(in: -1...1, using: &rng) })
            let target = ModelValues(parameters: Self.awkward.shuffled(using: &rng),
                                     state: base.state.map { $0 * 1.001 })
            let d = try #require(ParameterDelta(from: base, to: target, baseVersion: 4))
            let back = try d.applied(to: base).get()
            #expect(back.parameters.map(\.bitPattern) == target.parameters.map(\.bitPattern))
            #expect(back.state.map(\.bitPattern) == target.state.map(\.bitPattern))
            #expect(d.checksum == CodecValuesChecksumTests.reference(target.parameters + target.state))
        }
    }

    @Test("the difference is the ZigZag of the bit-pattern difference, worked out by hand")
    func differencesByHand() {
        let base: [Float] = [1, 1, 2, -1]
        let target: [Float] = [Float(bitPattern: 0x3F80_0001), Float(bitPattern: 0x3F7F_FFFF), 2, Float(bitPattern: 0xBF80_0003)]
        // +1 → 2, −1 → 1, 0 → 0, +3 → 6 (−1 is 0xBF800000; its neighbour 0xBF800003 is 3 above in bits).
        #expect(ParameterDelta.differences(base, target) == [2, 1, 0, 6])
        #expect(ParameterDelta.added(base, [2, 1, 0, 6]).map(\.bitPattern) == target.map(\.bitPattern))
    }

    @Test("a delta applied to another base is refused by the checksum, and one of another size by its size")
    func wrongBaseIsRefused() throws {
        let base = ModelValues(parameters: [1, 2, 3], state: [0.5])
        let target = ModelValues(parameters: [1.5, 2, 2.75], state: [0.25])
        let d = try #require(ParameterDelta(from: base, to: target, baseVersion: 9))
        let other = ModelValues(parameters: [1, 2, 3.0000002], state: [0.5])
        guard case .failure(.checksumMismatch) = d.applied(to: other) else { Issue.record("applied to the wrong base"); return }
        guard case .failure(.sizeMismatch) = d.applied(to: ModelValues(parameters: [1, 2], state: [0.5])) else {
            Issue.record("applied to values of another size"); return
        }
        #expect(ParameterDelta(from: base, to: ModelValues(parameters: [1], state: [0.5]), baseVersion: 9) == nil)
    }

    @Test("applied in place (the worker's rebuild): the same bits as the copy, refusals as the copy's, no second buffer")
    func inPlaceMatchesTheCopy() throws {
        var rng = SeededGenerator(seed: 5)
        let base = ModelValues(parameters: (0..<1000).map { _ in Float.random(in: -2...2, using: &rng) },
                               state: (0..<7).map { _ in Float.random(in: 0...1, using: &rng) })
        let target = ModelValues(parameters: base.parameters.map { $0 - 1e-3 * $0.magnitude }, state: base.state.map { $0 * 0.99 })
        let d = try #require(ParameterDelta(from: base, to: target, baseVersion: 2))
        var values = ModelValues(parameters: base.parameters.map { $0 }, state: base.state.map { $0 })   // buffers of its own
        let address = values.parameters.withUnsafeBufferPointer { $0.baseAddress }
        #expect(d.apply(to: &values) == nil)
        #expect(values.parameters.withUnsafeBufferPointer { $0.baseAddress } == address)
        #expect(values.parameters.map(\.bitPattern) == target.parameters.map(\.bitPattern))
        #expect(values.state.map(\.bitPattern) == target.state.map(\.bitPattern))
        #expect(base.parameters.map(\.bitPattern) != target.parameters.map(\.bitPattern))   // the base is untouched
        var wrong = ModelValues(parameters: base.parameters.map { $0 + 1 }, state: base.state)
        guard case .checksumMismatch = d.apply(to: &wrong) else { Issue.record("applied in place to the wrong base"); return }
        var small = ModelValues(parameters: [1], state: [])
        guard case .sizeMismatch = d.apply(to: &small) else { Issue.record("applied in place to values of another size"); return }
    }
}
