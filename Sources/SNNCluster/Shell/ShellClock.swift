import Foundation

/// The time the shells run on: the instants they feed the machines and the cadence of their ticks, status
/// writes and drains. `SystemClock` in production; `ManualClock` in tests, which only moves when told to, so a
/// heartbeat timeout is reached by advancing it rather than by sleeping.
public protocol ShellClock: AnyObject, Sendable {
    var now: Instant { get }
}

/// The continuous clock, as an offset from when this clock was made.
public final class SystemClock: ShellClock {
    let origin = ContinuousClock.now
    public init() {}
    public var now: Instant { Instant(since: origin, at: ContinuousClock.now) }
}

/// A clock that stands still until `advance(by:)`.
public final class ManualClock: ShellClock, @unchecked Sendable {
    private let lock = NSLock()
    private var current: Instant

    public init(_ start: Instant = .zero) { current = start }

    public var now: Instant { lock.lock(); defer { lock.unlock() }; return current }

    public func advance(by d: Duration) { lock.lock(); current = current + d; lock.unlock() }
}
