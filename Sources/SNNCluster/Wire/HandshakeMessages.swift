import Foundation

/// HELLO, worker → coordinator: who the worker is and what it runs, so the coordinator can refuse a worker
/// whose results could not be bit-identical (other protocol, kernel build or dataset).
public struct Hello: Sendable, Equatable {
    /// Chosen by the worker process, stable across its reconnects.
    public var workerId: UUID
    /// Host name, non-empty, ≤ 255 UTF-8 bytes.
    public var name: String
    /// Micro-batches the worker runs at once (≥ 1).
    public var threads: UInt16
    /// The protocol version the worker speaks (= `WireCodec.protocolVersion`).
    public var protocolVersion: UInt16
    /// Engine version + target CPU, non-empty, ≤ 512 bytes. Workers with another build are refused: the
    /// same results need the same kernel code path.
    public var buildID: String
    /// Lowercase hex SHA-256 of the dataset files (≤ 128 hex characters).
    public var datasetFingerprint: String
    /// Reserved for resuming a session; nil for now (≤ 256 bytes when present, never empty).
    public var resumeToken: [UInt8]?

    public init(workerId: UUID, name: String, threads: UInt16, protocolVersion: UInt16 = WireCodec.protocolVersion,
                buildID: String, datasetFingerprint: String, resumeToken: [UInt8]? = nil) {
        self.workerId = workerId
        self.name = name
        self.threads = threads
        self.protocolVersion = protocolVersion
        self.buildID = buildID
        self.datasetFingerprint = datasetFingerprint
        self.resumeToken = resumeToken
    }
}

/// WELCOME, coordinator → worker: the run the worker joined and how to behave in it.
public struct Welcome: Sendable, Equatable {
    /// Assigned run id; carried in the header (non-zero).
    public var runID: UUID
    /// How often the worker sends HEARTBEAT (≥ 1 ms).
    public var heartbeatIntervalMs: UInt32
    /// Silence after which either side considers the other gone (≥ 1 ms).
    public var deadWorkerTimeoutMs: UInt32
    /// The run spec (JSON text) the worker builds its model from, ≤ 1 MiB.
    public var specJSON: [UInt8]
    /// The parameter version the coordinator holds now.
    public var parameterVersion: UInt64

    public init(runID: UUID, heartbeatIntervalMs: UInt32, deadWorkerTimeoutMs: UInt32, specJSON: [UInt8],
                parameterVersion: UInt64) {
        self.runID = runID
        self.heartbeatIntervalMs = heartbeatIntervalMs
        self.deadWorkerTimeoutMs = deadWorkerTimeoutMs
        self.specJSON = specJSON
        self.parameterVersion = parameterVersion
    }
}

/// REFUSE, coordinator → worker: the worker cannot join; `reason` says why in words.
public struct Refusal: Sendable, Equatable {
    public enum Code: UInt16, Sendable, CaseIterable {
        case versionMismatch = 1
        case datasetMismatch = 2
        case buildMismatch = 3
        case notAllowed = 4
        case malformed = 5
        case runFinished = 6
        case busy = 7
    }

    public var code: Code
    /// ≤ 4096 UTF-8 bytes.
    public var reason: String

    public init(code: Code, reason: String) {
        self.code = code
        self.reason = reason
    }
}

extension Welcome {
    /// The WELCOME for a machine's welcome: its timing in whole milliseconds.
    public init(runID: UUID, _ info: WelcomeInfo, specJSON: [UInt8], parameterVersion: UInt64) {
        self.init(runID: runID, heartbeatIntervalMs: UInt32(milliseconds: info.heartbeatInterval),
                  deadWorkerTimeoutMs: UInt32(milliseconds: info.deadAfter), specJSON: specJSON, parameterVersion: parameterVersion)
    }
}

extension WelcomeInfo {
    /// The timing a WELCOME sets.
    public init(_ w: Welcome) {
        self.init(heartbeatInterval: .milliseconds(Int(w.heartbeatIntervalMs)), deadAfter: .milliseconds(Int(w.deadWorkerTimeoutMs)))
    }
}

extension Refusal {
    /// The REFUSE for the coordinator machine's verdict (details cut to the wire's text limit).
    public init(_ r: RefusalReason) {
        switch r {
        case .protocolVersion(let d): self.init(code: .versionMismatch, reason: WireText.truncated(d, maxBytes: 1000))
        case .datasetFingerprint(let d): self.init(code: .datasetMismatch, reason: WireText.truncated(d, maxBytes: 1000))
        case .buildID(let d): self.init(code: .buildMismatch, reason: WireText.truncated(d, maxBytes: 1000))
        case .runFinished: self.init(code: .runFinished, reason: "the run has finished")
        case .other(let d): self.init(code: .malformed, reason: WireText.truncated(d, maxBytes: 1000))
        }
    }
}

extension RefusalReason {
    /// The worker machine's reason for a REFUSE.
    public init(_ r: Refusal) {
        switch r.code {
        case .versionMismatch: self = .protocolVersion(r.reason)
        case .datasetMismatch: self = .datasetFingerprint(r.reason)
        case .buildMismatch: self = .buildID(r.reason)
        case .runFinished: self = .runFinished
        default: self = .other("\(r.code): \(r.reason)")
        }
    }
}

extension UInt32 {
    /// A duration in whole milliseconds, clamped to the field (WELCOME, NO_WORK).
    public init(milliseconds d: Duration) {
        let c = d.components
        self.init(clamping: c.seconds * 1000 + c.attoseconds / 1_000_000_000_000_000)
    }
}
