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

    /// Writes a line to standard error immediately (progress must not sit in a pipe buffer). A progress bar
    /// being shown is cleared first, so the line replaces it; the next `step` draws the bar again below.
    public static func line(_ s: String) {
        barLock.lock(); defer { barLock.unlock() }
        let clear = barShown ? "\r\u{1B}[2K" : ""
        barShown = false
        FileHandle.standardError.write((clear + s + "\n").data(using: .utf8)!)
    }

    /// A text progress bar: `width` cells, filled in proportion to `fraction` (clamped to 0...1), e.g.
    /// `bar(0.5, width: 10)` = "[#####-----]".
    public static func bar(_ fraction: Double, width: Int) -> String {
        let f = fraction.isFinite ? min(1, max(0, fraction)) : 0
        let filled = Int((f * Double(width)).rounded(.down))
        return "[" + String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled) + "]"
    }

    /// Whether standard error is a terminal (then progress is a bar redrawn in place).
    public static let isTerminal = isatty(2) == 1

    /// Progress after a step: on a terminal, a bar with the run's overall fraction and `text`, redrawn in place on
    /// every call; otherwise `text` as a plain line, only when `milestone` (every 20th step, an epoch's last).
    public static func step(fraction: Double, text: String, milestone: Bool) {
        guard isTerminal else { if milestone { line(text) }; return }
        barLock.lock(); defer { barLock.unlock() }
        barShown = true
        let pct = String(format: "%3.0f%%", min(1, max(0, fraction)) * 100)
        FileHandle.standardError.write("\r\u{1B}[2K\(bar(fraction, width: 30)) \(pct)  \(text)".data(using: .utf8)!)
    }

    private static let barLock = NSLock()
    nonisolated(unsafe) private static var barShown = false

    /// The line after an epoch's evaluation (standalone and cluster runs print the same): epoch (1-based), test
    /// accuracy and loss, time steps simulated, and the spikes per sample of each layer that fired.
    public static func epochLine(epoch: Int, _ eval: EvaluationOutcome, layerNames: [String]) -> String {
        let spikes = zip(layerNames, eval.spikesPerSample).filter { $0.1 > 0 }
            .map { "\($0.0) \(String(format: "%.0f", $0.1))" }.joined(separator: ", ")
        return String(format: "epoch %d: test accuracy %.2f%%  loss %.4f  (%d steps simulated)  spikes/sample: %@",
                      epoch + 1, eval.accuracy * 100, eval.loss, eval.steps, spikes)
    }

    /// Writes a line to standard output and flushes it.
    public static func out(_ s: String) {
        print(s)
        fflush(nil)
    }
}
