import Foundation

/// Encodes `Message`s into ZeroMQ multipart frames and decodes untrusted frames back, enforcing every rule
/// of `protocols/PROTOCOL.md`. Decoding never traps and never allocates more than the documented limits:
/// every outcome is a validated message or a `WireError`.
public enum WireCodec {
    /// The protocol version this build speaks (PROTOCOL.md: 2 added WORK_FAILED, split WORK's parameters and
    /// state into two frames and put `steps` in RESULT; 3 let one RESULT cover several micro-batches; 4 sends WORK's
    /// parameters as a delta against the version the worker holds, bit-shuffled, with a checksum; 5 computes that
    /// checksum over 8 independent lanes and lets stored integer frames travel narrowed, §3.3 filters 13 and 14; 6 sends
    /// RESULT gradients in bit planes, filter 15, and adds WORK parameters kind 3, a rounded update).
    public static let protocolVersion: UInt16 = 6
    /// Default: payload frames shorter than this are never compressed.
    public static let defaultCompressAbove = 512
    /// Integer frames (RESULT gradient, WORK deltas) of at least this many raw bytes that travel stored are narrowed
    /// (§3.3 filters 13, 14) when their values fit in fewer bytes per element; below it the envelope is not worth it.
    public static let narrowAbove = 4096

    /// The frames of `message`. `runID` goes into the header (WELCOME uses its own `runID`; nil or the
    /// all-zero UUID mean "no run"). Frames of at least `compressAbove` bytes are LZ4-compressed (integer and
    /// float arrays filtered first) when that makes them smaller. Throws when the message breaks a rule the receiver
    /// would reject it for (size limits, NaN/Inf, empty names, …).
    public static func encode(_ message: Message, runID: UUID?, compressAbove: Int = defaultCompressAbove)
        throws(WireError) -> EncodedMessage
    {
        var headerRunID = runID.flatMap { MessageValidation.isZero($0) ? nil : $0 }
        if case .welcome(let w) = message { headerRunID = w.runID }
        try MessageValidation.validate(message, runID: headerRunID)

        let payloads = WireBodies.encode(message)
        let rawTotal = payloads.reduce(WireLimits.headerBytes) { $0 + $1.byteCount }
        guard rawTotal <= WireLimits.maxMessageBytes else {
            throw WireError(.tooLarge, "\(message.kind) is \(rawTotal) raw bytes, limit \(WireLimits.maxMessageBytes)")
        }

        // Compress the large frames; narrow the large integer frames left stored (§3.3 filters 13, 14); use envelopes
        // only if at least one frame actually shrank.
        var enveloped: [[UInt8]?] = Array(repeating: nil, count: payloads.count)
        var compressed = Array(repeating: false, count: payloads.count)
        var anyEnveloped = false
        for (i, p) in payloads.enumerated() {
            if p.byteCount >= compressAbove {
                let (frame, didCompress) = FrameEnvelope.encode(p.bytes, filter: p.filter, compress: true)
                if didCompress {
                    enveloped[i] = frame
                    compressed[i] = true
                    anyEnveloped = true
                    continue
                }
            }
            if p.byteCount >= narrowAbove, let frame = p.narrowed() {
                enveloped[i] = frame
                anyEnveloped = true
            }
        }
        var frames: [[UInt8]] = []
        var sizes: [FrameSize] = []
        frames.reserveCapacity(payloads.count + 1)
        let header = WireHeader(version: protocolVersion, kind: message.kind,
                                flags: anyEnveloped ? WireHeader.flagEnveloped : 0,
                                runID: headerRunID, payloadFrameCount: payloads.count)
        frames.append(header.encoded())
        for (i, p) in payloads.enumerated() {
            let frame: [UInt8]
            if let e = enveloped[i] {
                frame = e
            } else if anyEnveloped {
                frame = FrameEnvelope.encode(p.bytes, filter: .none, compress: false).frame
            } else {
                frame = p.bytes
            }
            frames.append(frame)
            sizes.append(FrameSize(name: p.name, rawBytes: p.byteCount, wireBytes: frame.count, compressed: compressed[i]))
        }
        return EncodedMessage(kind: message.kind, frames: frames, payload: sizes)
    }

    /// Only the header of `frames` (e.g. to answer a version mismatch with REFUSE before decoding more).
    public static func decodeHeader(_ frames: [[UInt8]]) throws(WireError) -> WireHeader {
        guard let first = frames.first else { throw WireError(.frameCount, "message has no frames") }
        return try WireHeader.decode(first)
    }

    /// Decodes and validates untrusted frames (for a ROUTER, drop the routing-id frame first).
    public static func decode(_ frames: [[UInt8]]) throws(WireError) -> DecodedMessage {
        let header = try decodeHeader(frames)
        let kind = header.kind
        let payloadCount = frames.count - 1
        guard header.payloadFrameCount == payloadCount else {
            throw WireError(.frameCount, "\(kind) header announces \(header.payloadFrameCount) payload frames, got \(payloadCount)")
        }
        guard kind.allowedPayloadCounts.contains(payloadCount) else {
            throw WireError(.frameCount, "\(kind) needs \(kind.allowedPayloadCounts) payload frames, got \(payloadCount)")
        }
        var wireTotal = 0
        for f in frames {
            wireTotal += f.count
            guard wireTotal <= WireLimits.maxMessageBytes else {
                throw WireError(.tooLarge, "\(kind) is over \(WireLimits.maxMessageBytes) bytes on the wire")
            }
        }

        // First check every frame's declared size against its limit (no allocation), then decode.
        let specs = kind.payloadFrames
        var raw: [RawFrame] = []
        raw.reserveCapacity(payloadCount)
        if header.enveloped {
            var infos: [FrameEnvelope.Info] = []
            var rawTotal = WireLimits.headerBytes
            for i in 0..<payloadCount {
                let info = try FrameEnvelope.inspect(frames[i + 1], limit: specs[i].limit, name: specs[i].name)
                rawTotal += info.rawLength
                guard rawTotal <= WireLimits.maxMessageBytes else {
                    throw WireError(.tooLarge, "\(kind) declares over \(WireLimits.maxMessageBytes) raw bytes")
                }
                infos.append(info)
            }
            for i in 0..<payloadCount {
                // LZ4 frames are decompressed now (a bad block is rejected before the body is read); stored and narrowed
                // ones are copied out once, straight into the array the body decodes them to.
                if infos[i].codec == .lz4 {
                    let bytes = try FrameEnvelope.decode(frames[i + 1], info: infos[i], name: specs[i].name)
                    raw.append(RawFrame(frame: bytes, info: nil, name: specs[i].name))
                } else {
                    raw.append(RawFrame(frame: frames[i + 1], info: infos[i], name: specs[i].name))
                }
            }
        } else {
            for i in 0..<payloadCount {
                let f = frames[i + 1]
                guard f.count <= specs[i].limit else {
                    throw WireError(.tooLarge, "\(specs[i].name) is \(f.count) bytes, limit \(specs[i].limit)")
                }
                raw.append(RawFrame(frame: f, info: nil, name: specs[i].name))
            }
        }

        let message = try WireBodies.decode(kind, raw, runID: header.runID)
        try MessageValidation.validate(message, runID: header.runID)
        let rawBytes = raw.reduce(WireLimits.headerBytes) { $0 + $1.rawCount }
        return DecodedMessage(message: message, runID: header.runID, rawBytes: rawBytes, wireBytes: wireTotal)
    }
}
