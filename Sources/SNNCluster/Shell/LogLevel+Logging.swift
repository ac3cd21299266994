import Logging
import SNNClusterLogic

extension Logger.Level {
    /// The swift-log level of a pure machine's `LogLevel` (same seven levels, same order).
    public init(_ level: LogLevel) {
        switch level {
        case .trace: self = .trace
        case .debug: self = .debug
        case .info: self = .info
        case .notice: self = .notice
        case .warning: self = .warning
        case .error: self = .error
        case .critical: self = .critical
        }
    }
}

extension Logger {
    /// Logs at a pure machine's `LogLevel`, so a shell passes a `LogRecord`'s level as it is.
    @inlinable
    public func log(level: LogLevel, _ message: @autoclosure () -> Logger.Message, metadata: @autoclosure () -> Logger.Metadata? = nil,
                    source: @autoclosure () -> String? = nil, file: String = #fileID, function: String = #function, line: UInt = #line) {
        log(level: Logger.Level(level), message(), metadata: metadata(), source: source(), file: file, function: function, line: line)
    }
}
