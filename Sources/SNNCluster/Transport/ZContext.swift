import CZeroMQ

/// A libzmq context. Sockets hold their context strongly, so it is terminated (`zmq_ctx_term`, which waits
/// for every socket to close) only after the last socket is gone (SWIFT-NOTES pitfall 3: ARC may release
/// a context before its sockets, and `zmq_ctx_term` then hangs).
public final class ZContext: @unchecked Sendable {
    public let raw: UnsafeMutableRawPointer

    public init() throws(ZmqError) {
        guard let ctx = zmq_ctx_new() else { throw ZmqError.last("zmq_ctx_new") }
        raw = ctx
    }

    deinit { zmq_ctx_term(raw) }
}
