/// Why a result was not accepted. Every drop is harmless by design (exactly-once commit), but it is
/// reported so the shell can log and count it.
public enum DropReason: Hashable, Sendable, CustomStringConvertible {
    /// The job the result belongs to has already been committed.
    case late
    /// The micro-batch already has an accepted result.
    case duplicate
    /// No such job or micro-batch (never planned, or not started yet).
    case unknownKey
    /// The result was computed with another parameter version than the job's.
    case staleVersion(got: Int, expected: Int)
    /// The result covers another number of samples than the micro-batch holds.
    case sampleCountMismatch(got: Int, expected: Int)
    /// The sender never joined (or was refused).
    case unknownWorker
    /// The micro-batch was not assigned to the sender (nor speculatively copied to it).
    case notAssigned

    public var description: String {
        switch self {
        case .late: "late"
        case .duplicate: "duplicate"
        case .unknownKey: "unknown key"
        case .staleVersion(let got, let expected): "stale parameter version \(got) (expected \(expected))"
        case .sampleCountMismatch(let got, let expected): "sample count \(got) (expected \(expected))"
        case .unknownWorker: "unknown worker"
        case .notAssigned: "not assigned"
        }
    }
}

/// How serious a `LogRecord` is: swift-log's seven levels, as a plain value so the pure target needs no logging
/// package (SNNCluster maps it onto `Logger.Level` where a shell logs the record).
public enum LogLevel: Int, Hashable, Sendable, Comparable, CaseIterable, CustomStringConvertible {
    case trace, debug, info, notice, warning, error, critical

    public static func < (a: LogLevel, b: LogLevel) -> Bool { a.rawValue < b.rawValue }

    public var description: String {
        switch self {
        case .trace: "trace"
        case .debug: "debug"
        case .info: "info"
        case .notice: "notice"
        case .warning: "warning"
        case .error: "error"
        case .critical: "critical"
        }
    }
}

/// A line the shell should log. Structured where tests and metrics need to tell cases apart.
public struct LogRecord: Hashable, Sendable, CustomStringConvertible {
    public var level: LogLevel
    public var message: String
    /// Set when this record reports a dropped result.
    public var drop: DropReason?

    public init(level: LogLevel, message: String, drop: DropReason? = nil) {
        self.level = level
        self.message = message
        self.drop = drop
    }

    public var description: String { "[\(level)] \(message)" }
}
