import Foundation
import SNNCluster
import Testing

/// `SNN_WIRE_COMPRESSION` (WireCompression.swift): frames are stored on loopback and LZ4-compressed on a network by
/// default; the variable forces either, and a value that is no choice is one clear error.
@Suite struct WireCompressionTests {
    @Test func autoStoresOnLoopbackAndCompressesOnANetwork() throws {
        let auto = try WireCompression.parse(nil)
        #expect(auto == .auto)
        for local in ["tcp://127.0.0.1:5555", "tcp://localhost:1", "tcp://127.3.4.5:9", "ipc:///tmp/s", "inproc://x", "tcp://[::1]:7"] {
            #expect(auto.compressAbove(endpoint: local) == Int.max, "\(local)")
        }
        for remote in ["tcp://10.0.0.2:5555", "tcp://node7:5555", "tcp://0.0.0.0:5555", "tcp://*:5555"] {
            #expect(auto.compressAbove(endpoint: remote) == WireCodec.defaultCompressAbove, "\(remote)")
        }
    }

    @Test func theVariableForcesEitherWay() throws {
        #expect(try WireCompression.parse("always").compressAbove(endpoint: "tcp://127.0.0.1:1") == WireCodec.defaultCompressAbove)
        #expect(try WireCompression.parse("NEVER").compressAbove(endpoint: "tcp://10.0.0.2:1") == Int.max)
        #expect(try WireCompression.parse("") == .auto)
        #expect(throws: SetupError.self) { try WireCompression.parse("lz4") }
        do { _ = try WireCompression.parse("fast") } catch {
            #expect("\(error)".contains("SNN_WIRE_COMPRESSION=fast"))
            #expect("\(error)".contains("always"))
        }
    }

    /// What the setting changes on the wire: a large frame stored (narrowed, for integers) or compressed, and either way
    /// the receiver decodes the same message.
    @Test func storedAndCompressedFramesDecodeToTheSameResult() throws {
        let gradient = (0..<50_000).map { Int64($0 % 97) - 48 }
        let result = WorkResult(key: WorkKey(epoch: 0, step: 3, microBatch: 1, phase: .train), parameterVersion: 3, samples: 8,
                                lossSum: 1.5, correct: 2, computeNanos: 7, steps: 4, gradient: gradient, statistics: [],
                                counters: [], spikesPerLayer: [], microBatches: [1])
        let run = UUID()
        let stored = try WireCodec.encode(.result(result), runID: run, compressAbove: Int.max)
        let compressed = try WireCodec.encode(.result(result), runID: run, compressAbove: WireCodec.defaultCompressAbove)
        // Stored, the gradient frame travels narrowed (PROTOCOL.md §3.3 filter 13): values −48…48 have ZigZag values up
        // to 96, one byte each, after the 8-byte envelope.
        #expect(stored.frames[2].count == 8 + gradient.count && stored.frames[2][1] == 13 && stored.frames[2][0] == 0)
        #expect(compressed.frames[2].count < gradient.count * 8 / 2)
        for enc in [stored, compressed] {
            guard case .result(let back) = try WireCodec.decode(enc.frames).message else { Issue.record("not a RESULT"); continue }
            #expect(back.gradient == gradient)
            #expect(back.microBatches == [1])
        }
    }
}
