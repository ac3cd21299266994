import Testing
import SNNCore

/// The SIMD kernels of ECC (ReLU, max, event-driven accumulate, IF step, closed-form count) against their scalar
/// references, on lengths that exercise both the 16-lane body and the scalar tail.
@Suite struct IFKernelTests {
    func values(_ n: Int, seed: UInt64) -> [Float] {
        var rng = RandomStream(seed: seed, epoch: 0, sample: 0)
        return (0..<n).map { _ in rng.nextUniform() * 4 - 2 }
    }

    @Test(arguments: [1, 15, 16, 17, 100])
    func reluAndMaxMatchReference(n: Int) {
        let x = values(n, seed: UInt64(n))
        var y = [Float](repeating: 9, count: n)
        x.withUnsafeBufferPointer { xp in y.withUnsafeMutableBufferPointer { relu(xp.baseAddress!, $0.baseAddress!, count: n) } }
        #expect(y == reluReference(x))
        #expect(x.withUnsafeBufferPointer { maxValue($0.baseAddress!, count: n) } == maxValueReference(x))
        #expect(x.max()! == maxValueReference(x))
    }

    @Test(arguments: [3, 16, 37])
    func accumulateAndFireMatchReference(n: Int) {
        let row = values(n, seed: 1), start = values(n, seed: 2)
        var c = start, cr = start
        c.withUnsafeMutableBufferPointer { cp in row.withUnsafeBufferPointer { accumulateRow($0.baseAddress!, into: cp.baseAddress!, count: n) } }
        accumulateRowReference(row, into: &cr)
        #expect(c == cr)

        var v = values(n, seed: 3), vr = v
        let current = values(n, seed: 4)
        var spikes = [Float](repeating: 7, count: n)
        for _ in 0..<5 {
            let fired = v.withUnsafeMutableBufferPointer { vp in current.withUnsafeBufferPointer { ip in spikes.withUnsafeMutableBufferPointer { sp in
                integrateAndFire(potential: vp.baseAddress!, current: ip.baseAddress!, threshold: 0.7, count: n, spikes: sp.baseAddress!)
            }}}
            let ref = integrateAndFireReference(potential: &vr, current: current, threshold: 0.7)
            #expect(spikes == ref)
            #expect(v == vr)
            #expect(fired == Int(ref.reduce(0, +)))
        }
    }

    @Test func closedFormCountMatchesDoubleReference() {
        let q: [Float] = [-5, 0, 49.9, 50, 149.99, 150, 19200, 3200, 1e6]
        var out = q
        out.withUnsafeMutableBufferPointer { closedFormCounts($0.baseAddress!, count: $0.count, threshold: 100, thresholding: 0.5, timesteps: 256) }
        #expect(out == q.map { Float(closedFormCountReference(charge: Double($0), threshold: 100, thresholding: 0.5, timesteps: 256)) })
        // By hand: floor((Q + 50)/100), clipped to [0, 256].
        #expect(out == [0, 0, 0, 1, 1, 2, 192, 32, 256])
    }
}
