/// The 8-byte envelope in front of each payload frame when header flag bit 0 is set (PROTOCOL.md §3.3):
/// codec u8, filter u8, reserved u16, raw length u32, then the (possibly compressed) data.
public enum FrameEnvelope {
    public static let size = 8

    /// How the data after the envelope is stored.
    public enum Codec: UInt8, Sendable {
        case stored = 0
        case lz4 = 1
    }

    /// A reversible transform applied before compression so LZ4 finds more repeats.
    public enum Filter: UInt8, Sendable, CaseIterable {
        case none = 0
        /// Byte shuffle of 4-byte elements (f32, u32).
        case shuffle4 = 4
        /// Byte shuffle of 8-byte elements.
        case shuffle8 = 8
        /// ZigZag of little-endian i64, then byte shuffle of 8-byte elements (fixed-point gradients, counters).
        case zigzagShuffle8 = 9
        /// Bit shuffle of 4-byte elements (`BitShuffle`): parameters and parameter deltas in WORK (protocol 4).
        case bitShuffle4 = 12

        /// Element width the raw length must be a multiple of (1 for `none`).
        public var width: Int {
            switch self {
            case .none: 1
            case .shuffle4, .bitShuffle4: 4
            case .shuffle8, .zigzagShuffle8: 8
            }
        }

        func apply(_ raw: [UInt8]) -> [UInt8] {
            switch self {
            case .none: return raw
            // One case per width, so each call specialises the shuffle for a constant width.
            case .shuffle4: return ByteShuffle.shuffle(raw, width: 4)
            case .shuffle8: return ByteShuffle.shuffle(raw, width: 8)
            case .zigzagShuffle8:
                var z = raw
                ZigZag.encode64(&z)
                return ByteShuffle.shuffle(z, width: 8)
            case .bitShuffle4: return BitShuffle.shuffle(raw)
            }
        }

        func invert(_ filtered: [UInt8]) -> [UInt8] {
            switch self {
            case .none: return filtered
            case .shuffle4: return ByteShuffle.unshuffle(filtered, width: 4)
            case .shuffle8: return ByteShuffle.unshuffle(filtered, width: 8)
            case .zigzagShuffle8:
                var z = ByteShuffle.unshuffle(filtered, width: 8)
                ZigZag.decode64(&z)
                return z
            case .bitShuffle4: return BitShuffle.unshuffle(filtered)
            }
        }
    }

    /// The parsed envelope of one frame; checked against limits before any allocation.
    public struct Info: Sendable, Equatable {
        public var codec: Codec
        public var filter: Filter
        public var rawLength: Int
        public var dataLength: Int
    }

    /// `raw` inside an envelope: passed through `filter` and LZ4-compressed when `compress` is true and that
    /// makes it smaller; otherwise stored as is (filter none).
    public static func encode(_ raw: [UInt8], filter: Filter, compress: Bool) -> (frame: [UInt8], compressed: Bool) {
        if compress, raw.count <= Int(UInt32.max) {
            let f = raw.count % filter.width == 0 ? filter : .none
            if let packed = LZ4Block.compress(f.apply(raw)), packed.count < raw.count {
                return (header(.lz4, f, raw.count) + packed, true)
            }
        }
        return (header(.stored, .none, raw.count) + raw, false)
    }

    /// Reads and checks the envelope only (no allocation): codec and shuffle known, raw length ≤ `limit`,
    /// stored data exactly raw length, an LZ4 block able to expand to the claimed length.
    public static func inspect(_ frame: [UInt8], limit: Int, name: String) throws(WireError) -> Info {
        var r = ByteReader(frame, frame: "\(name) frame envelope")
        let codecByte = try r.u8("codec")
        let filterByte = try r.u8("filter")
        try r.reserved(2)
        let rawLength = Int(try r.u32("raw length"))
        let dataLength = frame.count - size
        guard let codec = Codec(rawValue: codecByte) else {
            throw WireError(.badCompression, "\(name) frame has unknown codec \(codecByte)")
        }
        guard let filter = Filter(rawValue: filterByte) else {
            throw WireError(.badCompression, "\(name) frame has unknown filter \(filterByte); allowed 0, 4, 8, 9, 12")
        }
        guard rawLength <= limit else {
            throw WireError(.tooLarge, "\(name) frame declares \(rawLength) raw bytes, limit \(limit)")
        }
        if rawLength % filter.width != 0 {
            throw WireError(.badCompression, "\(name) frame raw length \(rawLength) is not a multiple of its filter width \(filter.width)")
        }
        switch codec {
        case .stored:
            guard dataLength == rawLength else {
                throw WireError(.countMismatch, "\(name) frame stores \(dataLength) bytes, declares \(rawLength)")
            }
        case .lz4:
            guard dataLength >= 1, rawLength <= LZ4Block.maxRawLength(compressedLength: dataLength) else {
                throw WireError(.badCompression,
                                "\(name) frame: \(dataLength) LZ4 bytes cannot expand to the declared \(rawLength)")
            }
        }
        return Info(codec: codec, filter: filter, rawLength: rawLength, dataLength: dataLength)
    }

    /// The raw bytes of an enveloped frame: checked by `inspect`, then decompressed and unshuffled.
    public static func decode(_ frame: [UInt8], limit: Int, name: String) throws(WireError) -> [UInt8] {
        let info = try inspect(frame, limit: limit, name: name)
        return try decode(frame, info: info, name: name)
    }

    static func decode(_ frame: [UInt8], info: Info, name: String) throws(WireError) -> [UInt8] {
        let data = frame[size...]
        let raw: [UInt8]
        switch info.codec {
        case .stored: raw = Array(data)
        case .lz4:
            do {
                raw = try LZ4Block.decompress(data, rawLength: info.rawLength, limit: info.rawLength)
            } catch {
                throw WireError(error.code, "\(name) frame: \(error.message)")
            }
        }
        return info.filter.invert(raw)
    }

    private static func header(_ codec: Codec, _ filter: Filter, _ rawLength: Int) -> [UInt8] {
        var w = ByteWriter(capacity: size)
        w.u8(codec.rawValue)
        w.u8(filter.rawValue)
        w.u16(0)
        w.u32(UInt32(rawLength))
        return w.bytes
    }
}
