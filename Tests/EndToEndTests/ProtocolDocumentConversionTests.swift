import Foundation
import SNNCluster
import SNNCore
import Testing

/// PROTOCOL.md §5.2 is enough to serve an ECC conversion: a client written from the document joins
/// `snn-coord convert --workers 1` on loopback, reads the conversion spec in WELCOME, answers the CNN and λ jobs
/// with RESULTs laid out by hand (phase 3, then phase 2 with layers + 1 maxima; protocol version 3's 72-byte body with
/// steps and M = 1, and the covered micro-batch in frame 6), and then receives the first closed-form WORK (phase 4, step T, split 1) carrying parameter version 2 whose
/// length is the document's formula, with an empty state frame.
extension ProtocolDocumentTests {
    @Test func aClientWrittenFromTheDocumentServesConversionWork() throws {
        let dir = temporaryDirectory()
        let keras = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("SNNInterchangeTests/Fixtures/keras/cnn.keras").path
        let address = "tcp://127.0.0.1:\(freePort())", limit = 300
        let coord = try Child("snn-coord", ["convert", "--from", keras, "--timesteps", "8", "--limit", "\(limit)", "--simulate", "0",
                                            "--workers", "1", "--bind", address, "--join-timeout", "60", "--quiet",
                                            "--db", dir + "/m.sqlite", "--out", dir + "/m.snn"], cwd: dir)
        defer { coord.kill9() }
        let buildID = "snn-cluster 0.1 \(Self.arch) blas:\(BLAS.coreOfTheBinaries)"
        let fingerprint = Self.sha256(Array("\(try Self.splitHash(dir: dir, prefix: "train", limit: limit)):\(try Self.splitHash(dir: dir, prefix: "t10k", limit: limit))".utf8))

        let ctx = try ZContext()
        let dealer = try ZSocket.dealer(ctx)
        defer { dealer.close() }
        try dealer.connect(address)
        var hello = (0..<16).map { _ in UInt8.random(in: 0...255) }
        hello += le16(Self.version) + le16(1) + str("doc-converter") + str(buildID) + str(fingerprint) + le16(0)
        try dealer.sendMultipart([header(type: 1, runID: [UInt8](repeating: 0, count: 16), frames: 1), hello])

        // WELCOME: the conversion spec (§5.2).
        let welcome = try #require(try receive(dealer, skipping: [8]), "no answer to HELLO: \(coord.stderr)")
        #expect(welcome.type == 2, "expected WELCOME, got \(welcome.type): \(String(decoding: welcome.payload.first ?? [], as: UTF8.self))")
        guard welcome.type == 2 else { return }
        let runID = welcome.runID
        let spec = try #require(try JSONSerialization.jsonObject(with: Data(welcome.payload[1])) as? [String: Any])
        #expect(spec["conversion"] as? String == "ecc")
        let layers = try #require(spec["layers"] as? [[String: Any]])
        var weights = 0
        for l in layers {
            if let c = l["conv"] as? [Int] { weights += c[3] * c[3] * c[2] * c[6] + c[6] }
            if let d = l["dense"] as? [Int] { weights += d[0] * d[1] + d[1] }
        }
        #expect(weights > 0)

        /// REQUEST_WORK for one slot, answered by WORK (NO_WORK: wait and ask again).
        func nextWork() throws -> Frames? {
            try dealer.sendMultipart([header(type: 4, runID: runID, frames: 1), le16(1) + le64(0)])
            for _ in 0..<100 {
                guard let m = try receive(dealer, skipping: [8]) else { return nil }
                if m.type == 6 {
                    Thread.sleep(forTimeInterval: Double(u32(m.payload[0], 0)) / 1000)
                    try dealer.sendMultipart([header(type: 4, runID: runID, frames: 1), le16(1) + le64(0)])
                } else { return m }
            }
            return nil
        }
        func result(_ body: [UInt8], samples: Int, statistics: [Float]) throws {
            var b = Array(body[0..<13]) + [0, 0, 0] + Array(body[16..<24])          // key, reserved, version
            b += le32(samples) + le32(0) + le64(0) + le64(1)                         // samples, correct 0, loss 0.0, 1 ns
            b += le32(0) + le32(statistics.count) + le32(0) + le32(0)                // G, N, C, L
            b += le32(1)                                                             // steps: 1 for phases 2–3
            b += le32(1)                                                             // M: covers one micro-batch
            let stats = statistics.flatMap { le32(Int($0.bitPattern)) }
            let covered = Array(body[8..<12])                                        // frame 6: that micro-batch
            try dealer.sendMultipart([header(type: 7, runID: runID, frames: 6), b, [], stats, [], [], covered])
        }

        // Job 0: the CNN's accuracy (phase 3, test split, version 1, consecutive samples 100 at a time); job 1: λ
        // (phase 2, train split, version 1), answered with layers + 1 maxima.
        for (job, phase, split) in [(0, 3, 1), (1, 2, 0)] {
            for mb in 0..<3 {
                let w = try #require(try nextWork(), "no WORK for job \(job) micro-batch \(mb): \(coord.stderr)")
                #expect(w.type == 5, "got type \(w.type)")
                let b = w.payload[0]
                #expect(u32(b, 0) == UInt32(job) && u32(b, 4) == 0 && u32(b, 8) == UInt32(mb))
                #expect(b[12] == UInt8(phase) && b[13] == UInt8(split))
                #expect(u32(b, 16) == 1)                                               // parameter version 1: the CNN
                let samples = Int(u32(b, 32))
                #expect(samples == 100 && (0..<samples).map { Int(u32(w.payload[1], 4 * $0)) } == Array((100 * mb)..<(100 * mb + 100)))
                if b[14] == 1 {
                    // Parameters in frame 3; the state frame (4) is there and empty: a conversion has no running state.
                    #expect(Int(u32(b, 36)) == weights && w.payload[2].count == 4 * weights)
                    #expect(u32(b, 40) == 0 && w.payload.count == 4 && w.payload[3].isEmpty)
                } else {
                    #expect(u32(b, 36) == 0 && u32(b, 40) == 0 && w.payload.count == 2)
                }
                #expect(job != 0 || mb != 0 || b[14] == 1, "the first WORK must carry the parameters")
                try result(b, samples: samples, statistics: phase == 2 ? [Float](repeating: 1, count: layers.count + 1) : [])
            }
        }
        // Job 2: the closed form at T = 8 (phase 4, step 8), with version 2: the SNN's weights and one θ per layer.
        let w = try #require(try nextWork(), "no closed-form WORK: \(coord.stderr)")
        let b = w.payload[0]
        #expect(w.type == 5 && u32(b, 0) == 2 && u32(b, 4) == 8 && b[12] == 4 && b[13] == 1 && b[14] == 1)
        #expect(u32(b, 16) == 2)
        #expect(Int(u32(b, 36)) == weights + layers.count && w.payload.count == 4 && w.payload[2].count == 4 * (weights + layers.count))
        #expect(u32(b, 40) == 0 && w.payload[3].isEmpty)
        try dealer.sendMultipart([header(type: 9, runID: runID, frames: 1), str("done")])
    }

    func le32(_ v: Int) -> [UInt8] { (0..<4).map { UInt8(v >> (8 * $0) & 0xff) } }
}
