/// A dense, contiguous fp32 tensor in row-major order.
///
/// Spiking layers use the time-major layout `[T, B, ...features]`; convolutional features are channels-last
/// (`[H, W, C]`), so one spatial position's channels are contiguous for per-channel kernels and im2col GEMMs.
/// A time extent of 1 where the network runs T > 1 steps means "the same value at every step" (a constant
/// direct input and what is computed from it before the first neuron), which lets a layer compute it once.
public struct Tensor: Sendable, Equatable {
    public var shape: [Int]
    public var data: [Float]

    public init(shape: [Int], repeating value: Float = 0) {
        self.shape = shape
        self.data = [Float](repeating: value, count: shape.reduce(1, *))
    }

    public init(shape: [Int], data: [Float]) {
        precondition(shape.reduce(1, *) == data.count, "Tensor shape \(shape) does not match \(data.count) values")
        self.shape = shape
        self.data = data
    }

    /// Number of elements.
    @inlinable public var count: Int { data.count }

    /// Size of one entry of the leading axis (e.g. one time step of a `[T, B, ...]` tensor).
    @inlinable public var strideOfFirstAxis: Int { shape.count <= 1 ? 1 : shape.dropFirst().reduce(1, *) }

    /// The same values seen with another shape of equal element count.
    public func reshaped(_ newShape: [Int]) -> Tensor {
        Tensor(shape: newShape, data: data)
    }
}
