import CZeroMQ
import Foundation
import Synchronization

/// A ZAP handler (ZeroMQ RFC 27) that admits CURVE clients whose public key is in an allow-list.
///
/// Without a ZAP handler a CURVE server admits *any* client that knows the server's public key; with this
/// one, every handshake in the context is checked: mechanism CURVE with an allowed key gets "200", anything
/// else "400" (the client's handshake fails; it sees no reply) and `onRefuse` is called with the key, so the
/// coordinator can log who was turned away. It runs a REP socket on `inproc://zeromq.zap.01` on its own
/// thread; create it before the server socket binds, keep it alive as long as the server, and `stop()` it
/// (or drop it) before the context goes away.
///
/// Every security handshake in the context goes through this handler, so NULL-mechanism (plain) TCP
/// sockets in the same context would be refused too: give plain sockets their own context.
public final class ZAPAuthenticator: @unchecked Sendable {
    /// A refused handshake.
    public struct Refusal: Sendable, Equatable {
        /// "CURVE", "NULL", "PLAIN", …
        public var mechanism: String
        /// The client's Z85 public key (CURVE only).
        public var publicKey: String?
        /// The peer's IP address as libzmq reports it.
        public var address: String
    }

    public static let endpoint = "inproc://zeromq.zap.01"

    private let state: State

    /// Binds the handler in `context` and starts its thread.
    public init(context: ZContext, allowList: CurveAllowList,
                onRefuse: @escaping @Sendable (Refusal) -> Void = { _ in }) throws(ZmqError) {
        let socket = try ZSocket(context: context, type: ZMQ_REP)
        try socket.setInt(ZMQ_LINGER, 0)
        try socket.bind(Self.endpoint)
        state = State(socket: socket, keys: allowList.keys, onRefuse: onRefuse)
        let state = self.state
        let thread = Thread { state.run() }
        thread.name = "zap-handler"
        thread.start()
    }

    deinit { stop() }

    /// Admits `key` from now on.
    public func allow(_ key: String) { state.keys.withLock { _ = $0.insert(key) } }
    /// Refuses `key` in future handshakes (established connections stay).
    public func revoke(_ key: String) { state.keys.withLock { _ = $0.remove(key) } }
    /// The keys admitted now.
    public var allowedKeys: Set<String> { state.keys.withLock { $0 } }
    /// Handshakes answered so far (admitted + refused).
    public var requestsHandled: Int { state.handled.load(ordering: .relaxed) }

    /// Stops the thread and closes its socket; returns once it has (within ~100 ms). Idempotent.
    public func stop() {
        if state.stopRequested.exchange(true, ordering: .acquiringAndReleasing) { return }
        state.done.wait()
    }

    private final class State: @unchecked Sendable {
        let socket: ZSocket
        let keys: Mutex<Set<String>>
        let onRefuse: @Sendable (Refusal) -> Void
        let stopRequested = Atomic<Bool>(false)
        let handled = Atomic<Int>(0)
        let done = DispatchSemaphore(value: 0)

        init(socket: ZSocket, keys: Set<String>, onRefuse: @escaping @Sendable (Refusal) -> Void) {
            self.socket = socket
            self.keys = Mutex(keys)
            self.onRefuse = onRefuse
        }

        func run() {
            while !stopRequested.load(ordering: .acquiring) {
                let request: [[UInt8]]
                do {
                    guard let r = try socket.receiveMultipart(timeoutMs: 100, maxFrames: 16, maxBytes: 1 << 16) else { continue }
                    request = r
                } catch {
                    if error.code == ETERM { break }   // context shutting down
                    // An oversized request was drained; REP still owes a reply before it can receive again.
                    if error.code == EMSGSIZE { request = [Array("1.0".utf8)] } else { continue }
                }
                let reply = answer(request)
                try? socket.sendMultipart(reply)
                handled.add(1, ordering: .relaxed)
            }
            socket.close()
            done.signal()
        }

        /// RFC 27 request: version, request id, domain, address, identity, mechanism, credentials…
        /// Reply: version, request id, status code, status text, user id, metadata.
        func answer(_ frames: [[UInt8]]) -> [[UInt8]] {
            let requestId = frames.count > 1 ? frames[1] : []
            func reply(_ code: String, _ text: String, _ user: String = "") -> [[UInt8]] {
                [Array("1.0".utf8), requestId, Array(code.utf8), Array(text.utf8), Array(user.utf8), []]
            }
            func text(_ i: Int) -> String { i < frames.count ? String(decoding: frames[i], as: UTF8.self) : "" }
            let mechanism = text(5)
            let address = text(3)
            guard frames.count >= 6, text(0) == "1.0" else {
                onRefuse(Refusal(mechanism: mechanism, publicKey: nil, address: address))
                return reply("400", "malformed ZAP request")
            }
            let key = (mechanism == "CURVE" && frames.count >= 7) ? CurveKeyPair.z85(frames[6]) : nil
            if let key, keys.withLock({ $0.contains(key) }) {
                return reply("200", "OK", key)
            }
            onRefuse(Refusal(mechanism: mechanism, publicKey: key, address: address))
            return reply("400", key == nil ? "CURVE required" : "client key not in the allow-list")
        }
    }
}
