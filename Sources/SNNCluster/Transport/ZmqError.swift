import CZeroMQ
import Foundation

/// A failed libzmq call: the errno libzmq reported and which operation failed.
public struct ZmqError: Error, CustomStringConvertible, Sendable, Equatable {
    public let code: Int32
    public let operation: String

    public init(code: Int32, operation: String) {
        self.code = code
        self.operation = operation
    }

    /// The current `zmq_errno()` for `operation`.
    static func last(_ operation: String) -> ZmqError { ZmqError(code: zmq_errno(), operation: operation) }

    /// The call would have blocked (timeout or high-water mark with `ZMQ_DONTWAIT`).
    public var wouldBlock: Bool { code == EAGAIN }
    /// A ROUTER with `ZMQ_ROUTER_MANDATORY` was asked to send to an identity it does not know.
    public var hostUnreachable: Bool { code == EHOSTUNREACH }

    public var description: String {
        let text = zmq_strerror(code).map { String(cString: $0) } ?? "error \(code)"
        return "zmq \(operation): \(text)"
    }
}

@inline(__always)
func zcheck(_ rc: Int32, _ operation: @autoclosure () -> String) throws(ZmqError) {
    if rc == -1 { throw ZmqError.last(operation()) }
}
