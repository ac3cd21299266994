import Foundation

/// A ROUTER and its DEALER peers in one process, for running `CoordinatorServer` and `WorkerClient` together in
/// tests: a message sent is queued for its receiver at once, in order; `receive` never waits. Each `dealer()` is a
/// new connection with a new routing id, as a reconnecting ZeroMQ DEALER is.
public final class InMemoryNetwork: @unchecked Sendable {
    private let lock = NSLock()
    private var routerInbox: [[[UInt8]]] = []
    private var dealerInboxes: [[UInt8]: [[[UInt8]]]] = [:]
    private var nextPeer: UInt32 = 0
    /// Decides per message whether it is delivered: (routing id of the dealer, frames, true when the dealer
    /// sends) → false drops it. Tests use it to lose a message on the way.
    public var deliver: ([UInt8], [[UInt8]], Bool) -> Bool = { _, _, _ in true }

    public init() {}

    /// The router end (the coordinator's).
    public func router() -> FrameTransport { Router(network: self) }

    /// A new dealer end (a worker's connection).
    public func dealer() -> FrameTransport {
        lock.lock(); defer { lock.unlock() }
        nextPeer += 1
        let id = withUnsafeBytes(of: nextPeer.bigEndian) { [0x00] + Array($0) }
        dealerInboxes[id] = []
        return Dealer(network: self, identity: id)
    }

    fileprivate func fromDealer(_ id: [UInt8], _ frames: [[UInt8]]) {
        guard deliver(id, frames, true) else { return }
        lock.lock(); defer { lock.unlock() }
        if dealerInboxes[id] != nil { routerInbox.append([id] + frames) }
    }

    fileprivate func fromRouter(_ frames: [[UInt8]]) {
        guard let id = frames.first, deliver(id, Array(frames.dropFirst()), false) else { return }
        lock.lock(); defer { lock.unlock() }
        dealerInboxes[id]?.append(Array(frames.dropFirst()))   // an unknown or closed peer: dropped, as ZeroMQ does
    }

    fileprivate func takeForRouter() -> [[UInt8]]? {
        lock.lock(); defer { lock.unlock() }
        return routerInbox.isEmpty ? nil : routerInbox.removeFirst()
    }

    fileprivate func take(for id: [UInt8]) -> [[UInt8]]? {
        lock.lock(); defer { lock.unlock() }
        guard var inbox = dealerInboxes[id], !inbox.isEmpty else { return nil }
        let first = inbox.removeFirst()
        dealerInboxes[id] = inbox
        return first
    }

    fileprivate func disconnect(_ id: [UInt8]) {
        lock.lock(); defer { lock.unlock() }
        dealerInboxes[id] = nil
    }

    private final class Router: FrameTransport {
        let network: InMemoryNetwork
        init(network: InMemoryNetwork) { self.network = network }
        func send(_ frames: [[UInt8]]) throws { network.fromRouter(frames) }
        func receive(timeoutMs: Int) throws -> [[UInt8]]? { network.takeForRouter() }
        func close() {}
    }

    private final class Dealer: FrameTransport {
        let network: InMemoryNetwork
        let identity: [UInt8]
        init(network: InMemoryNetwork, identity: [UInt8]) { self.network = network; self.identity = identity }
        func send(_ frames: [[UInt8]]) throws { network.fromDealer(identity, frames) }
        func receive(timeoutMs: Int) throws -> [[UInt8]]? { network.take(for: identity) }
        func close() { network.disconnect(identity) }
    }
}
