import Foundation
import Testing

/// `snn-coord start --local-workers N --local-transport ipc|tcp`: local workers join over a private Unix socket
/// (ZeroMQ `ipc://`) in a 0700 directory under `$TMPDIR`, removed when the coordinator exits; `tcp` (or a socket
/// path too long for a Unix socket) makes them join `--bind`. Real processes; each run trains the same 5 steps as
/// `--standalone` and must end with its parameter digest.
@Suite(.serialized) struct LocalTransportTests {
    /// A test directory with an empty `t/` to serve as the coordinator's `$TMPDIR`.
    static func directories() throws -> (dir: String, tmp: String) {
        let dir = temporaryDirectory(), tmp = dir + "/t"
        try FileManager.default.createDirectory(atPath: tmp, withIntermediateDirectories: true)
        return (dir, tmp)
    }

    static func common(_ spec: String, _ dir: String, _ tag: String) -> [String] {
        ["start", "--spec", spec, "--max-steps", "5", "--limit", "512", "--seed", "7",
         "--db", dir + "/\(tag).sqlite", "--checkpoint-dir", dir + "/ck-\(tag)"]
    }

    /// The `--standalone` digest of the same 5 steps.
    static func standaloneDigest(_ spec: String, _ dir: String) throws -> String {
        let r = try run("snn-coord", common(spec, dir, "standalone") + ["--standalone", "--threads", "2", "--quiet"], cwd: dir, timeout: 120)
        #expect(r.status == 0, "\(r.stderr)")
        return try #require(digest(r.stdout))
    }

    /// The address the coordinator gave its local workers (its "started … local worker(s) …, joining ADDRESS" line).
    static func joinedAddress(_ stderr: String) -> String? {
        stderr.split(separator: "\n").first { $0.contains("local worker(s)") && $0.contains(", joining ") }
            .flatMap { $0.components(separatedBy: ", joining ").last }
    }

    static func coordinatorDirectories(in tmp: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: tmp)) ?? []).filter { $0.hasPrefix("snn-coord-") }
    }

    @Test func oneLocalWorkerJoinsOverIPCWithTheStandaloneDigestAndTheDirectoryGoes() throws {
        let (dir, tmp) = try Self.directories()
        let spec = try writeTinySpec(in: dir)
        let want = try Self.standaloneDigest(spec, dir)
        let bind = "tcp://127.0.0.1:\(freePort())"
        let r = try Child(executable: Binaries.path("snn-coord"), Self.common(spec, dir, "ipc") + ["--local-workers", "1", "--bind", bind],
                          cwd: dir, environment: ["TMPDIR": tmp]).wait(timeout: 120)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(digest(r.stdout) == want, "\(r.stdout)")
        // The only worker was given the private socket, so the run's every step came over it.
        let address = try #require(Self.joinedAddress(r.stderr), "\(r.stderr)")
        #expect(address.hasPrefix("ipc://" + tmp + "/snn-coord-") && address.hasSuffix("/coord.sock"), "\(address)")
        #expect(r.stderr.contains("listening on \(bind) (plain TCP) and \(address) (local workers)"), "\(r.stderr)")
        #expect(r.stderr.contains("worker local-1"), "\(r.stderr)")
        #expect(Self.coordinatorDirectories(in: tmp).isEmpty, "left behind: \(Self.coordinatorDirectories(in: tmp))")
    }

    /// While the coordinator waits for a second worker, its socket sits in a 0700 directory; a worker started by
    /// hand joins that socket, the run ends with the standalone digest, and the directory is gone afterwards.
    @Test func aWorkerStartedByHandJoinsTheSocketWhileItExists() throws {
        let (dir, tmp) = try Self.directories()
        let spec = try writeTinySpec(in: dir)
        let want = try Self.standaloneDigest(spec, dir)
        let coord = try Child(executable: Binaries.path("snn-coord"),
                              Self.common(spec, dir, "hand") + ["--local-workers", "1", "--min-workers", "2", "--bind", "tcp://127.0.0.1:\(freePort())"],
                              cwd: dir, environment: ["TMPDIR": tmp])
        var socket: String?
        #expect(waitUntil(60) {
            socket = Self.coordinatorDirectories(in: tmp).first.map { tmp + "/" + $0 + "/coord.sock" }
            return socket.map { FileManager.default.fileExists(atPath: $0) } ?? false
        }, "no socket in \(tmp): \(coord.stderr)")
        let path = try #require(socket)
        let mode = try FileManager.default.attributesOfItem(atPath: (path as NSString).deletingLastPathComponent)[.posixPermissions] as? NSNumber
        #expect(mode?.intValue == 0o700)
        #expect(waitUntil(60) { Self.joinedAddress(coord.stderr) != nil })
        #expect(Self.joinedAddress(coord.stderr) == "ipc://" + path, "\(coord.stderr)")
        let hand = try Child("snn-worker", ["join", "ipc://" + path, "--threads", "1", "--limit", "512", "--name", "by-hand", "--give-up-after", "60"])
        let r = coord.wait(timeout: 120)
        let w = hand.wait(timeout: 30)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(w.status == 0, "\(w.stderr)")
        #expect(r.stderr.contains("worker by-hand"), "\(r.stderr)")
        #expect(digest(r.stdout) == want)
        #expect(!FileManager.default.fileExists(atPath: (path as NSString).deletingLastPathComponent))
    }

    /// Ctrl-C while the coordinator waits for workers: it stops (exit 130) and removes its socket's directory.
    @Test func ctrlCRemovesTheSocketDirectory() throws {
        let (dir, tmp) = try Self.directories()
        let spec = try writeTinySpec(in: dir)
        let coord = try Child(executable: Binaries.path("snn-coord"),
                              Self.common(spec, dir, "int") + ["--local-workers", "1", "--min-workers", "2", "--bind", "tcp://127.0.0.1:\(freePort())"],
                              cwd: dir, environment: ["TMPDIR": tmp])
        #expect(waitUntil(60) {
            Self.coordinatorDirectories(in: tmp).contains { FileManager.default.fileExists(atPath: tmp + "/" + $0 + "/coord.sock") }
        }, "no socket in \(tmp): \(coord.stderr)")
        #expect(waitUntil(60) { Self.joinedAddress(coord.stderr) != nil })
        kill(coord.process.processIdentifier, SIGINT)
        let r = coord.wait(timeout: 60)
        #expect(r.status == 130, "\(r.stderr)")
        #expect(Self.coordinatorDirectories(in: tmp).isEmpty, "left behind: \(Self.coordinatorDirectories(in: tmp))")
    }

    /// `--local-transport tcp`, and `ipc` with a `$TMPDIR` too long for a Unix socket path (one notice), both make the
    /// local worker join `--bind`: same digest, nothing created in `$TMPDIR`.
    @Test(arguments: ["tcp", "long-tmpdir"])
    func localWorkersJoinTheBindAddressOverTCP(variant: String) throws {
        let (dir, shortTmp) = try Self.directories()
        let tmp = variant == "tcp" ? shortTmp : shortTmp + "/" + String(repeating: "d", count: 100)
        try FileManager.default.createDirectory(atPath: tmp, withIntermediateDirectories: true)
        let spec = try writeTinySpec(in: dir)
        let want = try Self.standaloneDigest(spec, dir)
        let bind = "tcp://127.0.0.1:\(freePort())"
        let transport = variant == "tcp" ? ["--local-transport", "tcp"] : []
        let r = try Child(executable: Binaries.path("snn-coord"), Self.common(spec, dir, variant) + ["--local-workers", "1", "--bind", bind] + transport,
                          cwd: dir, environment: ["TMPDIR": tmp]).wait(timeout: 120)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(digest(r.stdout) == want)
        #expect(Self.joinedAddress(r.stderr) == bind, "\(r.stderr)")
        #expect(r.stderr.contains("listening on \(bind) (plain TCP); waiting"), "\(r.stderr)")
        let notice = r.stderr.split(separator: "\n").filter { $0.contains("instead of ipc://") }
        if variant == "tcp" {
            #expect(notice.isEmpty, "\(r.stderr)")
        } else {
            #expect(notice.count == 1 && notice[0].contains("107-byte limit") && notice[0].contains("TMPDIR"), "\(r.stderr)")
        }
        #expect(Self.coordinatorDirectories(in: tmp).isEmpty)
    }

    /// `snn-worker join` takes ipc:// addresses: one with no coordinator behind it gives up like a TCP one, naming it;
    /// an address of neither kind is refused with a line that names both.
    @Test func workersTakeIPCAddresses() throws {
        let dir = temporaryDirectory()
        let nowhere = "ipc://" + dir + "/no-coordinator/coord.sock"
        let r = try run("snn-worker", ["join", nowhere, "--limit", "64", "--give-up-after", "1"], cwd: dir, timeout: 60)
        #expect(r.status == 1, "\(r.stderr)")
        #expect(r.stderr.contains("no coordinator answered at \(nowhere)"), "\(r.stderr)")
        let bad = try run("snn-worker", ["join", "udp://127.0.0.1:5555"], cwd: dir, timeout: 60)
        #expect(bad.status != 0)
        #expect(bad.stderr.contains("tcp://HOST:PORT") && bad.stderr.contains("ipc:///PATH"), "\(bad.stderr)")
    }
    /// A CURVE coordinator (`--key`, `--allow`) with local workers, over ipc and over its TCP `--bind`: they join with
    /// an ephemeral pair it allows (they used to be refused, and the run waited for them until killed), a worker
    /// started by hand with a key from the allow-list joins the same run, the run ends with the standalone digest,
    /// and the ephemeral keys' directory is gone; the `--allow` file is untouched.
    @Test(arguments: ["ipc", "tcp"])
    func localWorkersOfACurveCoordinatorJoin(transport: String) throws {
        let (dir, tmp) = try Self.directories()
        let spec = try writeTinySpec(in: dir)
        let want = try Self.standaloneDigest(spec, dir)
        for k in ["coord", "remote"] { #expect(try run("snn-coord", ["keygen", dir + "/\(k).key"]).status == 0) }
        let allow = try String(contentsOfFile: dir + "/remote.key.pub", encoding: .utf8)
        let bind = "tcp://127.0.0.1:\(freePort())"
        let coord = try Child(executable: Binaries.path("snn-coord"),
                              Self.common(spec, dir, "curve-" + transport) + [
                                "--local-workers", "1", "--min-workers", "2", "--bind", bind, "--local-transport", transport,
                                "--key", dir + "/coord.key", "--allow", dir + "/remote.key.pub"],
                              cwd: dir, environment: ["TMPDIR": tmp])
        // While it waits for the second worker, its local worker's key lies in a 0700 directory of its own.
        var keys: String?
        #expect(waitUntil(60) {
            keys = ((try? FileManager.default.contentsOfDirectory(atPath: tmp)) ?? []).first { $0.hasPrefix("snn-keys-") }
            return keys != nil
        }, "no key directory in \(tmp): \(coord.stderr)")
        let keyDir = tmp + "/" + (keys ?? "")
        let mode = try FileManager.default.attributesOfItem(atPath: keyDir)[.posixPermissions] as? NSNumber
        #expect(mode?.intValue == 0o700)
        let remote = try Child("snn-worker", ["join", bind, "--key", dir + "/remote.key", "--server-key", dir + "/coord.key.pub",
                                              "--limit", "512", "--threads", "1", "--name", "remote", "--give-up-after", "60"])
        let r = coord.wait(timeout: 120)
        let w = remote.wait(timeout: 30)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(w.status == 0, "\(w.stderr)")
        #expect(digest(r.stdout) == want, "\(r.stdout)")
        #expect(r.stderr.contains("worker local-1") && r.stderr.contains("worker remote"), "\(r.stderr)")
        #expect(r.stderr.contains("(CURVE, 2 allowed worker keys)") && r.stderr.contains("and an ephemeral CURVE key pair allowed for this run, joining "), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: keyDir), "left behind: \(keyDir)")
        #expect(try String(contentsOfFile: dir + "/remote.key.pub", encoding: .utf8) == allow)
    }
}
