import Foundation
import SNNCluster
import SNNCore
import Testing

/// PROTOCOL.md §5 RESULT and §5.1 "One RESULT per worker per step" are enough to answer several micro-batches with one
/// RESULT: a client written from the document asks for 4 slots, gets the 4 micro-batches of step 0 (4 WORKs, one unit
/// of credit each), answers them with ONE RESULT (M = 4, frame 6 = [0, 1, 2, 3], statistics one block per micro-batch)
/// laid out by hand, and the coordinator commits the step: the next WORK is step 1 with parameter version 1, sent as a
/// delta against version 0 (protocol 4) that the client rebuilds from the document and checks against its checksum. A RESULT
/// whose frame 6 does not ascend is malformed (ERROR code 1) and changes nothing.
@Suite struct ProtocolDocumentStepSumTests {
    @Test func oneResultCoveringAWholeStepCommitsIt() throws {
        let doc = ProtocolDocumentTests()
        let dir = temporaryDirectory()
        let spec = try writeTinySpec(in: dir)
        let address = "tcp://127.0.0.1:\(freePort())", limit = 256
        let coord = try Child("snn-coord", ["start", "--spec", spec, "--bind", address, "--limit", "\(limit)", "--quiet",
                                            "--seed", "3", "--db", dir + "/m.sqlite", "--checkpoint-dir", dir + "/ck"], cwd: dir)
        defer { coord.kill9() }
        let buildID = "snn-cluster 0.1 \(ProtocolDocumentTests.arch) blas:\(BLAS.coreOfTheBinaries)"
        let train = try ProtocolDocumentTests.splitHash(dir: dir, prefix: "train", limit: limit)
        let test = try ProtocolDocumentTests.splitHash(dir: dir, prefix: "t10k", limit: limit)
        let fingerprint = ProtocolDocumentTests.sha256(Array("\(train):\(test)".utf8))
        let ctx = try ZContext()
        let dealer = try ZSocket.dealer(ctx)
        defer { dealer.close() }
        try dealer.connect(address)

        var hello = (0..<16).map { _ in UInt8.random(in: 0...255) }
        hello += doc.le16(ProtocolDocumentTests.version) + doc.le16(4) + doc.str("doc-summer") + doc.str(buildID) + doc.str(fingerprint) + doc.le16(0)
        try dealer.sendMultipart([doc.header(type: 1, runID: [UInt8](repeating: 0, count: 16), frames: 1), hello])
        let welcome = try #require(try doc.receive(dealer, skipping: [8]), "no answer to HELLO: \(coord.stderr)")
        #expect(welcome.type == 2)
        guard welcome.type == 2 else { return }
        let runID = welcome.runID

        // REQUEST_WORK with 4 free slots: 4 WORKs, micro-batches 0–3 of step 0 (the first with the parameters).
        func ask(_ slots: Int) throws { try dealer.sendMultipart([doc.header(type: 4, runID: runID, frames: 1), doc.le16(slots) + doc.le64(0)]) }
        try ask(4)
        var works: [ProtocolDocumentTests.Frames] = []
        while works.count < 4 {
            guard let m = try doc.receive(dealer, skipping: [8]) else { break }
            if m.type == 6 { Thread.sleep(forTimeInterval: 0.05); try ask(4 - works.count) } else if m.type == 5 { works.append(m) }
        }
        #expect(works.count == 4, "got \(works.count) WORKs: \(coord.stderr)")
        guard works.count == 4 else { return }
        let bodies = works.map { $0.payload[0] }
        #expect(bodies.map { doc.u32($0, 8) } == [0, 1, 2, 3] && bodies.allSatisfy { doc.u32($0, 4) == 0 && $0[12] == 0 })
        let p = Int(doc.u32(bodies[0], 36))
        let samples = bodies.reduce(0) { $0 + Int(doc.u32($1, 32)) }
        #expect(p == 4 * 9 + 4 * 4 + 196 * 10 && samples == 32)

        // §5.1 sizes for writeTinySpec's network: statistics per micro-batch = 2 × 4 steps × 4 channels (one BN layer);
        // counters 4 phases × 6 layers × T 4 × 9 fields; spikes one per layer (6).
        let n = 2 * 4 * 4, c = 4 * 6 * 4 * 9, l = 6
        func result(covering: [UInt32]) -> [[UInt8]] {
            var b = doc.le32(0) + doc.le32(0) + doc.le32(covering[0]) + [0, 0, 0, 0] + Array(bodies[0][16..<24])
            b += doc.le32(UInt32(samples)) + doc.le32(0) + doc.le64(0) + doc.le64(1)          // samples, correct, loss 0.0, 1 ns
            b += doc.le32(UInt32(p)) + doc.le32(UInt32(n)) + doc.le32(UInt32(c)) + doc.le32(UInt32(l))
            b += doc.le32(4) + doc.le32(UInt32(covering.count))                                // steps T, M
            let gradient = (0..<p).flatMap { i in doc.le64(UInt64(bitPattern: Int64(i % 7 - 3) << 26)) }  // fixed point: (i mod 7 − 3) / 64
            let statistics = (0..<(n * covering.count)).flatMap { i in doc.le32((i % n) < n / 2 ? 0 : Float(1).bitPattern) }
            return [doc.header(type: 7, runID: runID, frames: 6), b, gradient, statistics,
                    [UInt8](repeating: 0, count: 8 * c), [UInt8](repeating: 0, count: 8 * l), covering.flatMap { doc.le32($0) }]
        }
        // Frame 6 must ascend: [1, 0, 2, 3] is rejected whole (ERROR malformed) and changes nothing.
        var bad = result(covering: [0, 1, 2, 3])
        bad[6] = [1, 0, 2, 3].flatMap { doc.le32($0) }
        try dealer.sendMultipart(bad)
        let rejected = try #require(try doc.receive(dealer, skipping: [8, 5, 6]), "no ERROR for a non-ascending frame 6")
        #expect(rejected.type == 10 && doc.u16(rejected.payload[0], 0) == 1)

        // The four are still this client's (a RESULT that cannot be decoded names no key): answer them properly.
        // One RESULT for all four: the step commits, and the next WORK is step 1 with parameter version 1.
        try dealer.sendMultipart(result(covering: [0, 1, 2, 3]))
        try ask(1)
        var next: ProtocolDocumentTests.Frames?
        for _ in 0..<100 where next == nil {
            guard let m = try doc.receive(dealer, skipping: [8]) else { break }
            #expect(m.type != 10, "ERROR: \(String(decoding: m.payload[0].dropFirst(4), as: UTF8.self))")
            if m.type == 6 { Thread.sleep(forTimeInterval: 0.05); try ask(1) } else if m.type == 5 { next = m }
        }
        let w = try #require(next, "no WORK after the step's RESULT: \(coord.stderr)")
        // Protocol 4: this client holds version 0, so version 1 comes as a delta against it (parameters byte 2, base
        // version 0 at offset 44); rebuilt from the document's recipe, it matches the checksum at offset 52.
        let b1 = w.payload[0]
        #expect(doc.u32(b1, 4) == 1 && doc.u32(b1, 16) == 1 && b1[14] == 2 && doc.u64(b1, 44) == 0)
        #expect(w.payload.count == 4 && w.payload[2].count == 4 * p && Int(doc.u32(b1, 36)) == p)
        let params1 = doc.rebuild(held: works[0].payload[2], delta: w.payload[2])
        let state1 = doc.rebuild(held: works[0].payload[3], delta: w.payload[3])
        #expect(doc.checksum(params1 + state1) == doc.u64(b1, 52))
        #expect(params1 != works[0].payload[2], "the step changed no parameter")
        #expect(stride(from: 0, to: params1.count, by: 4).allSatisfy { Float(bitPattern: doc.u32(params1, $0)).isFinite })
        try dealer.sendMultipart([doc.header(type: 9, runID: runID, frames: 1), doc.str("done")])
    }
}
