/// What the network outputs per sample. JSON: `{"readout": "spike-count"}` (required).
///
/// `mean-potential` needs the last layer to be `dense`; `spike-count` and `rate` need it to be `spiking`.
public struct OutputSpec: Sendable, Equatable, Codable {
    public var readout: Readout

    public init(readout: Readout) {
        self.readout = readout
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.strictContainer(fields: ["readout"])
        readout = try c.required("readout")
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: SpecKey.self)
        try c.encode(readout, forKey: SpecKey("readout"))
    }
}
