import CLZ4
import Foundation
import SNNCluster
import SNNCore
import Testing

/// protocols/PROTOCOL.md is complete and true enough to write a client from (issue 8, item 11): a worker written
/// in this file from the document alone (byte offsets, type numbers, the build-id format, the dataset-fingerprint
/// recipe, the frame envelope with LZ4 and byte shuffle, §5.1's parameter count) says HELLO to a real coordinator
/// on loopback and is welcomed, asks for work and decodes the WORK it gets, reports it failed (WORK_FAILED) and gets
/// it again, sends HEARTBEAT and BYE. The
/// coordinator's frames are decoded with the document's constants only (no `WireCodec`).
@Suite struct ProtocolDocumentTests {
    @Test func aClientWrittenFromTheDocumentIsWelcomedAndDecodesRealWork() throws {
        let dir = temporaryDirectory()
        let spec = try writeTinySpec(in: dir)
        let address = "tcp://127.0.0.1:\(freePort())", db = dir + "/m.sqlite", limit = 256
        let coord = try Child("snn-coord", ["start", "--spec", spec, "--bind", address, "--limit", "\(limit)", "--quiet",
                                            "--seed", "3", "--db", db, "--checkpoint-dir", dir + "/ck"], cwd: dir)
        defer { coord.kill9() }

        // §5.1 build id and dataset fingerprint, computed from the data files as the document says.
        let buildID = "snn-cluster 0.1 \(Self.arch) blas:\(BLAS.coreOfTheBinaries)"
        let train = try Self.splitHash(dir: dir, prefix: "train", limit: limit)
        let test = try Self.splitHash(dir: dir, prefix: "t10k", limit: limit)
        let fingerprint = Self.sha256(Array("\(train):\(test)".utf8))

        let ctx = try ZContext()
        let dealer = try ZSocket.dealer(ctx)
        defer { dealer.close() }
        try dealer.connect(address)

        // HELLO (§5): worker id, version, threads, name, build id, fingerprint, empty resume token.
        var hello = (0..<16).map { _ in UInt8.random(in: 0...255) }
        hello += le16(Self.version) + le16(1) + str("doc-client") + str(buildID) + str(fingerprint) + le16(0)
        try dealer.sendMultipart([header(type: 1, runID: [UInt8](repeating: 0, count: 16), frames: 1), hello])

        // WELCOME (type 2, 2 payload frames, non-zero run id; body 16 bytes; frame 2 the spec).
        let welcome = try #require(try receive(dealer, skipping: [8]), "no answer to HELLO: \(coord.stderr)")
        #expect(welcome.type == 2, "expected WELCOME, got type \(welcome.type): \(String(decoding: welcome.payload.first ?? [], as: UTF8.self))")
        guard welcome.type == 2 else { return }
        let runID = welcome.runID
        #expect(runID != [UInt8](repeating: 0, count: 16))
        #expect(welcome.payload.count == 2 && welcome.payload[0].count == 16)
        #expect(u32(welcome.payload[0], 0) == 1000 && u32(welcome.payload[0], 4) == 3000)   // default heartbeat / dead timeout, ms
        #expect(String(decoding: welcome.payload[1], as: UTF8.self).contains("\"e2e-bntt\""))

        // REQUEST_WORK (type 4): 1 free slot, no parameters held; the answer is WORK (type 5) with parameters.
        try dealer.sendMultipart([header(type: 4, runID: runID, frames: 1), le16(1) + le64(0)])
        var work: Frames?
        for _ in 0..<50 where work == nil {
            guard let m = try receive(dealer, skipping: [8]) else { break }
            if m.type == 6 {   // NO_WORK: wait retry-after and ask again
                Thread.sleep(forTimeInterval: Double(u32(m.payload[0], 0)) / 1000)
                try dealer.sendMultipart([header(type: 4, runID: runID, frames: 1), le16(1) + le64(0)])
            } else { work = m }
        }
        let w = try #require(work, "no WORK: \(coord.stderr)")
        #expect(w.type == 5 && w.runID == runID && w.payload.count == 4)
        let b = w.payload[0]
        #expect(b.count == 60)
        #expect(u32(b, 0) == 0 && u32(b, 4) == 0 && u32(b, 8) == 0)            // epoch 0, step 0, micro-batch 0
        #expect(b[12] == 0 && b[13] == 0 && b[14] == 1 && b[15] == 0)          // train, train split, parameters: full
        let samples = Int(u32(b, 32)), p = Int(u32(b, 36)), r = Int(u32(b, 40))
        #expect(samples == 8)                                                    // the spec's training.microBatch
        // §5.1 parameter frame for writeTinySpec's network: conv 4×1×3×3 (no bias), per-step BN γ 4 steps × 4
        // channels (no shift), dense 196×10 (no bias: `bias` defaults to false); the state frame BN running mean and
        // variance 2 × 4 × 4.
        let parameters = 4 * 9 + 4 * 4 + 196 * 10, running = 2 * 4 * 4
        #expect(p == parameters && r == running)
        let indices = (0..<samples).map { u32(w.payload[1], 4 * $0) }
        #expect(w.payload[1].count == 4 * samples && Set(indices).count == samples && indices.allSatisfy { $0 < UInt32(limit) })
        #expect(w.payload[2].count == 4 * p && w.payload[3].count == 4 * r)
        let floats = (0..<p).map { Float(bitPattern: u32(w.payload[2], 4 * $0)) }
        #expect(floats.allSatisfy(\.isFinite) && floats.contains { $0 != 0 })
        // Version 0's running state: the BN layer's running means start at 0, its variances at 1 (mean then variance).
        let state = (0..<r).map { Float(bitPattern: u32(w.payload[3], 4 * $0)) }
        #expect(state == [Float](repeating: 0, count: 16) + [Float](repeating: 1, count: 16))
        // Protocol 4: no base version for full values; the checksum of parameters then state (§5 WORK, offset 52).
        #expect(u64(b, 44) == 0 && u64(b, 52) == checksum(w.payload[2] + w.payload[3]))

        // WORK_FAILED (type 12, §5): micro-batch 0 failed for want of its parameters. The coordinator puts it back
        // first in line and resends the parameters, so the next WORK is micro-batch 0 again, with parameters
        // (without the report it would be micro-batch 1, without them).
        var failed = le32(0) + le32(0) + le32(0) + [0, 1] + le16(0) + Array(b[16..<24]) + str("doc-client: no parameters")
        try dealer.sendMultipart([header(type: 12, runID: runID, frames: 1), failed])
        try dealer.sendMultipart([header(type: 4, runID: runID, frames: 1), le16(1) + le64(0)])
        let again = try #require(try receive(dealer, skipping: [8, 6]), "no WORK after WORK_FAILED: \(coord.stderr)")
        #expect(again.type == 5 && again.runID == runID)
        #expect(u32(again.payload[0], 8) == 0 && again.payload[0][12] == 0 && again.payload[0][14] == 1)
        #expect(again.payload.count == w.payload.count && again.payload[2] == w.payload[2] && again.payload[3] == w.payload[3])
        // A WORK_FAILED breaking a rule (reserved bytes not 0) is rejected whole with ERROR malformed (code 1).
        failed[14] = 1
        try dealer.sendMultipart([header(type: 12, runID: runID, frames: 1), failed])
        let rejected = try #require(try receive(dealer, skipping: [8, 5, 6]), "no ERROR for a malformed WORK_FAILED")
        #expect(rejected.type == 10 && u16(rejected.payload[0], 0) == 1)

        // HEARTBEAT (type 8, 18 bytes) and BYE (type 9, reason) are accepted without an ERROR.
        try dealer.sendMultipart([header(type: 8, runID: runID, frames: 1), le64(1) + le64(0) + le16(1)])
        try dealer.sendMultipart([header(type: 9, runID: runID, frames: 1), str("done")])
        if let answer = try receive(dealer, skipping: [8, 5, 6], timeoutMs: 1500) {
            #expect(answer.type != 10, "ERROR: \(String(decoding: answer.payload[0].dropFirst(4), as: UTF8.self))")
        }

        // The metrics database stores the same build id and fingerprint as the wire.
        let store = try MetricsStore.open(path: db, readOnly: true)
        let run = try #require(try store.latestRun())
        #expect(run.datasetFingerprint == fingerprint)
        #expect(run.buildID == buildID)
    }

    // MARK: - A client from the document

    struct Frames { var type: Int; var runID: [UInt8]; var payload: [[UInt8]] }

    /// One message, header checked (§3.1) and frame envelopes undone (§3.3); message types in `skipping` ignored.
    func receive(_ s: ZSocket, skipping: Set<Int>, timeoutMs: Int = 30_000) throws -> Frames? {
        let deadline = Date().addingTimeInterval(Double(timeoutMs) / 1000)
        while Date() < deadline {
            guard let m = try s.receiveMultipart(timeoutMs: 500) else { continue }
            let h = m[0]
            #expect(h.count == 32 && Array(h[0..<4]) == Array("SNN1".utf8) && u16(h, 4) == Self.version)
            #expect(u16(h, 10) == 0 && u16(h, 28) == 32 && u16(h, 30) == m.count - 1)
            let flags = u16(h, 8)
            #expect(flags & ~1 == 0)
            let payload = try m.dropFirst().map { flags & 1 == 1 ? try unwrap($0) : $0 }
            let f = Frames(type: u16(h, 6), runID: Array(h[12..<28]), payload: payload)
            if !skipping.contains(f.type) { return f }
        }
        return nil
    }

    /// §5 WORK checksum: the parameter bytes then the state bytes, zero-padded to a multiple of 8, as little-endian
    /// u64 words w₀ … w_{n−1}; lane j of 8 takes the words j, j + 8, …, from h_j = 0xcbf29ce484222325 with
    /// h_j = (h_j XOR w) × 0x100000001b3 mod 2^64; then h from 0xcbf29ce484222325 folds h_0 … h_7 the same way, and n.
    func checksum(_ bytes: [UInt8]) -> UInt64 {
        let basis: UInt64 = 0xcbf2_9ce4_8422_2325, prime: UInt64 = 0x100_0000_01b3
        var b = bytes
        while b.count % 8 != 0 { b.append(0) }
        let n = b.count / 8
        var h = basis
        for j in 0..<8 {
            var lane = basis
            for i in stride(from: j, to: n, by: 8) { lane = (lane ^ u64(b, 8 * i)) &* prime }
            h = (h ^ lane) &* prime
        }
        return (h ^ UInt64(n)) &* prime
    }

    /// §5 WORK delta (parameters byte 2): frame value z (u32) is the ZigZag of the difference of the bit patterns:
    /// new = held + ((z >> 1) XOR −(z AND 1)), wrapping, element by element.
    func rebuild(held: [UInt8], delta: [UInt8]) -> [UInt8] {
        stride(from: 0, to: held.count, by: 4).flatMap { o -> [UInt8] in
            let z = u32(delta, o)
            return le32(u32(held, o) &+ ((z >> 1) ^ (0 &- (z & 1))))
        }
    }

    /// §3.3 filter 12: E = raw / 4 elements, B = E − E mod 32; bit k of element i < B is bit i mod 8 of byte
    /// k·B/8 + i/8; the rest of the frame follows unchanged.
    func bitUnshuffle(_ data: [UInt8]) -> [UInt8] {
        let blocked = data.count / 4 / 32 * 32
        var out = data
        for i in 0..<(4 * blocked) { out[i] = 0 }
        for k in 0..<32 {
            for i in 0..<blocked where data[k * blocked / 8 + i / 8] >> UInt8(i % 8) & 1 == 1 { out[4 * i + k / 8] |= 1 << UInt8(k % 8) }
        }
        return out
    }

    /// §3.3: 8-byte envelope (codec, filter, element bytes, reserved, raw length), LZ4 block, then unshuffle; or
    /// filters 13 and 14: stored elements of W bytes (byte 2), widened back with zero high bytes (13: then un-ZigZag).
    func unwrap(_ f: [UInt8]) throws -> [UInt8] {
        let codec = f[0], filter = f[1], raw = Int(u32(f, 4))
        #expect(f[3] == 0 && (codec == 0 || codec == 1) && [0, 4, 8, 9, 12, 13, 14].contains(filter))
        if filter == 13 || filter == 14 {
            let width = filter == 13 ? 8 : 4, w = Int(f[2]), n = raw / width
            #expect(codec == 0 && (1...width).contains(w) && f.count == 8 + n * w)
            return (0..<n).flatMap { i -> [UInt8] in
                let u = (0..<w).reduce(UInt64(0)) { $0 | UInt64(f[8 + i * w + $1]) << (8 * UInt64($1)) }
                return filter == 13 ? le64((u >> 1) ^ (0 &- (u & 1))) : Array(le64(u).prefix(4))
            }
        }
        #expect(f[2] == 0)
        var data = Array(f[8...])
        if codec == 1 {
            var out = [UInt8](repeating: 0, count: raw)
            let n = data.withUnsafeBufferPointer { src in out.withUnsafeMutableBufferPointer { dst in
                LZ4_decompress_safe(UnsafeRawPointer(src.baseAddress!).assumingMemoryBound(to: CChar.self),
                                    UnsafeMutableRawPointer(dst.baseAddress!).assumingMemoryBound(to: CChar.self),
                                    Int32(src.count), Int32(raw))
            } }
            #expect(Int(n) == raw)
            data = out
        }
        #expect(data.count == raw)
        guard filter != 0 else { return data }
        if filter == 12 { return bitUnshuffle(data) }
        let width = filter == 4 ? 4 : 8, e = raw / width
        var plain = [UInt8](repeating: 0, count: raw)
        for i in 0..<e { for p in 0..<width { plain[i * width + p] = data[p * e + i] } }
        #expect(filter != 9, "ZigZag frames are not expected from the coordinator")
        return plain
    }

    func header(type: Int, runID: [UInt8], frames: Int) -> [UInt8] {
        Array("SNN1".utf8) + le16(Self.version) + le16(type) + le16(0) + le16(0) + runID + le16(32) + le16(frames)
    }
    func le16(_ v: Int) -> [UInt8] { [UInt8(v & 0xff), UInt8(v >> 8 & 0xff)] }
    func le32(_ v: UInt32) -> [UInt8] { (0..<4).map { UInt8(v >> (8 * UInt32($0)) & 0xff) } }
    func le64(_ v: UInt64) -> [UInt8] { (0..<8).map { UInt8(v >> (8 * UInt64($0)) & 0xff) } }
    func str(_ s: String) -> [UInt8] { le16(s.utf8.count) + Array(s.utf8) }
    func u16(_ b: [UInt8], _ o: Int) -> Int { Int(b[o]) | Int(b[o + 1]) << 8 }
    func u32(_ b: [UInt8], _ o: Int) -> UInt32 { (0..<4).reduce(0) { $0 | UInt32(b[o + $1]) << (8 * $1) } }
    func u64(_ b: [UInt8], _ o: Int) -> UInt64 { (0..<8).reduce(0) { $0 | UInt64(b[o + $1]) << (8 * UInt64($1)) } }

    /// §3.1: the protocol version in every header and in HELLO.
    static let version = 6

    static var arch: String {
        #if arch(x86_64)
        "x86_64"
        #else
        "arm64"
        #endif
    }

    /// §5.1: SHA-256 over the image IDX header with the kept count, the kept image bytes, the label IDX header
    /// with the kept count, the kept label bytes (files gunzipped).
    static func splitHash(dir: String, prefix: String, limit: Int) throws -> String {
        let data = "/usr/share/datasets/fashion-mnist"
        func load(_ name: String) throws -> [UInt8] {
            let out = dir + "/" + name
            let path = FileManager.default.fileExists(atPath: "\(data)/\(name).gz") ? "\(data)/\(name).gz" : "\(data)/\(name)"
            let r = try Child(executable: "/bin/sh", ["-c", "gzip -dcf '\(path)' > '\(out)'"]).wait(timeout: 60)
            guard r.status == 0 else { throw DeployTestError("gunzip \(path): \(r.stderr)") }
            return Array(try Data(contentsOf: URL(fileURLWithPath: out)))
        }
        let images = try load("\(prefix)-images-idx3-ubyte"), labels = try load("\(prefix)-labels-idx1-ubyte")
        func be32(_ b: [UInt8], _ o: Int) -> Int { Int(b[o]) << 24 | Int(b[o + 1]) << 16 | Int(b[o + 2]) << 8 | Int(b[o + 3]) }
        func withCount(_ h: [UInt8], _ n: Int) -> [UInt8] {
            var h = h; h[4] = UInt8(n >> 24 & 0xff); h[5] = UInt8(n >> 16 & 0xff); h[6] = UInt8(n >> 8 & 0xff); h[7] = UInt8(n & 0xff); return h
        }
        #expect(Array(images[0..<4]) == [0, 0, 8, 3] && Array(labels[0..<4]) == [0, 0, 8, 1])
        let n = min(limit, be32(images, 4)), perImage = be32(images, 8) * be32(images, 12)
        let bytes = withCount(Array(images[0..<16]), n) + images[16 ..< 16 + n * perImage]
            + withCount(Array(labels[0..<8]), n) + labels[8 ..< 8 + n]
        return sha256(bytes)
    }

    static func sha256(_ bytes: [UInt8]) -> String {
        let f = FileManager.default.temporaryDirectory.appendingPathComponent("sha-\(UUID())").path
        FileManager.default.createFile(atPath: f, contents: Data(bytes))
        defer { try? FileManager.default.removeItem(atPath: f) }
        let r = try? Child(executable: "/usr/bin/sha256sum", [f]).wait(timeout: 60)
        return String(r?.stdout.prefix(64) ?? "")
    }
}
