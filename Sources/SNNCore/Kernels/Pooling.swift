// Average and max pooling of channels-last images `[images, height, width, channels]` with window = stride =
// `size` and floor output sizes (`height/size`, `width/size`; trailing rows/columns are dropped, as PyTorch does).
//
// Every output position handles its channels 16 at a time; there is no reordering of the window sum, so the
// SIMD results equal the references bit for bit.

/// `output[n, i, j, c]` = mean of the `size×size` window at `(i·size, j·size)`: the window's sum, in row-major window
/// order, divided by `size²`. Output `[images, height/size, width/size, channels]`.
public func avgPoolForward(input: UnsafePointer<Float>, images: Int, height: Int, width: Int, channels: Int, size: Int,
                           output: UnsafeMutablePointer<Float>) {
    precondition(size >= 1 && images >= 0 && height >= 0 && width >= 0 && channels >= 0)
    let oh = height / size, ow = width / size
    let area = Float(size * size), varea = Vec16(repeating: area)
    // A power-of-two area (2x2, 4x4): multiplying by its reciprocal is exact, so it equals the division bit for bit
    // and spares a vector division per 16 outputs (the pass's bottleneck).
    let exactReciprocal = (size * size) & (size * size - 1) == 0
    let vinverse = Vec16(repeating: 1 / area)
    for n in 0..<images {
        for i in 0..<oh {
            for j in 0..<ow {
                let out = output + ((n * oh + i) * ow + j) * channels
                let corner = ((n * height + i * size) * width + j * size) * channels
                var c = 0
                if size == 2 {
                    // W2's 2×2 window unrolled: the same sum, ((((0 + a) + b) + c) + d), without the window loops.
                    let rowBelow = width * channels
                    while c + 16 <= channels {
                        let p = input + corner + c
                        var sum = Vec16(repeating: 0) + load16(p)
                        sum = sum + load16(p + channels)
                        sum = sum + load16(p + rowBelow)
                        sum = sum + load16(p + rowBelow + channels)
                        store16(exactReciprocal ? sum * vinverse : sum / varea, out + c)
                        c += 16
                    }
                }
                while c + 16 <= channels {
                    var sum = Vec16(repeating: 0)
                    for dy in 0..<size {
                        for dx in 0..<size { sum += load16(input + corner + (dy * width + dx) * channels + c) }
                    }
                    store16(exactReciprocal ? sum * vinverse : sum / varea, out + c)
                    c += 16
                }
                while c < channels {
                    var sum: Float = 0
                    for dy in 0..<size {
                        for dx in 0..<size { sum += input[corner + (dy * width + dx) * channels + c] }
                    }
                    out[c] = sum / area
                    c += 1
                }
            }
        }
    }
}

/// Gradient of `avgPoolForward`: every input of a window gets `gradOutput/size²`; inputs in the dropped trailing
/// rows/columns get 0. `gradInput` `[images, height, width, channels]` is overwritten (no need to clear it first).
public func avgPoolBackward(gradOutput: UnsafePointer<Float>, images: Int, height: Int, width: Int, channels: Int,
                            size: Int, gradInput: UnsafeMutablePointer<Float>) {
    precondition(size >= 1 && images >= 0 && height >= 0 && width >= 0 && channels >= 0)
    let oh = height / size, ow = width / size
    let area = Float(size * size), varea = Vec16(repeating: area)
    // Every input inside a window is written below; only the dropped trailing rows/columns need zeros (none when
    // the pool tiles the image, as on W2: a whole pass over the gradient saved).
    if oh * size != height || ow * size != width {
        gradInput.update(repeating: 0, count: images * height * width * channels)
    }
    for n in 0..<images {
        for i in 0..<oh {
            for j in 0..<ow {
                let g = gradOutput + ((n * oh + i) * ow + j) * channels
                let corner = ((n * height + i * size) * width + j * size) * channels
                var c = 0
                while c + 16 <= channels {
                    let v = load16(g + c) / varea
                    for dy in 0..<size {
                        for dx in 0..<size { store16(v, gradInput + corner + (dy * width + dx) * channels + c) }
                    }
                    c += 16
                }
                while c < channels {
                    let v = g[c] / area
                    for dy in 0..<size {
                        for dx in 0..<size { gradInput[corner + (dy * width + dx) * channels + c] = v }
                    }
                    c += 1
                }
            }
        }
    }
}

/// `output[n, i, j, c]` = maximum of the window; `argmax` gets the flat index into `input` of the chosen element
/// (the first maximum in row-major window order when several are equal), for `maxPoolBackward`.
public func maxPoolForward(input: UnsafePointer<Float>, images: Int, height: Int, width: Int, channels: Int, size: Int,
                           output: UnsafeMutablePointer<Float>, argmax: UnsafeMutablePointer<Int32>) {
    precondition(size >= 1 && images >= 0 && height >= 0 && width >= 0 && channels >= 0)
    precondition(images * height * width * channels <= Int(Int32.max), "max pool input too large for Int32 indices")
    let oh = height / size, ow = width / size
    let lanes = SIMD16<Int32>(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15)
    for n in 0..<images {
        for i in 0..<oh {
            for j in 0..<ow {
                let o = ((n * oh + i) * ow + j) * channels
                let corner = ((n * height + i * size) * width + j * size) * channels
                var c = 0
                while c + 16 <= channels {
                    var best = load16(input + corner + c)
                    var index = lanes &+ SIMD16<Int32>(repeating: Int32(corner + c))
                    for dy in 0..<size {
                        for dx in 0..<size where dy != 0 || dx != 0 {
                            let at = corner + (dy * width + dx) * channels + c
                            let v = load16(input + at)
                            let m = v .> best
                            best = best.replacing(with: v, where: m)
                            index = index.replacing(with: lanes &+ SIMD16<Int32>(repeating: Int32(at)), where: m)
                        }
                    }
                    store16(best, output + o + c)
                    UnsafeMutableRawPointer(argmax + o + c).storeBytes(of: index, as: SIMD16<Int32>.self)
                    c += 16
                }
                while c < channels {
                    var best = input[corner + c], index = corner + c
                    for dy in 0..<size {
                        for dx in 0..<size {
                            let at = corner + (dy * width + dx) * channels + c
                            if input[at] > best { best = input[at]; index = at }
                        }
                    }
                    output[o + c] = best
                    argmax[o + c] = Int32(index)
                    c += 1
                }
            }
        }
    }
}

/// Gradient of `maxPoolForward`: each output's gradient goes to the input element its `argmax` names; all other
/// inputs get 0. `gradInput` (`inputCount` elements) is overwritten.
public func maxPoolBackward(gradOutput: UnsafePointer<Float>, argmax: UnsafePointer<Int32>, outputCount: Int,
                            inputCount: Int, gradInput: UnsafeMutablePointer<Float>) {
    gradInput.update(repeating: 0, count: inputCount)
    for o in 0..<outputCount { gradInput[Int(argmax[o])] += gradOutput[o] }
}
