import Foundation

/// Formats progress and durations for humans.
public enum Progress {
    public static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite, seconds >= 0 else { return "?" }
        let s = Int(seconds.rounded())
        if s >= 3600 { return "\(s / 3600)h\(String(format: "%02d", (s % 3600) / 60))m" }
        if s >= 60 { return "\(s / 60)m\(String(format: "%02d", s % 60))s" }
        return "\(s)s"
    }

    /// Writes a line to standard error immediately (progress must not sit in a pipe buffer).
    public static func line(_ s: String) {
        FileHandle.standardError.write((s + "\n").data(using: .utf8)!)
    }

    /// Writes a line to standard output and flushes it.
    public static func out(_ s: String) {
        print(s)
        fflush(nil)
    }
}
