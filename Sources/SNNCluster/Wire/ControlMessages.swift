/// HEARTBEAT, both ways: proof of life (libzmq 4.3 does not report dead peers, so the application must).
public struct Heartbeat: Sendable, Equatable {
    /// Sender's clock, ms; for round-trip estimates only.
    public var sentAtMs: UInt64
    /// Coordinator: global step counter; worker: the last step it worked on.
    public var currentStep: UInt64
    /// Worker: free slots; coordinator sends 0.
    public var freeSlots: UInt16

    public init(sentAtMs: UInt64, currentStep: UInt64, freeSlots: UInt16) {
        self.sentAtMs = sentAtMs
        self.currentStep = currentStep
        self.freeSlots = freeSlots
    }
}

/// BYE, both ways: the sender is leaving (worker) or the run is over (coordinator).
public struct Bye: Sendable, Equatable {
    /// ≤ 4096 UTF-8 bytes.
    public var reason: String

    public init(reason: String) { self.reason = reason }
}

/// ERROR, coordinator → worker: a message of the worker's was rejected; the worker logs it (and re-HELLOs
/// for `notWelcomed` / `wrongRun`).
public struct ErrorReply: Sendable, Equatable {
    public enum Code: UInt16, Sendable, CaseIterable {
        case malformed = 1
        case notWelcomed = 2
        case wrongRun = 3
        case staleParameters = 4
        case tooLarge = 5
        case `internal` = 6
    }

    public var code: Code
    /// ≤ 4096 UTF-8 bytes.
    public var text: String

    public init(code: Code, text: String) {
        self.code = code
        self.text = text
    }

    /// The reply for a message that failed to decode: `tooLarge` for size limits, `malformed` otherwise.
    public init(rejecting error: WireError) {
        self.init(code: error.code == .tooLarge ? .tooLarge : .malformed,
                  text: WireText.truncated(error.description, maxBytes: WireLimits.maxTextBytes))
    }
}
