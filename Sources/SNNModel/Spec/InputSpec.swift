/// The network's input: per-sample shape and how pixels become input current.
///
/// JSON: `{"shape": [28, 28, 1], "encoding": "poisson", "poissonScale": 2, "normalize": {"mean": 0.286, "std": 0.353}}`.
/// `shape` and `encoding` are required; `poissonScale` defaults to 2; `normalize` to none.
public struct InputSpec: Sendable, Equatable, Codable {
    /// `[H, W, C]` (channels-last) for images, or `[N]` for flat vectors.
    public var shape: [Int]
    public var encoding: InputEncoding
    /// Pixel value at which Poisson firing probability reaches 1 (METHODS §3.2 `rescale_fac`); used only
    /// by `poisson`.
    public var poissonScale: Float
    /// `(x − mean) / std`, applied to the `[0, 1]` pixels before encoding; nil = pixels as loaded.
    public var normalize: Normalization?

    public init(shape: [Int], encoding: InputEncoding, poissonScale: Float = 2, normalize: Normalization? = nil) {
        self.shape = shape
        self.encoding = encoding
        self.poissonScale = poissonScale
        self.normalize = normalize
    }

    static let fields = ["shape", "encoding", "poissonScale", "normalize"]

    public init(from decoder: any Decoder) throws {
        let c = try decoder.strictContainer(fields: Self.fields)
        shape = try c.required("shape")
        encoding = try c.required("encoding")
        poissonScale = try c.optional("poissonScale", default: 2)
        normalize = try c.optional("normalize")
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: SpecKey.self)
        try c.encode(shape, forKey: SpecKey("shape"))
        try c.encode(encoding, forKey: SpecKey("encoding"))
        try c.encode(poissonScale, forKey: SpecKey("poissonScale"))
        try c.encodeIfPresent(normalize, forKey: SpecKey("normalize"))
    }
}

/// Input normalisation `(x − mean) / std`; both fields required.
public struct Normalization: Sendable, Equatable, Codable {
    public var mean: Float
    public var std: Float

    public init(mean: Float, std: Float) {
        self.mean = mean
        self.std = std
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.strictContainer(fields: ["mean", "std"])
        mean = try c.required("mean")
        std = try c.required("std")
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: SpecKey.self)
        try c.encode(mean, forKey: SpecKey("mean"))
        try c.encode(std, forKey: SpecKey("std"))
    }
}
