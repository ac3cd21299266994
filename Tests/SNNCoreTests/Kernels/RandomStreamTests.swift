import Foundation
import Testing
import SNNCore

@Suite struct RandomStreamTests {
    /// xoshiro256**'s published first outputs from the state {1, 2, 3, 4}.
    @Test func xoshiroKnownAnswer() {
        var rng = RandomStream(state: [1, 2, 3, 4])
        #expect((0..<4).map { _ in rng.next() } == [11520, 0, 1_509_978_240, 1_215_971_899_390_074_240])
    }

    /// The key → stream derivation is a file format (it fixes every random draw of every run); these values were
    /// computed by an independent Python implementation of the documented scheme.
    @Test func keyDerivationIsStable() {
        var a = RandomStream(seed: 0, epoch: 0, sample: 0)
        #expect([a.next(), a.next(), a.next()] == [0x8A21_CD34_A214_A917, 0x9C50_7E12_243E_64D0, 0xC376_3B82_8E49_DC84])
        var b = RandomStream(seed: 42, epoch: 3, sample: 17)
        #expect([b.next(), b.next(), b.next()] == [0x6611_F761_DD93_0252, 0xFB13_9906_535F_0C48, 0xD1CB_3CFF_B72F_85C4])
        var c = RandomStream(seed: 42, epoch: 3, sample: 17)
        let u = [c.nextUniform(), c.nextUniform(), c.nextUniform()]
        #expect(u == [0.398711621761322, 0.9807677865028381, 0.819507360458374] as [Float])
    }

    @Test func drawsDependOnlyOnTheKey() {
        var first = RandomStream(seed: 7, epoch: 2, sample: 123)
        let a = (0..<100).map { _ in first.next() }
        var again = RandomStream(seed: 7, epoch: 2, sample: 123)
        #expect((0..<100).map { _ in again.next() } == a)
        for (seed, epoch, sample) in [(8, 2, 123), (7, 3, 123), (7, 2, 124), (7, 123, 2)] as [(UInt64, UInt64, UInt64)] {
            var other = RandomStream(seed: seed, epoch: epoch, sample: sample)
            #expect((0..<100).map { _ in other.next() } != a)
        }
    }

    @Test func savedStateResumesTheStream() throws {
        var rng = RandomStream(seed: 1, epoch: 1, sample: 1)
        for _ in 0..<10 { _ = rng.next() }
        var resumed = RandomStream(state: rng.state)
        var decoded = try JSONDecoder().decode(RandomStream.self, from: JSONEncoder().encode(rng))
        let expected = (0..<5).map { _ in rng.next() }
        #expect((0..<5).map { _ in resumed.next() } == expected)
        #expect((0..<5).map { _ in decoded.next() } == expected)
    }

    @Test func uniformsAreIn01WithMeanOneHalf() {
        var rng = RandomStream(seed: 3, epoch: 0, sample: 0)
        let n = 100_000
        var sum = 0.0
        for _ in 0..<n {
            let u = rng.nextUniform()
            #expect(u >= 0 && u < 1)
            #expect((u * 0x1p24).rounded() == u * 0x1p24)  // a multiple of 2⁻²⁴
            sum += Double(u)
        }
        // sd of the mean = 1/√(12n) ≈ 0.00091; 5 sd.
        #expect(abs(sum / Double(n) - 0.5) < 5 / (12.0 * Double(n)).squareRoot())
    }
}
