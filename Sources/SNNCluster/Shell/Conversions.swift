import Foundation
import SNNEnergy
import SNNMethods
import SNNModel

/// Translations between the wire schema and the state machines' and engine's own types.
enum Convert {
    /// A ledger flattened to Int64s: cells in index order, `EventCounts.fields` per cell.
    static func flatten(_ l: EventLedger) -> [Int64] { l.counts.flatMap(\.fields) }

    static func ledger(_ flat: [Int64], like template: EventLedger) -> EventLedger? {
        let n = EventCounts.fieldNames.count
        guard flat.count == template.counts.count * n else { return nil }
        var l = template
        for i in 0..<template.counts.count {
            let cell = EventCounts(fields: Array(flat[(i * n)..<((i + 1) * n)]))
            let phase = Phase(rawValue: i / (l.layerNames.count * l.timesteps))!
            let rest = i % (l.layerNames.count * l.timesteps)
            l.record(phase, layer: rest / l.timesteps, t: rest % l.timesteps, cell)
        }
        return l
    }

    static func refusal(_ r: RefusalReason) -> Refusal {
        switch r {
        case .protocolVersion(let d): Refusal(code: .versionMismatch, reason: WireText.truncated(d, maxBytes: 1000))
        case .datasetFingerprint(let d): Refusal(code: .datasetMismatch, reason: WireText.truncated(d, maxBytes: 1000))
        case .buildID(let d): Refusal(code: .buildMismatch, reason: WireText.truncated(d, maxBytes: 1000))
        case .runFinished: Refusal(code: .runFinished, reason: "the run has finished")
        case .other(let d): Refusal(code: .malformed, reason: WireText.truncated(d, maxBytes: 1000))
        }
    }

    static func refusalReason(_ r: Refusal) -> RefusalReason {
        switch r.code {
        case .versionMismatch: .protocolVersion(r.reason)
        case .datasetMismatch: .datasetFingerprint(r.reason)
        case .buildMismatch: .buildID(r.reason)
        case .runFinished: .runFinished
        default: .other("\(r.code): \(r.reason)")
        }
    }

    static func ms(_ d: Duration) -> UInt32 {
        let c = d.components
        return UInt32(clamping: c.seconds * 1000 + c.attoseconds / 1_000_000_000_000_000)
    }
}

/// The build identity workers must share with the coordinator: bit-identical results need the same engine
/// version, the same compiled kernel code (target CPU) and the same BLAS kernel family.
public enum BuildIdentity {
    public static let engineVersion = "snn-cluster 0.1"
    public static func current(blasCore: String) -> String {
        #if arch(x86_64)
        let arch = "x86_64"
        #else
        let arch = "arm64"
        #endif
        return "\(engineVersion) \(arch) blas:\(blasCore)"
    }

    /// One fingerprint for a run's data: both splits.
    public static func dataFingerprint(train: LabeledImages, test: LabeledImages) -> String {
        sha256Hex(Array((train.fingerprint + ":" + test.fingerprint).utf8).withUnsafeBytes { $0 })
    }
}

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
