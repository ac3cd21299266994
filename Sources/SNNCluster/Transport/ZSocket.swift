import CZeroMQ
import Foundation

/// A libzmq socket (SWIFT-NOTES §2 recipe).
///
/// Like libzmq sockets it is **not** thread-safe: use it from one thread at a time. It is `@unchecked
/// Sendable` only so it can be created on one thread and handed to another. It keeps its context alive,
/// receives into a heap-allocated `zmq_msg_t` (small messages live inside the struct, so its address must
/// not move between `zmq_msg_recv` and reading the data — pitfall 4), and uses a finite linger so closing
/// never blocks for long.
public final class ZSocket: @unchecked Sendable {
    /// Defaults applied by the `router` / `dealer` factories.
    public static let defaultLingerMs: Int32 = 100
    public static let defaultHighWaterMark: Int32 = 1000

    public let raw: UnsafeMutableRawPointer
    public let context: ZContext
    private let message: UnsafeMutablePointer<zmq_msg_t>
    private var closed = false

    public init(context: ZContext, type: Int32) throws(ZmqError) {
        guard let s = zmq_socket(context.raw, type) else { throw ZmqError.last("zmq_socket") }
        raw = s
        self.context = context
        message = .allocate(capacity: 1)
        zmq_msg_init(message)
        try setInt(ZMQ_LINGER, Self.defaultLingerMs)
    }

    deinit {
        close()
        zmq_msg_close(message)
        message.deallocate()
    }

    /// A ROUTER (the coordinator's socket): `ZMQ_ROUTER_MANDATORY` so sends to a vanished peer fail with
    /// `EHOSTUNREACH` instead of vanishing, high-water marks of `highWaterMark` messages, frames limited to
    /// `WireLimits.maxMessageBytes` by libzmq itself.
    public static func router(_ context: ZContext, highWaterMark: Int32 = defaultHighWaterMark) throws(ZmqError) -> ZSocket {
        let s = try ZSocket(context: context, type: ZMQ_ROUTER)
        try s.setInt(ZMQ_ROUTER_MANDATORY, 1)
        try s.configureLimits(highWaterMark: highWaterMark)
        return s
    }

    /// A DEALER (a worker's socket).
    public static func dealer(_ context: ZContext, highWaterMark: Int32 = defaultHighWaterMark) throws(ZmqError) -> ZSocket {
        let s = try ZSocket(context: context, type: ZMQ_DEALER)
        try s.configureLimits(highWaterMark: highWaterMark)
        return s
    }

    private func configureLimits(highWaterMark: Int32) throws(ZmqError) {
        try setInt(ZMQ_SNDHWM, highWaterMark)
        try setInt(ZMQ_RCVHWM, highWaterMark)
        try setInt64(ZMQ_MAXMSGSIZE, Int64(WireLimits.maxMessageBytes))
    }

    // MARK: options

    public func setInt(_ option: Int32, _ value: Int32) throws(ZmqError) {
        var v = value
        try zcheck(zmq_setsockopt(raw, option, &v, MemoryLayout<Int32>.size), "setsockopt \(option)")
    }

    public func setInt64(_ option: Int32, _ value: Int64) throws(ZmqError) {
        var v = value
        try zcheck(zmq_setsockopt(raw, option, &v, MemoryLayout<Int64>.size), "setsockopt \(option)")
    }

    public func getInt(_ option: Int32) throws(ZmqError) -> Int32 {
        var v: Int32 = 0
        var n = MemoryLayout<Int32>.size
        try zcheck(zmq_getsockopt(raw, option, &v, &n), "getsockopt \(option)")
        return v
    }

    /// Binary options (routing id, …).
    public func setBytes(_ option: Int32, _ value: [UInt8]) throws(ZmqError) {
        let rc = value.withUnsafeBytes { zmq_setsockopt(raw, option, $0.baseAddress, $0.count) }
        try zcheck(rc, "setsockopt \(option)")
    }

    /// String options, passed without the terminating NUL (Z85 CURVE keys: length 40).
    public func setString(_ option: Int32, _ value: String) throws(ZmqError) {
        try setBytes(option, Array(value.utf8))
    }

    public func getString(_ option: Int32) throws(ZmqError) -> String {
        var buffer = [UInt8](repeating: 0, count: 1024)
        var n = buffer.count
        try zcheck(zmq_getsockopt(raw, option, &buffer, &n), "getsockopt \(option)")
        return String(decoding: buffer.prefix(n).prefix { $0 != 0 }, as: UTF8.self)
    }

    // MARK: endpoints

    public func bind(_ endpoint: String) throws(ZmqError) { try zcheck(zmq_bind(raw, endpoint), "bind \(endpoint)") }
    public func connect(_ endpoint: String) throws(ZmqError) { try zcheck(zmq_connect(raw, endpoint), "connect \(endpoint)") }

    /// The endpoint actually bound (e.g. the port chosen for `tcp://127.0.0.1:0`).
    public func lastEndpoint() throws(ZmqError) -> String { try getString(ZMQ_LAST_ENDPOINT) }

    /// Closes the socket now (idempotent; `deinit` does it otherwise).
    public func close() {
        if !closed {
            closed = true
            zmq_close(raw)
        }
    }

    // MARK: CURVE

    /// Server side of CURVE: this socket decrypts with `secretKey` (Z85). Pair it with a `ZAPAuthenticator`
    /// in the same context, bound *before* this socket accepts, or any client that knows the server's
    /// public key is admitted.
    public func makeCurveServer(secretKey: String, zapDomain: String = "snn") throws(ZmqError) {
        try setInt(ZMQ_CURVE_SERVER, 1)
        try setString(ZMQ_CURVE_SECRETKEY, secretKey)
        try setString(ZMQ_ZAP_DOMAIN, zapDomain)
    }

    /// Client side of CURVE: authenticate as `keyPair` to the server whose public key is `serverPublicKey`.
    public func makeCurveClient(serverPublicKey: String, keyPair: CurveKeyPair) throws(ZmqError) {
        try setString(ZMQ_CURVE_SERVERKEY, serverPublicKey)
        try setString(ZMQ_CURVE_PUBLICKEY, keyPair.publicKey)
        try setString(ZMQ_CURVE_SECRETKEY, keyPair.secretKey)
    }

    // MARK: messages

    /// Frames at least this long are handed to libzmq without a copy (`zmq_msg_init_data`); shorter ones are copied.
    public static let zeroCopyBytes = 64 << 10

    /// Sends `frames` as one multipart message. With `dontWait`, a full queue throws `EAGAIN`
    /// (`wouldBlock`) instead of blocking; a ROUTER throws `EHOSTUNREACH` for an unknown identity.
    ///
    /// Frames of `zeroCopyBytes` or more are not copied: libzmq sends from the array's own storage, which a retained
    /// holder keeps alive and unchanged until libzmq's I/O thread is done with it and calls back (issue 11 item 3: a
    /// RESULT or WORK of the demo spec is 0.8–1.7 MB, and the copy lay on every step's serial path). A sender that
    /// changes its array afterwards gets a copy of its own (copy on write), never a change to what is being sent.
    public func sendMultipart(_ frames: [[UInt8]], dontWait: Bool = false) throws(ZmqError) {
        guard !frames.isEmpty else { return }
        for (i, frame) in frames.enumerated() {
            var flags: Int32 = i + 1 < frames.count ? ZMQ_SNDMORE : 0
            if dontWait { flags |= ZMQ_DONTWAIT }
            if frame.count >= Self.zeroCopyBytes {
                try sendWithoutCopy(frame, flags: flags, index: i)
                continue
            }
            let rc = frame.withUnsafeBytes { zmq_send(raw, $0.baseAddress, $0.count, flags) }
            try zcheck(rc, "send frame \(i)")
        }
    }

    private func sendWithoutCopy(_ frame: [UInt8], flags: Int32, index: Int) throws(ZmqError) {
        let holder = FrameHolder(frame)
        // The storage of a native array neither moves nor changes while the holder keeps the array and nobody writes to
        // it through the holder; libzmq only reads it.
        let base = holder.bytes.withUnsafeBytes { UnsafeMutableRawPointer(mutating: $0.baseAddress!) }
        let hint = Unmanaged.passRetained(holder).toOpaque()
        var message = zmq_msg_t()
        let released: @convention(c) (UnsafeMutableRawPointer?, UnsafeMutableRawPointer?) -> Void = { _, hint in
            if let hint { Unmanaged<FrameHolder>.fromOpaque(hint).release() }
        }
        guard zmq_msg_init_data(&message, base, frame.count, released, hint) == 0 else {
            Unmanaged<FrameHolder>.fromOpaque(hint).release()
            throw ZmqError.last("zmq_msg_init_data")
        }
        if zmq_msg_send(&message, raw, flags) == -1 {
            let e = ZmqError.last("send frame \(index)")
            zmq_msg_close(&message)   // calls `released`
            throw e
        }
    }

    /// Receives one multipart message, waiting at most `timeoutMs` (-1 = forever); nil on timeout or signal.
    /// For a ROUTER the first frame is the peer's routing id.
    ///
    /// A message over `maxFrames` frames or `maxBytes` bytes is drained (so the next message starts
    /// cleanly) and reported as `EMSGSIZE`, without keeping its contents.
    public func receiveMultipart(timeoutMs: Int, maxFrames: Int = WireLimits.maxTransportFrames,
                                 maxBytes: Int = WireLimits.maxTransportBytes) throws(ZmqError) -> [[UInt8]]? {
        guard try ZPoll.readable([self], timeoutMs: timeoutMs)[0] else { return nil }
        var frames: [[UInt8]] = []
        var total = 0
        var oversized = false
        var first = true
        while true {
            if zmq_msg_recv(message, raw, first ? ZMQ_DONTWAIT : 0) == -1 {
                let e = ZmqError.last("receive")
                if first && (e.code == EAGAIN || e.code == EINTR) { return nil }
                throw e
            }
            first = false
            let size = zmq_msg_size(message)
            total += size
            if frames.count >= maxFrames || total > maxBytes { oversized = true }
            if !oversized {
                let data = zmq_msg_data(message)
                frames.append(size == 0 || data == nil ? [] : Array(UnsafeRawBufferPointer(start: data, count: size)))
            }
            if zmq_msg_more(message) == 0 { break }
        }
        if oversized {
            throw ZmqError(code: EMSGSIZE, operation: "receive (message over \(maxFrames) frames or \(maxBytes) bytes dropped)")
        }
        return frames
    }
}

/// Keeps a frame's bytes alive while libzmq sends them without a copy (`ZSocket.sendMultipart`).
private final class FrameHolder {
    let bytes: [UInt8]
    init(_ bytes: [UInt8]) { self.bytes = bytes }
}
