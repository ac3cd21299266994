/// Where a shell's multipart messages go and come from: a ZeroMQ socket in production, one end of an
/// `InMemoryNetwork` in tests (the seam swift-nio's `EmbeddedChannel` gives its handlers).
///
/// A ROUTER-side transport puts the peer's routing id in front of every message it receives and expects it as
/// the first frame of every message it sends, as ZeroMQ's ROUTER does; a DEALER-side transport carries the
/// messages as they are.
public protocol FrameTransport: AnyObject {
    /// Queues one message without blocking; a message that cannot be queued is dropped (ZMQ_DONTWAIT).
    func send(_ frames: [[UInt8]]) throws
    /// The next message, waiting at most `timeoutMs` for one (0: only what is already queued); nil when none came.
    /// A message over the transport limits throws `ZmqError` with code `EMSGSIZE` and is gone.
    func receive(timeoutMs: Int) throws -> [[UInt8]]?
    /// Like `receive(timeoutMs:)`, but the wait also ends the moment `wake` is signalled (then nil, unless a
    /// message is queued too). A transport that cannot wait on a descriptor ignores `wake` (tests poll at 0 ms).
    func receive(timeoutMs: Int, wake: WakeSignal?) throws -> [[UInt8]]?
    func close()
}

extension FrameTransport {
    public func receive(timeoutMs: Int, wake: WakeSignal?) throws -> [[UInt8]]? { try receive(timeoutMs: timeoutMs) }
}

extension ZSocket: FrameTransport {
    public func send(_ frames: [[UInt8]]) throws { try sendMultipart(frames, dontWait: true) }
    public func receive(timeoutMs: Int) throws -> [[UInt8]]? { try receiveMultipart(timeoutMs: timeoutMs) }
    public func receive(timeoutMs: Int, wake: WakeSignal?) throws -> [[UInt8]]? {
        if let wake, timeoutMs != 0 {
            guard try ZPoll.readable(self, orFileDescriptor: wake.fd, timeoutMs: timeoutMs).socket else { return nil }
            return try receiveMultipart(timeoutMs: 0)
        }
        return try receiveMultipart(timeoutMs: timeoutMs)
    }
}
