/// Why a message (or a value about to become one) was rejected.
///
/// Every problem found in untrusted bytes surfaces as one of these, never as a trap: the coordinator logs
/// `description` (one line) and answers the sender as `protocols/PROTOCOL.md` §6 says.
public struct WireError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The class of problem; stable names for logs and metrics.
    public enum Code: String, Sendable, CaseIterable {
        /// Header frame missing, wrong length, wrong magic, bad header length, non-zero reserved bits.
        case badHeader
        /// The header names a protocol version this build does not speak.
        case unsupportedVersion
        /// The header names a message type that does not exist.
        case unknownType
        /// Wrong number of frames for the message type, or a frame count that disagrees with the header.
        case frameCount
        /// A frame ended before a field it must hold.
        case truncated
        /// A frame holds bytes after the last field of its layout.
        case trailingBytes
        /// A frame, array or string is over its documented limit.
        case tooLarge
        /// A frame envelope or LZ4 block is invalid, or decompresses to another size than it declared.
        case badCompression
        /// NaN or infinity where only finite values are allowed.
        case nonFinite
        /// A field holds a value outside its documented set or range.
        case invalidValue
        /// A string is not valid UTF-8 or breaks its format rule.
        case invalidString
        /// A count disagrees with the length of the frame that holds the elements.
        case countMismatch
        /// A message type that must carry a run id has none (all-zero run id).
        case missingRunID
        /// A value cannot be represented in fixed point (|x| ≥ 2^30).
        case outOfRange
        /// A fixed-point sum overflowed Int64.
        case overflow
    }

    public let code: Code
    /// What was wrong, naming the field, e.g. "RESULT statistics[3] is NaN".
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "wire \(code.rawValue): \(message)" }
}
