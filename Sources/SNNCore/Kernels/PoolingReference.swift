// Plain scalar pooling on arrays, written per output element; the definitions the kernels in `Pooling.swift` match.

/// Average pooling (window = stride = `size`, floor output size) of `[images, height, width, channels]`.
public func avgPoolForwardReference(input: [Float], images: Int, height: Int, width: Int, channels: Int,
                                    size: Int) -> [Float] {
    let oh = height / size, ow = width / size
    var out = [Float](repeating: 0, count: images * oh * ow * channels)
    for n in 0..<images {
        for i in 0..<oh {
            for j in 0..<ow {
                for c in 0..<channels {
                    var sum: Float = 0
                    for dy in 0..<size {
                        for dx in 0..<size { sum += input[((n * height + i * size + dy) * width + j * size + dx) * channels + c] }
                    }
                    out[((n * oh + i) * ow + j) * channels + c] = sum / Float(size * size)
                }
            }
        }
    }
    return out
}

/// Gradient of average pooling: `gradOutput/size²` to every covered input, 0 to the dropped ones.
public func avgPoolBackwardReference(gradOutput: [Float], images: Int, height: Int, width: Int, channels: Int,
                                     size: Int) -> [Float] {
    let oh = height / size, ow = width / size
    var grad = [Float](repeating: 0, count: images * height * width * channels)
    for n in 0..<images {
        for y in 0..<(oh * size) {
            for x in 0..<(ow * size) {
                for c in 0..<channels {
                    grad[((n * height + y) * width + x) * channels + c] =
                        gradOutput[((n * oh + y / size) * ow + x / size) * channels + c] / Float(size * size)
                }
            }
        }
    }
    return grad
}

/// Max pooling: the window maximum and the flat input index of its first occurrence.
public func maxPoolForwardReference(input: [Float], images: Int, height: Int, width: Int, channels: Int,
                                    size: Int) -> (output: [Float], argmax: [Int32]) {
    let oh = height / size, ow = width / size
    var out = [Float](repeating: 0, count: images * oh * ow * channels)
    var argmax = [Int32](repeating: 0, count: out.count)
    for n in 0..<images {
        for i in 0..<oh {
            for j in 0..<ow {
                for c in 0..<channels {
                    var best = -Float.infinity, index = -1
                    for dy in 0..<size {
                        for dx in 0..<size {
                            let at = ((n * height + i * size + dy) * width + j * size + dx) * channels + c
                            if index < 0 || input[at] > best { best = input[at]; index = at }
                        }
                    }
                    out[((n * oh + i) * ow + j) * channels + c] = best
                    argmax[((n * oh + i) * ow + j) * channels + c] = Int32(index)
                }
            }
        }
    }
    return (out, argmax)
}

/// Gradient of max pooling: each output gradient to its argmax input.
public func maxPoolBackwardReference(gradOutput: [Float], argmax: [Int32], inputCount: Int) -> [Float] {
    var grad = [Float](repeating: 0, count: inputCount)
    for (o, index) in argmax.enumerated() { grad[Int(index)] += gradOutput[o] }
    return grad
}
