import Foundation

/// An ephemeral CURVE key pair for the workers a CURVE coordinator starts itself (`--key` with `--local-workers`).
///
/// A CURVE server refuses every peer without an allowed key, on its private `ipc://` endpoint as on `--bind`, so
/// local workers started without one could never join and the run waited for them until it was killed. This pair is
/// made fresh for one coordinator process and allowed in that process's memory only (the `--allow` file is not
/// touched); the two files its workers need, `worker.key` (0600) and the coordinator's `coordinator.pub`, lie in a
/// 0700 directory `snn-keys-XXXXXX` made with `mkdtemp` under `$TMPDIR` (or `/tmp`). `remove()` deletes them; the
/// coordinator calls it on every way out it controls. After `kill -9` the directory stays behind, holding a secret
/// key that no coordinator allows any more.
public final class LocalWorkerKeys: @unchecked Sendable {
    /// Name of the directory before `mkdtemp` replaces the X's.
    public static let directoryTemplate = "snn-keys-XXXXXX"

    /// The directory `mkdtemp` created.
    public let directory: String
    /// The local workers' pair.
    public let pair: CurveKeyPair
    private let lock = NSLock()
    private var removed = false

    /// The workers' key pair file (`snn-worker join --key`).
    public var keyPath: String { directory + "/worker.key" }
    /// The coordinator's public key file (`snn-worker join --server-key`).
    public var serverKeyPath: String { directory + "/coordinator.pub" }
    /// What each local worker's command line adds.
    public var workerArguments: [String] { ["--key", keyPath, "--server-key", serverKeyPath] }

    private init(directory: String, pair: CurveKeyPair) { self.directory = directory; self.pair = pair }

    /// A fresh pair and its files for workers of the coordinator whose pair is `coordinator`; throws when the
    /// directory or a file cannot be written (the coordinator then stops before it listens).
    public static func make(coordinator: CurveKeyPair, parent: String = LocalIPCEndpoint.defaultParent()) throws -> LocalWorkerKeys {
        let base = LocalIPCEndpoint.normalized(parent)
        guard let directory = LocalIPCEndpoint.privateDirectory(in: base, template: directoryTemplate) else {
            throw CurveKeyError("cannot create a private directory for the local workers' keys in \(base): \(String(cString: strerror(errno)))")
        }
        let keys = LocalWorkerKeys(directory: directory, pair: try CurveKeyPair.generate())
        do {
            try keys.pair.save(path: keys.keyPath)
            try coordinator.savePublic(path: keys.serverKeyPath)
        } catch {
            keys.remove()
            throw error
        }
        return keys
    }

    /// `list` with this pair's public key added.
    public func allowing(_ list: CurveAllowList) throws -> CurveAllowList {
        try CurveAllowList(keys: list.keys.union([pair.publicKey]))
    }

    /// Deletes the two files and the directory (once; later calls do nothing).
    public func remove() {
        lock.lock(); defer { lock.unlock() }
        guard !removed else { return }
        removed = true
        unlink(keyPath)
        unlink(serverKeyPath)
        rmdir(directory)
    }
}
