/// The 8-byte envelope in front of each payload frame when header flag bit 0 is set (PROTOCOL.md §3.3):
/// codec u8, filter u8, element bytes u8 (narrowing filters only, else 0), reserved u8, raw length u32, then the
/// (possibly compressed or narrowed) data.
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
        /// `i64` elements as the low W bytes of their ZigZag (`Narrowing`), stored only: RESULT gradients (protocol 5).
        case narrowZigZag8 = 13
        /// `u32` elements as their low W bytes (`Narrowing`), stored only: WORK parameter deltas (protocol 5).
        case narrow4 = 14
        /// ZigZag of `i64`, then the low and the high halves bit-shuffled (`BitShuffle.shuffleZigZag64`): RESULT
        /// gradients (protocol 6).
        case zigzagBitShuffle8 = 15

        /// Element width the raw length must be a multiple of (1 for `none`).
        public var width: Int {
            switch self {
            case .none: 1
            case .shuffle4, .bitShuffle4, .narrow4: 4
            case .shuffle8, .zigzagShuffle8, .narrowZigZag8, .zigzagBitShuffle8: 8
            }
        }

        /// True for the filters that store each element in fewer bytes (13, 14): their data is never LZ4-compressed
        /// and their envelope's byte 2 gives the bytes per element.
        public var narrows: Bool { self == .narrowZigZag8 || self == .narrow4 }

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
            case .zigzagBitShuffle8: return BitShuffle.shuffleZigZag64(raw)
            case .narrowZigZag8, .narrow4: preconditionFailure("narrowing filters are applied by FrameEnvelope.narrowed")
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
            case .zigzagBitShuffle8: return BitShuffle.unshuffleZigZag64(filtered)
            case .narrowZigZag8, .narrow4: preconditionFailure("narrowing filters are undone by FrameEnvelope.decode")
            }
        }
    }

    /// The parsed envelope of one frame; checked against limits before any allocation.
    public struct Info: Sendable, Equatable {
        public var codec: Codec
        public var filter: Filter
        public var rawLength: Int
        public var dataLength: Int
        /// Bytes per element of a narrowing filter's data (envelope byte 2); 0 for the other filters.
        public var elementBytes: Int = 0
    }

    /// `raw` inside an envelope: passed through `filter` and LZ4-compressed when `compress` is true and that
    /// makes it smaller; otherwise stored as is (filter none). The narrowing filters apply to stored data only
    /// (`narrowed(_:)`); given here, they compress without a filter.
    public static func encode(_ raw: [UInt8], filter: Filter, compress: Bool) -> (frame: [UInt8], compressed: Bool) {
        if compress, raw.count <= Int(UInt32.max) {
            let f = raw.count % filter.width == 0 && !filter.narrows ? filter : .none
            if let packed = LZ4Block.compress(f.apply(raw)), packed.count < raw.count {
                return (header(.lz4, f, raw.count) + packed, true)
            }
        }
        return (header(.stored, .none, raw.count) + raw, false)
    }

    /// `values` inside a stored envelope with filter 13 (`i64` narrowed to the fewest bytes of their ZigZag), or nil
    /// when that saves nothing (every element needs all 8 bytes) or the raw length does not fit the envelope.
    public static func narrowed(_ values: [Int64]) -> [UInt8]? {
        values.withUnsafeBufferPointer { v in
            let w = Narrowing.width(zigzag: v)
            guard w < 8, v.count * 8 <= Int(UInt32.max) else { return nil }
            return frame(filter: .narrowZigZag8, elementBytes: w, rawLength: v.count * 8) { Narrowing.narrow(zigzag: v, width: w, into: $0) }
        }
    }

    /// `values` inside a stored envelope with filter 14 (`u32` narrowed to their fewest bytes), or nil when that
    /// saves nothing.
    public static func narrowed(_ values: [UInt32]) -> [UInt8]? {
        values.withUnsafeBufferPointer { v in
            let w = Narrowing.width(v)
            guard w < 4, v.count * 4 <= Int(UInt32.max) else { return nil }
            return frame(filter: .narrow4, elementBytes: w, rawLength: v.count * 4) { Narrowing.narrow(v, width: w, into: $0) }
        }
    }

    private static func frame(filter: Filter, elementBytes: Int, rawLength: Int,
                              _ fill: (UnsafeMutableRawPointer) -> Void) -> [UInt8] {
        let count = size + rawLength / filter.width * elementBytes
        return [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            let base = UnsafeMutableRawPointer(buffer.baseAddress!)
            base.storeBytes(of: FrameEnvelope.Codec.stored.rawValue, toByteOffset: 0, as: UInt8.self)
            base.storeBytes(of: filter.rawValue, toByteOffset: 1, as: UInt8.self)
            base.storeBytes(of: UInt8(elementBytes), toByteOffset: 2, as: UInt8.self)
            base.storeBytes(of: 0, toByteOffset: 3, as: UInt8.self)
            base.storeBytes(of: UInt32(rawLength).littleEndian, toByteOffset: 4, as: UInt32.self)
            fill(base + size)
            initialized = count
        }
    }

    /// Reads and checks the envelope only (no allocation): codec and shuffle known, raw length ≤ `limit`,
    /// stored data exactly raw length, an LZ4 block able to expand to the claimed length.
    public static func inspect(_ frame: [UInt8], limit: Int, name: String) throws(WireError) -> Info {
        var r = ByteReader(frame, frame: "\(name) frame envelope")
        let codecByte = try r.u8("codec")
        let filterByte = try r.u8("filter")
        let elementBytes = Int(try r.u8("element bytes"))
        try r.reserved(1)
        let rawLength = Int(try r.u32("raw length"))
        let dataLength = frame.count - size
        guard let codec = Codec(rawValue: codecByte) else {
            throw WireError(.badCompression, "\(name) frame has unknown codec \(codecByte)")
        }
        guard let filter = Filter(rawValue: filterByte) else {
            throw WireError(.badCompression, "\(name) frame has unknown filter \(filterByte); allowed 0, 4, 8, 9, 12, 13, 14, 15")
        }
        guard rawLength <= limit else {
            throw WireError(.tooLarge, "\(name) frame declares \(rawLength) raw bytes, limit \(limit)")
        }
        if rawLength % filter.width != 0 {
            throw WireError(.badCompression, "\(name) frame raw length \(rawLength) is not a multiple of its filter width \(filter.width)")
        }
        if filter.narrows {
            guard codec == .stored else {
                throw WireError(.badCompression, "\(name) frame: filter \(filterByte) narrows stored data; it cannot be LZ4-compressed")
            }
            guard (1...filter.width).contains(elementBytes) else {
                throw WireError(.badCompression, "\(name) frame: filter \(filterByte) with \(elementBytes) bytes per element; allowed 1…\(filter.width)")
            }
            guard dataLength == rawLength / filter.width * elementBytes else {
                throw WireError(.countMismatch, "\(name) frame stores \(dataLength) bytes, declares \(rawLength / filter.width) elements of \(elementBytes) bytes")
            }
            return Info(codec: codec, filter: filter, rawLength: rawLength, dataLength: dataLength, elementBytes: elementBytes)
        }
        guard elementBytes == 0 else {
            throw WireError(.invalidValue, "\(name) frame envelope byte 2 is \(elementBytes); it must be 0 except with filters 13 and 14")
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
        if info.filter.narrows { return widened(frame, info: info) }
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

    /// The raw bytes of a narrowed frame (checked by `inspect`): each element widened back to 4 or 8 bytes.
    private static func widened(_ frame: [UInt8], info: Info) -> [UInt8] {
        guard info.rawLength > 0 else { return [] }
        return [UInt8](unsafeUninitializedCapacity: info.rawLength) { buffer, initialized in
            widen(frame, info: info, into: UnsafeMutableRawPointer(buffer.baseAddress!))
            initialized = info.rawLength
        }
    }

    /// Writes the `info.rawLength` (> 0) raw bytes of a narrowed frame (checked by `inspect`) to `out`: straight into
    /// a typed array (`RawFrame`) or into raw bytes (`widened`).
    static func widen(_ frame: [UInt8], info: Info, into out: UnsafeMutableRawPointer) {
        let n = info.rawLength / info.filter.width
        frame.withUnsafeBytes { src in
            let data = src.baseAddress! + size
            if info.filter == .narrowZigZag8 {
                Narrowing.widen(zigzag: data, width: info.elementBytes, count: n, into: out)
            } else {
                Narrowing.widen(data, width: info.elementBytes, count: n, into: out)
            }
        }
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
