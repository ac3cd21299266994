/// The identity of one worker process as the coordinator knows it.
///
/// The shell picks the string (a UUID the worker generates at start-up, or its ZeroMQ routing id). A worker
/// that says hello again under the same id is treated as a new member: whatever the old incarnation held
/// has already gone back to the queue.
public struct WorkerID: Hashable, Comparable, Sendable, CustomStringConvertible, ExpressibleByStringLiteral {
    public var rawValue: String

    public init(_ rawValue: String) {
        self.rawValue = rawValue
    }

    public init(stringLiteral value: String) {
        self.rawValue = value
    }

    public static func < (lhs: WorkerID, rhs: WorkerID) -> Bool {
        lhs.rawValue < rhs.rawValue
    }

    public var description: String { rawValue }
}
