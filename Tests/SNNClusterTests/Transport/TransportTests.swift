import CZeroMQ
import Foundation
import SNNCluster
import Synchronization
import Testing

/// Loopback tests of the ZeroMQ wrapper. Every wait is bounded by a receive timeout.
@Suite("Transport (ZeroMQ on loopback)")
struct TransportTests {
    /// A bound ROUTER and a connected DEALER in one context.
    static func pair(_ ctx: ZContext, server: (ZSocket) throws -> Void = { _ in },
                     client: (ZSocket) throws -> Void = { _ in }) throws -> (router: ZSocket, dealer: ZSocket) {
        let router = try ZSocket.router(ctx)
        try server(router)
        try router.bind("tcp://127.0.0.1:0")
        let endpoint = try router.lastEndpoint()
        #expect(endpoint.hasPrefix("tcp://127.0.0.1:"))
        let dealer = try ZSocket.dealer(ctx)
        try client(dealer)
        try dealer.connect(endpoint)
        return (router, dealer)
    }

    /// Frames of `ZSocket.zeroCopyBytes` or more leave without a copy (issue 11 item 3): what arrives is every byte as
    /// sent, in order with copied small frames, also when the sender changes its arrays right after sending and the
    /// arrays are gone long before libzmq is done (both ways, many messages in flight).
    @Test("frames sent without a copy arrive intact, whatever the sender does with its arrays afterwards")
    func zeroCopyFramesArriveIntact() throws {
        let ctx = try ZContext()
        let (router, dealer) = try Self.pair(ctx)
        let big = ZSocket.zeroCopyBytes
        func frames(_ k: Int) -> [[UInt8]] {
            [[UInt8(k)], (0..<(big + 17 * k)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ k) }, [UInt8](repeating: UInt8(k), count: 100),
             [UInt8](repeating: UInt8(255 - k), count: 3 * big)]
        }
        for k in 0..<20 {
            var sent = frames(k)
            try dealer.sendMultipart(sent)
            for i in sent.indices { for j in sent[i].indices { sent[i][j] = 0xAA } }   // changed after sending: not what leaves
        }
        var identity: [UInt8] = []
        for k in 0..<20 {
            let got = try #require(try router.receiveMultipart(timeoutMs: 5000), "message \(k) missing")
            identity = got[0]
            #expect(Array(got.dropFirst()) == frames(k), "message \(k) changed on the way")
        }
        for k in 0..<5 { try router.sendMultipart([identity] + frames(k)) }
        for k in 0..<5 {
            let back = try #require(try dealer.receiveMultipart(timeoutMs: 5000), "reply \(k) missing")
            #expect(back == frames(k))
        }
    }

    @Test("router/dealer multipart round trip of encoded messages")
    func roundTrip() throws {
        let ctx = try ZContext()
        let (router, dealer) = try Self.pair(ctx)
        var rng = SeededGenerator(seed: 40)
        let result = WireSamples.result(&rng, gradientCount: 5000)
        let encoded = try WireCodec.encode(.result(result), runID: WireSamples.runID)
        try dealer.sendMultipart(encoded.frames)

        let got = try #require(try router.receiveMultipart(timeoutMs: 5000))
        #expect(got.count == encoded.frames.count + 1)
        let identity = got[0]
        let decoded = try WireCodec.decode(Array(got.dropFirst()))
        #expect(decoded.message == .result(result))
        #expect(decoded.runID == WireSamples.runID)

        let reply = try WireCodec.encode(.noWork(NoWork(retryAfterMs: 10, reason: .waitingForStep)), runID: WireSamples.runID)
        try router.sendMultipart([identity] + reply.frames)
        let back = try #require(try dealer.receiveMultipart(timeoutMs: 5000))
        #expect(try WireCodec.decode(back).message == .noWork(NoWork(retryAfterMs: 10, reason: .waitingForStep)))

        // ROUTER_MANDATORY: an unknown peer is an error, not a silent drop.
        do {
            try router.sendMultipart([[9, 9, 9]] + reply.frames)
            Issue.record("send to unknown identity succeeded")
        } catch { #expect(error.hostUnreachable) }

        // Poll over two sockets, nothing pending.
        #expect(try ZPoll.readable([router, dealer], timeoutMs: 0) == [false, false])
        #expect(try router.receiveMultipart(timeoutMs: 20) == nil)
    }

    @Test("malformed frames from the network produce a WireError, not a crash")
    func malformedFromNetwork() throws {
        let ctx = try ZContext()
        let (router, dealer) = try Self.pair(ctx)
        let garbage: [[[UInt8]]] = [[[1, 2, 3]], [Array("SNN1".utf8)], [[UInt8](repeating: 0xFF, count: 32), []],
                                    [[]], [Array("SNN1".utf8) + [1, 0, 7, 0, 1, 0] + [UInt8](repeating: 0, count: 22)]]
        for frames in garbage {
            try dealer.sendMultipart(frames)
            let got = try #require(try router.receiveMultipart(timeoutMs: 5000))
            #expect(throws: WireError.self) { try WireCodec.decode(Array(got.dropFirst())) }
        }
    }

    @Test("a message with too many frames is drained and reported, the next one arrives intact")
    func oversizedMessage() throws {
        let ctx = try ZContext()
        let (router, dealer) = try Self.pair(ctx)
        try dealer.sendMultipart(Array(repeating: [1], count: 10))
        try dealer.sendMultipart([[7], [8]])
        #expect(throws: ZmqError.self) { try router.receiveMultipart(timeoutMs: 5000, maxFrames: 4) }
        let next = try #require(try router.receiveMultipart(timeoutMs: 5000, maxFrames: 4))
        #expect(Array(next.dropFirst()) == [[7], [8]])
    }

    @Test("CURVE with an allowed client key works")
    func curveAllowed() throws {
        let ctx = try ZContext()
        let server = try CurveKeyPair.generate()
        let client = try CurveKeyPair.generate()
        let auth = try ZAPAuthenticator(context: ctx, allowList: try CurveAllowList(keys: [client.publicKey]))
        defer { auth.stop() }
        let (router, dealer) = try Self.pair(ctx, server: { try $0.makeCurveServer(secretKey: server.secretKey) },
                                             client: { try $0.makeCurveClient(serverPublicKey: server.publicKey, keyPair: client) })
        let hello = try WireCodec.encode(.hello(WireSamples.hello), runID: nil)
        try dealer.sendMultipart(hello.frames)
        let got = try #require(try router.receiveMultipart(timeoutMs: 5000))
        #expect(try WireCodec.decode(Array(got.dropFirst())).message == .hello(WireSamples.hello))
        try router.sendMultipart([got[0]] + (try WireCodec.encode(.bye(Bye(reason: "ok")), runID: nil)).frames)
        #expect(try dealer.receiveMultipart(timeoutMs: 5000) != nil)
        #expect(auth.requestsHandled >= 1)
    }

    @Test("a client key not in the allow-list gets no reply and the refusal is reported")
    func curveRefused() throws {
        let ctx = try ZContext()
        let server = try CurveKeyPair.generate()
        let allowed = try CurveKeyPair.generate()
        let intruder = try CurveKeyPair.generate()
        let refused = Mutex<[ZAPAuthenticator.Refusal]>([])
        let auth = try ZAPAuthenticator(context: ctx, allowList: try CurveAllowList(keys: [allowed.publicKey])) { r in
            refused.withLock { $0.append(r) }
        }
        defer { auth.stop() }
        let (router, dealer) = try Self.pair(ctx, server: { try $0.makeCurveServer(secretKey: server.secretKey) },
                                             client: { try $0.makeCurveClient(serverPublicKey: server.publicKey, keyPair: intruder) })
        try dealer.sendMultipart(try WireCodec.encode(.hello(WireSamples.hello), runID: nil).frames, dontWait: true)
        #expect(try router.receiveMultipart(timeoutMs: 600) == nil)
        #expect(try dealer.receiveMultipart(timeoutMs: 100) == nil)
        let deadline = Date().addingTimeInterval(3)
        while refused.withLock({ $0.isEmpty }) && Date() < deadline { usleep(10_000) }
        let first = try #require(refused.withLock { $0.first })
        #expect(first.mechanism == "CURVE")
        #expect(first.publicKey == intruder.publicKey)
        #expect(first.address == "127.0.0.1")
    }

    @Test("key pairs save with mode 0600, load back, and group-readable files are refused")
    func keyFiles() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("snn-keys-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/worker.key"
        let pair = try CurveKeyPair.generateFiles(path: path)
        #expect(pair.publicKey.count == 40 && pair.secretKey.count == 40)
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        #expect(try CurveKeyPair.load(path: path) == pair)
        #expect(try CurveAllowList.load(path: path + ".pub").contains(pair.publicKey))
        #expect(throws: CurveKeyError.self) { try CurveAllowList.load(path: path) }   // holds a secret= line
        chmod(path, 0o640)
        #expect(throws: CurveKeyError.self) { try CurveKeyPair.load(path: path) }
        #expect(throws: CurveKeyError.self) {
            try CurveKeyPair(publicKey: try CurveKeyPair.generate().publicKey, secretKey: pair.secretKey)
        }
        #expect(!CurveKeyPair.isValidKey("short"))
        #expect(!CurveKeyPair.isValidKey(String(repeating: "~", count: 40)))
    }
}
