/// Bit packing of spike tensors: one bit per neuron and time step, least significant bit first.
///
/// Spike `i` lives in bit `i % 8` of byte `i / 8`; bits past the last spike are zero (checked on unpack so
/// every tensor has exactly one encoding). At 2–10 % spike rates this is 8× smaller than one byte per
/// spike before LZ4 even starts (SWIFT-NOTES §3).
public enum BitPack {
    /// Packed size in bytes of `count` spikes.
    public static func packedCount(_ count: Int) -> Int { (count + 7) / 8 }

    /// Packs byte spikes: any non-zero byte is a spike.
    public static func pack(_ spikes: [UInt8]) -> [UInt8] {
        let n = spikes.count
        return [UInt8](unsafeUninitializedCapacity: packedCount(n)) { out, initialized in
            spikes.withUnsafeBufferPointer { s in
                let full = n / 8
                for b in 0..<full {
                    var byte: UInt8 = 0
                    let base = b * 8
                    for j in 0..<8 { byte |= (s[base + j] != 0 ? 1 : 0) << UInt8(j) }
                    out[b] = byte
                }
                if n % 8 != 0 {
                    var byte: UInt8 = 0
                    for j in 0..<(n % 8) { byte |= (s[full * 8 + j] != 0 ? 1 : 0) << UInt8(j) }
                    out[full] = byte
                }
            }
            initialized = packedCount(n)
        }
    }

    /// Packs float spikes (the kernels' 0/1 outputs): any non-zero value is a spike.
    public static func pack(_ spikes: [Float]) -> [UInt8] {
        pack(spikes.map { $0 != 0 ? UInt8(1) : 0 })
    }

    /// Unpacks `count` spikes (0 or 1 per byte). `packed` must be exactly `packedCount(count)` bytes with zero
    /// padding bits.
    public static func unpack(_ packed: [UInt8], count: Int) throws(WireError) -> [UInt8] {
        guard count >= 0, packed.count == packedCount(count) else {
            throw WireError(.countMismatch, "\(packed.count) packed bytes cannot hold exactly \(count) spikes")
        }
        if count % 8 != 0, let last = packed.last, last >> UInt8(count % 8) != 0 {
            throw WireError(.invalidValue, "bit-packed spikes have non-zero padding bits")
        }
        return [UInt8](unsafeUninitializedCapacity: count) { out, initialized in
            packed.withUnsafeBufferPointer { p in
                for i in 0..<count { out[i] = (p[i >> 3] >> UInt8(i & 7)) & 1 }
            }
            initialized = count
        }
    }
}

/// Spike tensors on the wire: bit-pack, then LZ4 inside a frame envelope (PROTOCOL.md §3.3).
public enum SpikeCodec {
    /// One self-describing frame for `spikes` (non-zero = spike).
    public static func encode(_ spikes: [UInt8]) -> [UInt8] {
        FrameEnvelope.encode(BitPack.pack(spikes), filter: .none, compress: true).frame
    }

    /// The `count` spikes (0/1 bytes) in a frame made by `encode`; any defect throws.
    public static func decode(_ frame: [UInt8], count: Int) throws(WireError) -> [UInt8] {
        guard count >= 0, count <= WireLimits.maxSpikeTensor else {
            throw WireError(.tooLarge, "spike tensor of \(count) spikes, limit \(WireLimits.maxSpikeTensor)")
        }
        let packed = try FrameEnvelope.decode(frame, limit: BitPack.packedCount(count), name: "spikes")
        return try BitPack.unpack(packed, count: count)
    }
}
