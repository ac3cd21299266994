/// WORK_FAILED, worker → coordinator: a micro-batch the worker was given and could not compute
/// (PROTOCOL.md §5, type 12). The coordinator puts it back in the queue; a compute error counts against it.
public struct WorkFailed: Sendable, Equatable {
    public enum Reason: UInt8, Sendable, CaseIterable {
        /// The worker does not hold the parameter version the WORK named (not counted; parameters are resent).
        case missingParameters = 1
        /// The computation failed (counted: a micro-batch failing 3 times aborts the run).
        case computeError = 2
    }

    public var key: WorkKey
    /// The parameter version the WORK named.
    public var parameterVersion: UInt64
    public var reason: Reason
    /// What went wrong, for the coordinator's log; ≤ 4096 UTF-8 bytes.
    public var detail: String

    public init(key: WorkKey, parameterVersion: UInt64, reason: Reason, detail: String) {
        self.key = key
        self.parameterVersion = parameterVersion
        self.reason = reason
        self.detail = detail
    }

    /// Body bytes before the detail string.
    static let fixedBodyBytes = 24

    func encodeBody(into w: inout ByteWriter) {
        WireBodies.writeKey(key, into: &w)
        w.u8(reason.rawValue)
        w.u16(0)
        w.u64(parameterVersion)
        w.string(detail)
    }

    static func decode(body r: inout ByteReader) throws(WireError) -> WorkFailed {
        let key = try WireBodies.readKey(&r)
        let code = try r.u8("reason")
        guard let reason = Reason(rawValue: code) else {
            throw WireError(.invalidValue, "WORK_FAILED reason \(code) is not defined")
        }
        try r.reserved(2)
        let version = try r.u64("parameter version")
        let detail = try r.string("detail", max: WireLimits.maxTextBytes)
        try r.finish()
        return WorkFailed(key: key, parameterVersion: version, reason: reason, detail: detail)
    }
}

extension WorkFailed {
    /// The report of `item`, which could not be computed for `reason`.
    public init(_ item: WorkItem, _ reason: FailureReason) {
        switch reason {
        case .missingParameters:
            self.init(key: item.key, parameterVersion: UInt64(item.parameterVersion), reason: .missingParameters,
                      detail: WireText.truncated("\(reason)", maxBytes: WireLimits.maxTextBytes))
        case .computeError(let detail):
            self.init(key: item.key, parameterVersion: UInt64(item.parameterVersion), reason: .computeError,
                      detail: WireText.truncated(detail, maxBytes: WireLimits.maxTextBytes))
        }
    }
}

extension FailureReason {
    /// The coordinator machine's reason for a WORK_FAILED.
    public init(_ f: WorkFailed) {
        switch f.reason {
        case .missingParameters: self = .missingParameters(version: Int(clamping: f.parameterVersion))
        case .computeError: self = .computeError(f.detail)
        }
    }
}
