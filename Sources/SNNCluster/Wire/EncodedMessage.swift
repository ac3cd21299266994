import Foundation

/// Raw and on-the-wire size of one payload frame, for the metrics store ("measure and report the ratio per
/// message kind").
public struct FrameSize: Sendable, Equatable {
    /// e.g. "RESULT gradient".
    public var name: String
    /// Bytes before compression (after decoding).
    public var rawBytes: Int
    /// Bytes in the ZeroMQ frame, envelope included.
    public var wireBytes: Int
    /// Whether the frame travels LZ4-compressed.
    public var compressed: Bool
}

/// One message ready for `ZSocket.sendMultipart`, with its sizes.
public struct EncodedMessage: Sendable {
    public var kind: MessageKind
    /// Header frame, then payload frames.
    public var frames: [[UInt8]]
    /// One entry per payload frame.
    public var payload: [FrameSize]

    /// Header + raw payload bytes.
    public var rawBytes: Int { WireLimits.headerBytes + payload.reduce(0) { $0 + $1.rawBytes } }
    /// Bytes of all frames as sent.
    public var wireBytes: Int { frames.reduce(0) { $0 + $1.count } }
}

/// A decoded, validated message with the run id from its header and its sizes.
public struct DecodedMessage: Sendable, Equatable {
    public var message: Message
    /// nil when the header's run id is all zero.
    public var runID: UUID?
    public var kind: MessageKind { message.kind }
    /// Header + raw payload bytes.
    public var rawBytes: Int
    /// Bytes of all frames as received.
    public var wireBytes: Int
}
