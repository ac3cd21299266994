import Foundation

/// Frame 0 of every message (PROTOCOL.md §3.1), 32 bytes little-endian.
public struct WireHeader: Sendable, Equatable {
    /// ASCII "SNN1".
    public static let magic: [UInt8] = [0x53, 0x4E, 0x4E, 0x31]
    /// Flag bit 0: every payload frame starts with a frame envelope (some may be LZ4-compressed).
    public static let flagEnveloped: UInt16 = 1

    public var version: UInt16
    public var kind: MessageKind
    public var flags: UInt16
    /// nil when the header's run id is all zero.
    public var runID: UUID?
    public var payloadFrameCount: Int

    public var enveloped: Bool { flags & Self.flagEnveloped != 0 }

    func encoded() -> [UInt8] {
        var w = ByteWriter(capacity: WireLimits.headerBytes)
        for b in Self.magic { w.u8(b) }
        w.u16(version)
        w.u16(kind.rawValue)
        w.u16(flags)
        w.u16(0)
        w.uuid(runID ?? UUID(uuid: (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)))
        w.u16(UInt16(WireLimits.headerBytes))
        w.u16(UInt16(truncatingIfNeeded: payloadFrameCount))
        return w.bytes
    }

    /// Parses and checks a header frame. The version is checked right after the magic, so a peer speaking
    /// another version gets `unsupportedVersion` even if its header layout differs.
    static func decode(_ frame: [UInt8]) throws(WireError) -> WireHeader {
        var r = ByteReader(frame, frame: "header")
        for (i, b) in magic.enumerated() {
            guard try r.u8("magic") == b else {
                throw WireError(.badHeader, "header magic byte \(i) is wrong; not an SNN1 message")
            }
        }
        let version = try r.u16("version")
        guard version == WireCodec.protocolVersion else {
            throw WireError(.unsupportedVersion,
                            "peer speaks protocol version \(version), this build speaks \(WireCodec.protocolVersion)")
        }
        guard frame.count == WireLimits.headerBytes else {
            throw WireError(.badHeader, "header frame is \(frame.count) bytes, must be \(WireLimits.headerBytes)")
        }
        let type = try r.u16("type")
        let flags = try r.u16("flags")
        try r.reserved(2)
        let runID = try r.uuid("run id")
        let headerLength = try r.u16("header length")
        let count = Int(try r.u16("payload frame count"))
        try r.finish()
        guard headerLength == UInt16(WireLimits.headerBytes) else {
            throw WireError(.badHeader, "header length field is \(headerLength), must be \(WireLimits.headerBytes)")
        }
        guard let kind = MessageKind(rawValue: type) else {
            throw WireError(.unknownType, "message type \(type) does not exist in protocol version \(version)")
        }
        guard flags & ~flagEnveloped == 0 else {
            throw WireError(.badHeader, "header flags 0x\(String(flags, radix: 16)) set reserved bits")
        }
        return WireHeader(version: version, kind: kind, flags: flags,
                          runID: MessageValidation.isZero(runID) ? nil : runID, payloadFrameCount: count)
    }
}
