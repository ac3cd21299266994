import Foundation

/// How the workers a coordinator starts itself (`--local-workers N`) reach it.
///
/// `ipc` (the default) is a Unix domain socket, ZeroMQ `ipc://`: measured on the 2-core VMs with a plain libzmq
/// ROUTER/DEALER pair, a 1.7 MB message takes 0.44 ms against 1.04 ms over TCP loopback, which has a knee near 1 MB;
/// below it the two are within a few percent (0.89 MB, the demo spec's RESULT today: 0.31 – 0.34 ms either way). `tcp`
/// makes the local workers join `--bind` like workers on other machines, to measure what the network path costs.
public enum LocalTransport: String, Sendable, CaseIterable {
    case ipc, tcp
}

/// The private `ipc://` endpoint of one coordinator process: a socket file in a directory of its own, made with
/// `mkdtemp` under `$TMPDIR` (or `/tmp`) with mode 0700, so only this user's processes can connect.
///
/// `remove()` deletes the socket file and the directory; the coordinator calls it on every way out it controls
/// (normal end, failure, a first or second Ctrl-C). After `kill -9` the directory stays behind in the temporary
/// directory (named `snn-coord-XXXXXX`, empty apart from the socket file).
public final class LocalIPCEndpoint: @unchecked Sendable {
    /// Longest path of a Unix domain socket: `sun_path` is 108 bytes on Linux, including the terminating NUL.
    public static let maxPathBytes = 107
    /// Name of the directory (before `mkdtemp` replaces the X's) and of the socket file in it.
    public static let directoryTemplate = "snn-coord-XXXXXX"
    public static let socketName = "coord.sock"

    /// Why a private endpoint could not be made: the coordinator falls back to TCP and says this in one line.
    public struct Unavailable: Error, CustomStringConvertible {
        public let description: String
    }

    /// The directory `mkdtemp` created.
    public let directory: String
    private let lock = NSLock()
    private var removed = false

    private init(directory: String) { self.directory = directory }

    /// The socket file's path.
    public var path: String { directory + "/" + Self.socketName }
    /// The ZeroMQ address to bind and join: `ipc://` + the absolute path.
    public var endpoint: String { "ipc://" + path }

    /// The temporary directory to make the endpoint in: `$TMPDIR` when set and not empty, else `/tmp`.
    public static func defaultParent(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let t = environment["TMPDIR"], !t.isEmpty { return t }
        return "/tmp"
    }

    /// The socket path's length in bytes for a directory made under `parent`, known before anything is created.
    public static func pathBytes(parent: String) -> Int {
        normalized(parent).utf8.count + 1 + directoryTemplate.utf8.count + 1 + socketName.utf8.count
    }

    /// Makes the private directory under `parent`; throws `Unavailable` when the socket path would be longer than
    /// `maxPathBytes` (checked first: nothing is created then) or when `mkdtemp` fails.
    public static func make(parent: String = defaultParent()) throws -> LocalIPCEndpoint {
        let base = normalized(parent)
        let bytes = pathBytes(parent: base)
        guard bytes <= maxPathBytes else {
            throw Unavailable(description: "the socket path under \(base) would be \(bytes) bytes, over the \(maxPathBytes)-byte limit of a Unix socket (set TMPDIR to a shorter directory)")
        }
        guard let directory = privateDirectory(in: base, template: directoryTemplate) else {
            throw Unavailable(description: "cannot create a private directory in \(base): \(String(cString: strerror(errno)))")
        }
        return LocalIPCEndpoint(directory: directory)
    }

    /// A new directory `base/template` (its X's replaced by `mkdtemp`) with mode 0700, only this user's; nil with
    /// `errno` set when it cannot be made.
    static func privateDirectory(in base: String, template: String) -> String? {
        var path = Array((base + "/" + template).utf8CString)
        guard path.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) != nil else { return nil }
        let directory = path.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        chmod(directory, 0o700)   // mkdtemp makes it 0700 already; say so explicitly whatever the umask
        return directory
    }

    /// Deletes the socket file and the directory (once; later calls do nothing). The socket file may still be
    /// there when the ZeroMQ socket's asynchronous close has not unlinked it yet, so it is removed here too.
    public func remove() {
        lock.lock(); defer { lock.unlock() }
        guard !removed else { return }
        removed = true
        unlink(path)
        rmdir(directory)
    }

    /// `parent` made absolute (workers may resolve a relative path elsewhere) and without trailing slashes
    /// (`/` becomes the empty prefix of `/snn-coord-…`).
    static func normalized(_ parent: String) -> String {
        var p = parent.hasPrefix("/") ? parent : FileManager.default.currentDirectoryPath + "/" + parent
        while p.hasSuffix("/") { p.removeLast() }
        return p
    }
}

extension ZSocket {
    /// Binds `local` (the coordinator's private `ipc://` endpoint) besides the endpoint bound before it, under the
    /// same socket options (a CURVE server stays one on every endpoint), and returns the address the local workers
    /// join: `local`, or `fallback` (the bound `--bind` endpoint) with a one-line notice when that bind fails.
    public func bindLocalWorkers(_ local: String?, fallback: String) -> String {
        guard let local else { return fallback }
        do {
            try bind(local)
            return local
        } catch {
            Progress.line("snn-coord: local workers join \(fallback) instead: cannot listen on \(local) (\(error))")
            return fallback
        }
    }
}
