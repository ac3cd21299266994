import Foundation

/// How the coordinator process runs: network, security, timing and stopping rules.
public struct CoordinatorOptions: Sendable {
    public var bind: String
    public var minWorkers: Int
    public var heartbeatInterval: Duration = .seconds(1)
    public var deadAfter: Duration = .seconds(3)
    /// How long a worker that asked for work while none was ready waits before asking again (the NO_WORK
    /// safety net; parked requests are normally served the moment work appears).
    public var noWorkRetry: Duration = .milliseconds(200)
    public var maxSteps: Int?
    public var checkpointPath: String
    public var checkpointEvery: Int?
    public var statusPath: String?
    /// CURVE server key pair and the allow-list of worker public keys; nil = plain TCP.
    public var curve: (keyPair: CurveKeyPair, allowed: CurveAllowList)?
    public var quiet = false
    /// A second endpoint for the workers this process starts (`--local-workers`): the private `ipc://` socket of
    /// `LocalIPCEndpoint`; nil = they join `bind` too.
    public var localBind: String?
    /// Called once the socket is bound, with the address the local workers join: `localBind` when it could be
    /// bound, else the actual `bind` endpoint (port 0 resolves here).
    public var onBound: (@Sendable (String) -> Void)?

    public init(bind: String, minWorkers: Int, checkpointPath: String) {
        self.bind = bind; self.minWorkers = minWorkers; self.checkpointPath = checkpointPath
    }

    /// Whether an endpoint is on the loopback interface (where plain TCP is allowed); `ipc://` and `inproc://`
    /// endpoints never leave the machine and count as local too (no LZ4 under `WireCompression.auto`).
    public static func isLoopback(_ endpoint: String) -> Bool {
        guard endpoint.hasPrefix("tcp://") else { return endpoint.hasPrefix("ipc://") || endpoint.hasPrefix("inproc://") }
        let host = endpoint.dropFirst(6).split(separator: ":", omittingEmptySubsequences: false).dropLast().joined(separator: ":")
        return host == "127.0.0.1" || host == "localhost" || host == "[::1]" || host.hasPrefix("127.")
    }
}
