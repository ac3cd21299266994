import Testing
import SNNCore

let poolShapes: [(images: Int, height: Int, width: Int, channels: Int, size: Int)] = [
    (1, 4, 4, 1, 2), (2, 7, 5, 3, 2), (1, 6, 6, 16, 2), (3, 5, 7, 20, 2), (2, 9, 8, 35, 3), (1, 28, 28, 64, 2),
]

func dot(_ a: [Float], _ b: [Float]) -> Double {
    zip(a, b).reduce(0) { $0 + Double($1.0) * Double($1.1) }
}

@Suite struct PoolingTests {
    @Test func averagePoolingHandExample() {
        // One 4×5 single-channel image, 2×2 windows: the last column is dropped.
        let x: [Float] = [1, 2, 3, 4, 100,
                          5, 6, 7, 8, 100,
                          0, 0, 1, 1, 100,
                          0, 4, 1, 1, 100]
        var y = [Float](repeating: .nan, count: 4)
        avgPoolForward(input: x, images: 1, height: 4, width: 5, channels: 1, size: 2, output: &y)
        #expect(y == [3.5, 5.5, 1, 1])
        var dx = [Float](repeating: .nan, count: 20)
        avgPoolBackward(gradOutput: [4, 8, 12, 16], images: 1, height: 4, width: 5, channels: 1, size: 2, gradInput: &dx)
        #expect(dx == [1, 1, 2, 2, 0, 1, 1, 2, 2, 0, 3, 3, 4, 4, 0, 3, 3, 4, 4, 0])
    }

    @Test func maxPoolingHandExampleWithTies() {
        let x: [Float] = [1, 9, 3, 3,
                          9, 2, 3, 3]
        var y = [Float](repeating: .nan, count: 2)
        var argmax = [Int32](repeating: -1, count: 2)
        maxPoolForward(input: x, images: 1, height: 2, width: 4, channels: 1, size: 2, output: &y, argmax: &argmax)
        #expect(y == [9, 3])
        #expect(argmax == [1, 2])  // first maximum in row-major window order
        var dx = [Float](repeating: .nan, count: 8)
        maxPoolBackward(gradOutput: [0.5, -1], argmax: argmax, outputCount: 2, inputCount: 8, gradInput: &dx)
        #expect(dx == [0, 0.5, -1, 0, 0, 0, 0, 0])
    }

    @Test func averagePoolingMatchesReferenceBitForBit() {
        var seed: UInt64 = 900
        for s in poolShapes {
            seed += 1
            let n = s.images * s.height * s.width * s.channels
            let outCount = s.images * (s.height / s.size) * (s.width / s.size) * s.channels
            let x = randomFloats(n, in: -1...1, seed: seed)
            var y = [Float](repeating: .nan, count: outCount)
            avgPoolForward(input: x, images: s.images, height: s.height, width: s.width, channels: s.channels,
                           size: s.size, output: &y)
            #expect(y == avgPoolForwardReference(input: x, images: s.images, height: s.height, width: s.width,
                                                 channels: s.channels, size: s.size), "\(s)")
            let g = randomFloats(outCount, in: -1...1, seed: seed + 1)
            var dx = [Float](repeating: .nan, count: n)
            avgPoolBackward(gradOutput: g, images: s.images, height: s.height, width: s.width, channels: s.channels,
                            size: s.size, gradInput: &dx)
            #expect(dx == avgPoolBackwardReference(gradOutput: g, images: s.images, height: s.height, width: s.width,
                                                   channels: s.channels, size: s.size), "\(s)")
            // Adjoint identity: ⟨pool(x), g⟩ = ⟨x, poolᵀ(g)⟩.
            #expect(abs(dot(y, g) - dot(x, dx)) < 1e-4)
        }
    }

    @Test func maxPoolingMatchesReferenceIncludingTies() {
        var seed: UInt64 = 950
        for s in poolShapes {
            for ties in [false, true] {
                seed += 1
                let n = s.images * s.height * s.width * s.channels
                let outCount = s.images * (s.height / s.size) * (s.width / s.size) * s.channels
                // With ties: values from {0, 0.25, 0.5, 0.75}, like average-pooled spikes.
                let x = randomFloats(n, in: -1...1, seed: seed).map { ties ? (abs($0) * 4).rounded(.down) / 4 : $0 }
                var y = [Float](repeating: .nan, count: outCount)
                var argmax = [Int32](repeating: -1, count: outCount)
                maxPoolForward(input: x, images: s.images, height: s.height, width: s.width, channels: s.channels,
                               size: s.size, output: &y, argmax: &argmax)
                let r = maxPoolForwardReference(input: x, images: s.images, height: s.height, width: s.width,
                                                channels: s.channels, size: s.size)
                #expect(y == r.output, "\(s)")
                #expect(argmax == r.argmax, "\(s) ties \(ties)")
                let g = randomFloats(outCount, in: -1...1, seed: seed + 1)
                var dx = [Float](repeating: .nan, count: n)
                maxPoolBackward(gradOutput: g, argmax: argmax, outputCount: outCount, inputCount: n, gradInput: &dx)
                #expect(dx == maxPoolBackwardReference(gradOutput: g, argmax: r.argmax, inputCount: n))
                #expect(abs(dot(y, g) - dot(x, dx)) < 1e-4)
            }
        }
    }
}
