/// SPIKES (11), worker → coordinator: the spikes one recorded test sample emitted in one spiking layer at
/// every time step of an evaluation (PROTOCOL.md §5 "SPIKES"). Bits are time-major — spike (t, n) is bit
/// `t × neurons + n` — bit-packed least significant bit first; the envelope's LZ4 does the rest.
public struct SpikeRaster: Sendable, Equatable {
    /// The epoch whose evaluation recorded it (0-based, as stored).
    public var epoch: UInt32
    /// Index of the sample in the test set.
    public var sample: UInt32
    /// Index of the layer in the network.
    public var layer: UInt32
    /// Time steps T simulated.
    public var steps: UInt32
    /// Neurons N of the layer (its output features).
    public var neurons: UInt32
    /// Number of set bits (checked against `bits` on decode).
    public var spikeCount: UInt32
    /// `BitPack.packedCount(T × N)` bytes, zero padding bits.
    public var bits: [UInt8]

    public init(epoch: UInt32, sample: UInt32, layer: UInt32, steps: UInt32, neurons: UInt32, spikeCount: UInt32, bits: [UInt8]) {
        self.epoch = epoch; self.sample = sample; self.layer = layer; self.steps = steps; self.neurons = neurons
        self.spikeCount = spikeCount; self.bits = bits
    }

    /// Packs time-major 0/1 spikes (`steps × neurons`, non-zero = spike).
    public init(epoch: Int, sample: Int, layer: Int, steps: Int, neurons: Int, spikes: [UInt8]) {
        precondition(spikes.count == steps * neurons, "raster holds \(spikes.count) spikes, not \(steps) × \(neurons)")
        self.init(epoch: UInt32(epoch), sample: UInt32(sample), layer: UInt32(layer), steps: UInt32(steps),
                  neurons: UInt32(neurons), spikeCount: UInt32(spikes.reduce(0) { $0 + ($1 != 0 ? 1 : 0) }),
                  bits: BitPack.pack(spikes))
    }

    /// The spikes back, time-major, one byte (0 or 1) each.
    public func spikes() throws(WireError) -> [UInt8] {
        try BitPack.unpack(bits, count: Int(steps) * Int(neurons))
    }

    /// Bits one raster may hold (T × N): 128 Mi, 16 MiB packed.
    public static let maxBits = 1 << 27
    /// Time steps one raster may hold.
    public static let maxSteps = 4096

    /// The SPIKES rules (shared by encoder and decoder): sizes, exact packed length, popcount.
    func validate() throws(WireError) {
        guard (1...UInt32(Self.maxSteps)).contains(steps), neurons >= 1 else {
            throw WireError(.invalidValue, "SPIKES has \(steps) steps × \(neurons) neurons; allowed 1…\(Self.maxSteps) × ≥ 1")
        }
        let n = Int(steps) * Int(neurons)
        guard n <= Self.maxBits else { throw WireError(.tooLarge, "SPIKES holds \(n) bits, limit \(Self.maxBits)") }
        guard bits.count == BitPack.packedCount(n) else {
            throw WireError(.countMismatch, "SPIKES declares \(steps) × \(neurons) bits but carries \(bits.count) bytes")
        }
        if n % 8 != 0, let last = bits.last, last >> UInt8(n % 8) != 0 {
            throw WireError(.invalidValue, "SPIKES has non-zero padding bits")
        }
        let ones = bits.reduce(0) { $0 + $1.nonzeroBitCount }
        guard ones == Int(spikeCount) else {
            throw WireError(.countMismatch, "SPIKES declares \(spikeCount) spikes but its bits hold \(ones)")
        }
    }

    func encodeBody(into w: inout ByteWriter) {
        w.u32(epoch); w.u32(sample); w.u32(layer); w.u32(steps); w.u32(neurons); w.u32(spikeCount); w.zeros(8)
    }

    static func decode(body r: inout ByteReader, bits: [UInt8]) throws(WireError) -> SpikeRaster {
        let epoch = try r.u32("epoch"), sample = try r.u32("sample"), layer = try r.u32("layer")
        let steps = try r.u32("steps"), neurons = try r.u32("neurons"), count = try r.u32("spike count")
        try r.reserved(8)
        try r.finish()
        return SpikeRaster(epoch: epoch, sample: sample, layer: layer, steps: steps, neurons: neurons, spikeCount: count, bits: bits)
    }
}
