import Foundation
import SNNCluster
import Testing

/// The coordinator's private `ipc://` endpoint for `--local-workers` (LocalIPCEndpoint.swift): a 0700 directory from
/// `mkdtemp`, a socket path that fits a Unix socket's 107 bytes (else a fallback to TCP), removed on the way out, and
/// bound under the same socket options as `--bind`.
@Suite struct LocalIPCEndpointTests {
    /// A fresh directory under the test's temporary directory, whose absolute path is exactly `bytes` long.
    static func parent(ofLength bytes: Int) throws -> String {
        let base = FileManager.default.temporaryDirectory.path + "/ipc-\(UUID().uuidString.prefix(8))-"
        #expect(base.utf8.count < bytes, "the temporary directory's path is too long for this test")
        let path = base + String(repeating: "p", count: bytes - base.utf8.count)
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// "/" + "snn-coord-XXXXXX" + "/" + "coord.sock" = 28 bytes after the parent: a 79-byte parent gives exactly the
    /// 107 bytes `sun_path` holds with its NUL, an 80-byte one is refused before anything is created.
    @Test func thePathLimitIs107BytesAndNothingIsCreatedOverIt() throws {
        let fits = try Self.parent(ofLength: 79)
        let ipc = try LocalIPCEndpoint.make(parent: fits)
        defer { ipc.remove() }
        #expect(ipc.path.utf8.count == 107)
        #expect(LocalIPCEndpoint.pathBytes(parent: fits) == 107)
        #expect(ipc.endpoint == "ipc://" + ipc.path)
        #expect(ipc.directory.hasPrefix(fits + "/snn-coord-"))

        let over = try Self.parent(ofLength: 80)
        #expect(LocalIPCEndpoint.pathBytes(parent: over) == 108)
        do {
            _ = try LocalIPCEndpoint.make(parent: over)
            Issue.record("a 108-byte socket path was accepted")
        } catch let e as LocalIPCEndpoint.Unavailable {
            #expect(e.description.contains("108 bytes") && e.description.contains("107-byte limit") && e.description.contains("TMPDIR"), "\(e)")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: over).isEmpty)
        // A trailing slash counts once.
        #expect(LocalIPCEndpoint.pathBytes(parent: fits + "/") == 107)
    }

    /// ZeroMQ binds and connects a path of exactly 107 bytes: the limit is the kernel's, not a guess.
    @Test func aPathOfExactly107BytesCarriesMessages() throws {
        let ipc = try LocalIPCEndpoint.make(parent: try Self.parent(ofLength: 79))
        defer { ipc.remove() }
        let ctx = try ZContext()
        let router = try ZSocket.router(ctx)
        try router.bind("tcp://127.0.0.1:0")
        let tcp = try router.lastEndpoint()
        #expect(router.bindLocalWorkers(ipc.endpoint, fallback: tcp) == ipc.endpoint)
        let dealer = try ZSocket.dealer(ctx)
        try dealer.connect(ipc.endpoint)
        try dealer.sendMultipart([[1, 2, 3]])
        let got = try #require(try router.receiveMultipart(timeoutMs: 10_000))
        #expect(Array(got.dropFirst()) == [[1, 2, 3]])
        dealer.close(); router.close()
    }

    @Test func theDirectoryIsPrivateAndRemoveDeletesItOnce() throws {
        let ipc = try LocalIPCEndpoint.make(parent: FileManager.default.temporaryDirectory.path)
        let attributes = try FileManager.default.attributesOfItem(atPath: ipc.directory)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o700)
        // What the socket leaves behind when ZeroMQ's asynchronous close has not unlinked it yet.
        #expect(FileManager.default.createFile(atPath: ipc.path, contents: Data()))
        ipc.remove()
        #expect(!FileManager.default.fileExists(atPath: ipc.directory))
        // Two directories never share a name, and a second remove() does not touch a new one of the same name.
        let other = try LocalIPCEndpoint.make(parent: FileManager.default.temporaryDirectory.path)
        defer { other.remove() }
        #expect(other.directory != ipc.directory)
        ipc.remove()
        #expect(FileManager.default.fileExists(atPath: other.directory))
    }

    @Test func theParentIsTMPDIROrTmp() {
        #expect(LocalIPCEndpoint.defaultParent(environment: ["TMPDIR": "/var/tmp/x"]) == "/var/tmp/x")
        #expect(LocalIPCEndpoint.defaultParent(environment: ["TMPDIR": ""]) == "/tmp")
        #expect(LocalIPCEndpoint.defaultParent(environment: [:]) == "/tmp")
    }

    /// When the ipc endpoint cannot be bound the local workers join the `--bind` endpoint instead.
    @Test func aFailedBindFallsBackToTheTCPEndpoint() throws {
        let ctx = try ZContext()
        let router = try ZSocket.router(ctx)
        defer { router.close() }
        try router.bind("tcp://127.0.0.1:0")
        let tcp = try router.lastEndpoint()
        let missing = "ipc://" + FileManager.default.temporaryDirectory.path + "/no-such-dir-\(UUID())/coord.sock"
        #expect(router.bindLocalWorkers(missing, fallback: tcp) == tcp)
        #expect(router.bindLocalWorkers(nil, fallback: tcp) == tcp)
    }

    /// A CURVE server is one on the ipc endpoint too: a plain client's message never arrives, an encrypting one's does.
    @Test func curveAppliesToTheIPCEndpoint() throws {
        let ipc = try LocalIPCEndpoint.make(parent: FileManager.default.temporaryDirectory.path)
        defer { ipc.remove() }
        let server = try CurveKeyPair.generate(), client = try CurveKeyPair.generate()
        let ctx = try ZContext()
        let router = try ZSocket.router(ctx)
        try router.makeCurveServer(secretKey: server.secretKey)
        try router.bind("tcp://127.0.0.1:0")
        #expect(router.bindLocalWorkers(ipc.endpoint, fallback: try router.lastEndpoint()) == ipc.endpoint)
        let plain = try ZSocket.dealer(ctx)
        try plain.connect(ipc.endpoint)
        try plain.sendMultipart([[9]])
        let encrypted = try ZSocket.dealer(ctx)
        try encrypted.makeCurveClient(serverPublicKey: server.publicKey, keyPair: client)
        try encrypted.connect(ipc.endpoint)
        try encrypted.sendMultipart([[7]])
        let got = try #require(try router.receiveMultipart(timeoutMs: 10_000))
        #expect(Array(got.dropFirst()) == [[7]])
        #expect(try router.receiveMultipart(timeoutMs: 300) == nil, "a client without CURVE got through")
        plain.close(); encrypted.close(); router.close()
    }
}
