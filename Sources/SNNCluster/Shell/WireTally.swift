import Foundation

/// Per message kind: messages, raw and wire bytes (sent and received), for the metrics.
final class WireTally: @unchecked Sendable {
    private(set) var byKind: [String: (messages: Int64, raw: Int64, wire: Int64)] = [:]
    private let lock = NSLock()
    func add(_ kind: MessageKind, raw: Int, wire: Int) {
        lock.lock(); defer { lock.unlock() }
        var e = byKind[kind.description, default: (0, 0, 0)]
        e.messages += 1; e.raw += Int64(raw); e.wire += Int64(wire)
        byKind[kind.description] = e
    }
    func drain() -> [String: (messages: Int64, raw: Int64, wire: Int64)] {
        lock.lock(); defer { lock.unlock() }
        let out = byKind; byKind = [:]; return out
    }
}
