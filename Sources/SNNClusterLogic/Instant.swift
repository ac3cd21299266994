/// A point in time as the state machines see it: nanoseconds since an origin the shell chooses.
///
/// The machines never read a clock. Every event carries the instant at which it happened, so tests can
/// advance time by hand and a run can be replayed exactly. The shell typically converts
/// `ContinuousClock.now - origin` into an `Instant` (see `init(since:origin:)`).
public struct Instant: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// Nanoseconds since the shell's origin.
    public var nanoseconds: Int64

    /// The origin itself.
    public static let zero = Instant(nanoseconds: 0)

    public init(nanoseconds: Int64) {
        self.nanoseconds = nanoseconds
    }

    /// The instant `clockInstant` as an offset from `origin` on the same continuous clock.
    public init(since origin: ContinuousClock.Instant, at clockInstant: ContinuousClock.Instant) {
        self.nanoseconds = Instant.nanoseconds(of: origin.duration(to: clockInstant))
    }

    public static func < (lhs: Instant, rhs: Instant) -> Bool {
        lhs.nanoseconds < rhs.nanoseconds
    }

    /// The instant `duration` later (saturating, so a huge duration cannot trap).
    public static func + (lhs: Instant, rhs: Duration) -> Instant {
        Instant(nanoseconds: lhs.nanoseconds.addingSaturating(nanoseconds(of: rhs)))
    }

    /// The time elapsed from `rhs` to `lhs` (negative when `lhs` is earlier).
    public static func - (lhs: Instant, rhs: Instant) -> Duration {
        .nanoseconds(lhs.nanoseconds.subtractingSaturating(rhs.nanoseconds))
    }

    public var description: String {
        let ms = Double(nanoseconds) / 1e6
        return "t+\(ms)ms"
    }

    /// A `Duration` in whole nanoseconds, saturating at `Int64`'s range.
    static func nanoseconds(of duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        let (wholeNanos, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return seconds < 0 ? .min : .max }
        return wholeNanos.addingSaturating(attoseconds / 1_000_000_000)
    }
}

extension Int64 {
    fileprivate func addingSaturating(_ other: Int64) -> Int64 {
        let (sum, overflow) = addingReportingOverflow(other)
        if !overflow { return sum }
        return other > 0 ? .max : .min
    }

    fileprivate func subtractingSaturating(_ other: Int64) -> Int64 {
        let (difference, overflow) = subtractingReportingOverflow(other)
        if !overflow { return difference }
        return other < 0 ? .max : .min
    }
}
