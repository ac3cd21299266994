import Testing
import SNNCore

/// im2col and its adjoint with whole-row vector copies against the one-element-at-a-time references, bit for bit,
/// on W2's, BNTT's and awkward geometries (stride 2, no padding, channel counts that are not multiples of 16).
@Suite struct Im2colTests {
    static let geometries: [ConvGeometry] = [
        ConvGeometry(height: 28, width: 28, channels: 1, kernel: 3, stride: 1, padding: 1, outChannels: 16),
        ConvGeometry(height: 14, width: 14, channels: 16, kernel: 3, stride: 1, padding: 1, outChannels: 32),
        ConvGeometry(height: 9, width: 7, channels: 5, kernel: 3, stride: 2, padding: 1, outChannels: 4),
        ConvGeometry(height: 8, width: 10, channels: 33, kernel: 5, stride: 1, padding: 2, outChannels: 16),
        ConvGeometry(height: 6, width: 6, channels: 3, kernel: 3, stride: 1, padding: 0, outChannels: 2),
    ]

    @Test(arguments: Im2colTests.geometries)
    func im2colEqualsReference(g: ConvGeometry) {
        let images = 3
        let x = randomFloats(images * g.inputSize, in: -1...1, seed: UInt64(g.channels))
        var fast = [Float](repeating: .nan, count: images * g.outputPositions * g.patch), ref = fast
        Conv2D.im2col(g, input: x, images: images, cols: &fast)
        Conv2D.im2colReference(g, input: x, images: images, cols: &ref)
        let same = fast.map(\.bitPattern) == ref.map(\.bitPattern)
        #expect(same)
    }

    @Test(arguments: Im2colTests.geometries)
    func col2imEqualsReference(g: ConvGeometry) {
        let images = 2
        let cols = randomFloats(images * g.outputPositions * g.patch, in: -1...1, seed: 7 + UInt64(g.channels))
        let start = randomFloats(images * g.inputSize, in: -1...1, seed: 9)
        var fast = start, ref = start
        Conv2D.col2imAdd(g, cols: cols, images: images, gradInput: &fast)
        Conv2D.col2imAddReference(g, cols: cols, images: images, gradInput: &ref)
        let same = fast.map(\.bitPattern) == ref.map(\.bitPattern)
        #expect(same)
        // The adjoint property against im2col: <im2col(x), cols> = <x, col2im(cols)> (Double sums, loose tolerance).
        let x = randomFloats(images * g.inputSize, in: -1...1, seed: 3)
        var colsOfX = [Float](repeating: 0, count: cols.count)
        Conv2D.im2colReference(g, input: x, images: images, cols: &colsOfX)
        var back = [Float](repeating: 0, count: x.count)
        Conv2D.col2imAddReference(g, cols: cols, images: images, gradInput: &back)
        let lhs = zip(colsOfX, cols).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        let rhs = zip(x, back).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        #expect(abs(lhs - rhs) < 1e-3)
    }
}
