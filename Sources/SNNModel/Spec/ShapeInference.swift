/// Per-sample feature shapes through the layer stack (no batch or time axis).
///
/// Rules: conv `[H, W, C]` → `[(H + 2p − k)/s + 1, (W + 2p − k)/s + 1, channels]` (floor); pools
/// `[H, W, C]` → `[H/size, W/size, C]` (floor); flatten → `[H·W·C]`; dense `[N]` → `[units]`;
/// batchnorm and spiking keep the shape.
extension RunSpec {
    /// `[0]` = `input.shape`, `[i + 1]` = the shape after `layers[i]`. Throws a `SpecError` at the first
    /// layer that cannot take its input (or has a size parameter out of range).
    public func shapes() throws -> [[Int]] {
        try checkInputShape()
        var shapes = [input.shape]
        for (index, layer) in layers.enumerated() {
            shapes.append(try Self.outputShape(of: layer, input: shapes[index], index: index))
        }
        return shapes
    }

    /// `input.shape` must be `[H, W, C]` or `[N]` with positive entries.
    func checkInputShape() throws {
        guard input.shape.count == 3 || input.shape.count == 1, input.shape.allSatisfy({ $0 >= 1 }) else {
            throw SpecError(path: "input.shape", "\(input.shape) is not a valid shape; give [H, W, C] (e.g. [28, 28, 1]) or [N] with entries ≥ 1")
        }
    }

    /// The shape `layer` (at `layers[index]`) produces from `shape`.
    static func outputShape(of layer: LayerSpec, input shape: [Int], index: Int) throws -> [Int] {
        let field = "layers[\(index)]"
        let here = "\(field) (\(layer.typeName))"
        func atLeast(_ value: Int, _ minimum: Int, _ name: String) throws {
            guard value >= minimum else {
                throw SpecError(path: "\(field).\(name)", "must be ≥ \(minimum) (got \(value))")
            }
        }
        func needsImage() throws {
            guard shape.count == 3 else {
                throw SpecError(path: here, "input has shape \(shape); \(layer.typeName) needs [H, W, C] input "
                                + "(move it before the flatten, or give input.shape as [H, W, C])")
            }
        }
        switch layer {
        case .conv(let conv):
            try atLeast(conv.channels, 1, "channels")
            try atLeast(conv.kernel, 1, "kernel")
            try atLeast(conv.stride, 1, "stride")
            try atLeast(conv.padding, 0, "padding")
            try needsImage()
            let height = shape[0] + 2 * conv.padding, width = shape[1] + 2 * conv.padding
            guard conv.kernel <= height, conv.kernel <= width else {
                throw SpecError(path: here, "kernel \(conv.kernel) larger than padded input \(height)x\(width); "
                                + "use a smaller kernel or more padding")
            }
            return [(height - conv.kernel) / conv.stride + 1, (width - conv.kernel) / conv.stride + 1, conv.channels]
        case .avgPool(let pool), .maxPool(let pool):
            try atLeast(pool.size, 1, "size")
            try needsImage()
            guard pool.size <= shape[0], pool.size <= shape[1] else {
                throw SpecError(path: here, "size \(pool.size) larger than input \(shape[0])x\(shape[1]); use a smaller size or remove this pool")
            }
            return [shape[0] / pool.size, shape[1] / pool.size, shape[2]]
        case .dense(let dense):
            try atLeast(dense.units, 1, "units")
            guard shape.count == 1 else {
                throw SpecError(path: here, "input has shape \(shape); add {\"type\":\"flatten\"} before it")
            }
            return [dense.units]
        case .flatten:
            return [shape.reduce(1, *)]
        case .batchNorm, .spiking, .relu:
            return shape
        }
    }
}
