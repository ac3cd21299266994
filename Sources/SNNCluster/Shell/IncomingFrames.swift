import Foundation
import Logging

/// The first steps both coordinator shells (training and ECC conversion) take with a worker's ROUTER frames, kept
/// in one place so the two answer bad input the same way (PROTOCOL.md §6).
enum IncomingFrames {
    /// Decodes `frames` (identity first). A peer speaking another protocol version is refused as such, not called
    /// malformed; any other undecodable message is answered with ERROR. Returns nil in both cases.
    static func decode(_ frames: [[UInt8]], logger: Logger,
                       reply: (Message, [UInt8]) -> Void) -> (identity: [UInt8], decoded: DecodedMessage)? {
        guard frames.count >= 2 else { return nil }
        let identity = frames[0]
        do {
            return (identity, try WireCodec.decode(Array(frames.dropFirst())))
        } catch {
            if error.code == .unsupportedVersion {
                logger.warning("refused a peer speaking another protocol version: \(error)")
                reply(.refuse(Refusal(code: .versionMismatch, reason: WireText.truncated(
                    "\(error); this coordinator speaks protocol \(WireCodec.protocolVersion)", maxBytes: 1000))), identity)
                return nil
            }
            logger.warning("rejected a malformed message from peer \(identity.prefix(8).map { String($0, radix: 16) }.joined()): \(error)")
            reply(.error(ErrorReply(rejecting: error)), identity)
            return nil
        }
    }

    /// Whether a message names another run than `runUUID` (REQUEST_WORK may carry the run id too): such a message
    /// is refused, never served.
    static func namesAnotherRun(_ decoded: DecodedMessage, runUUID: UUID) -> Bool {
        decoded.kind.requiresRunID ? decoded.runID != runUUID : (decoded.runID.map { $0 != runUUID } ?? false)
    }
}
