import Foundation
import SNNCluster
import Testing

/// Loopback clusters store their frames instead of LZ4-compressing them (WireCompression.swift): real coordinator and
/// worker processes, with and without `SNN_WIRE_COMPRESSION=always`, train the same parameters, and the metrics' wire
/// table shows which way the bytes travelled.
@Suite(.serialized) struct WireCompressionEndToEndTests {
    /// Wire and raw bytes of RESULT and WORK of a run with `--local-workers 1` under `policy`, and its digest.
    func run(policy: String, spec: String, dir: String) throws -> (digest: String?, result: WireTotal?, work: WireTotal?) {
        let db = dir + "/\(policy).sqlite"
        let r = try Child(executable: Binaries.path("snn-coord"),
                          ["start", "--spec", spec, "--local-workers", "1", "--bind", "tcp://127.0.0.1:\(freePort())",
                           "--max-steps", "3", "--limit", "512", "--seed", "5", "--quiet", "--db", db, "--checkpoint-dir", dir + "/ck-\(policy)"],
                          cwd: dir, environment: [WireCompression.variable: policy]).wait(timeout: 180)
        #expect(r.status == 0, "\(policy): \(r.stderr)")
        let store = try MetricsStore.open(path: db, readOnly: true)
        let runID = try #require(try store.latestRun()).runID
        let wire = try store.summary(run: runID).wire
        return (digest(r.stdout), wire.first { $0.kind == "RESULT received" }, wire.first { $0.kind == "WORK sent" })
    }

    @Test func loopbackFramesAreStoredAndTrainTheSameParametersAsCompressedOnes() throws {
        let dir = temporaryDirectory()
        let spec = try writeTinySpec(in: dir)
        let stored = try run(policy: "auto", spec: spec, dir: dir)
        let compressed = try run(policy: "always", spec: spec, dir: dir)
        #expect(stored.digest != nil && stored.digest == compressed.digest)
        let sr = try #require(stored.result), sw = try #require(stored.work)
        let cr = try #require(compressed.result), cw = try #require(compressed.work)
        // Stored: no LZ4, but the RESULT gradients travel narrowed (PROTOCOL.md §3.3 filter 13: a fixed-point gradient
        // needs at most 5 of its 8 bytes), so RESULT is smaller on the wire than raw; WORK, full values or deltas of the
        // first versions (4 bytes each), is at most the raw bytes plus an 8-byte envelope per frame. Compressed: both shrink.
        #expect(sr.wireBytes < sr.rawBytes && sw.wireBytes <= sw.rawBytes + 8 * 4 * sw.messages, "auto: \(sr), \(sw)")
        #expect(cr.wireBytes < cr.rawBytes && cw.wireBytes < cw.rawBytes, "always: \(cr), \(cw)")
        #expect(sr.messages > 0 && cr.messages > 0)
    }
}
