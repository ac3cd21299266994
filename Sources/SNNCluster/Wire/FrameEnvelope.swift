/// The 8-byte envelope in front of each payload frame when header flag bit 0 is set (PROTOCOL.md §3.3):
/// codec u8, shuffle width u8, reserved u16, raw length u32, then the (possibly compressed) data.
public enum FrameEnvelope {
    public static let size = 8

    /// How the data after the envelope is stored.
    public enum Codec: UInt8, Sendable {
        case stored = 0
        case lz4 = 1
    }

    /// The parsed envelope of one frame; checked against limits before any allocation.
    public struct Info: Sendable, Equatable {
        public var codec: Codec
        public var shuffleWidth: Int
        public var rawLength: Int
        public var dataLength: Int
    }

    /// `raw` inside an envelope: shuffled with `shuffleWidth` (0, 4 or 8) and LZ4-compressed when `compress`
    /// is true and that makes it smaller; otherwise stored as is (shuffle 0).
    public static func encode(_ raw: [UInt8], shuffleWidth: Int, compress: Bool) -> (frame: [UInt8], compressed: Bool) {
        if compress, raw.count <= Int(UInt32.max) {
            let width = ByteShuffle.supportedWidths.contains(shuffleWidth) && raw.count % shuffleWidth == 0
                ? shuffleWidth : 0
            let input = width == 0 ? raw : ByteShuffle.shuffle(raw, width: width)
            if let packed = LZ4Block.compress(input), packed.count < raw.count {
                return (header(.lz4, width, raw.count) + packed, true)
            }
        }
        return (header(.stored, 0, raw.count) + raw, false)
    }

    /// Reads and checks the envelope only (no allocation): codec and shuffle known, raw length ≤ `limit`,
    /// stored data exactly raw length, an LZ4 block able to expand to the claimed length.
    public static func inspect(_ frame: [UInt8], limit: Int, name: String) throws(WireError) -> Info {
        var r = ByteReader(frame, frame: "\(name) frame envelope")
        let codecByte = try r.u8("codec")
        let width = Int(try r.u8("shuffle"))
        try r.reserved(2)
        let rawLength = Int(try r.u32("raw length"))
        let dataLength = frame.count - size
        guard let codec = Codec(rawValue: codecByte) else {
            throw WireError(.badCompression, "\(name) frame has unknown codec \(codecByte)")
        }
        guard width == 0 || ByteShuffle.supportedWidths.contains(width) else {
            throw WireError(.badCompression, "\(name) frame has shuffle width \(width); allowed 0, 4, 8")
        }
        guard rawLength <= limit else {
            throw WireError(.tooLarge, "\(name) frame declares \(rawLength) raw bytes, limit \(limit)")
        }
        if width != 0, rawLength % width != 0 {
            throw WireError(.badCompression, "\(name) frame raw length \(rawLength) is not a multiple of its shuffle width \(width)")
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
        return Info(codec: codec, shuffleWidth: width, rawLength: rawLength, dataLength: dataLength)
    }

    /// The raw bytes of an enveloped frame: checked by `inspect`, then decompressed and unshuffled.
    public static func decode(_ frame: [UInt8], limit: Int, name: String) throws(WireError) -> [UInt8] {
        let info = try inspect(frame, limit: limit, name: name)
        return try decode(frame, info: info, name: name)
    }

    static func decode(_ frame: [UInt8], info: Info, name: String) throws(WireError) -> [UInt8] {
        let data = frame[size...]
        var raw: [UInt8]
        switch info.codec {
        case .stored: raw = Array(data)
        case .lz4:
            do {
                raw = try LZ4Block.decompress(data, rawLength: info.rawLength, limit: info.rawLength)
            } catch {
                throw WireError(error.code, "\(name) frame: \(error.message)")
            }
        }
        if info.shuffleWidth != 0 { raw = ByteShuffle.unshuffle(raw, width: info.shuffleWidth) }
        return raw
    }

    private static func header(_ codec: Codec, _ width: Int, _ rawLength: Int) -> [UInt8] {
        var w = ByteWriter(capacity: size)
        w.u8(codec.rawValue)
        w.u8(UInt8(width))
        w.u16(0)
        w.u32(UInt32(rawLength))
        return w.bytes
    }
}
