import Foundation
import SNNCluster
import SNNCore
import Testing

/// Checkpoint format 2: a SHA-256 over every byte, so any single flipped byte is refused.
@Suite struct CheckpointIntegrityTests {
    func sample() -> Checkpoint {
        var opt = OptimizerState(kind: .sgd(momentum: 0.9, weightDecay: 0, nesterov: false), parameterCount: 5)
        opt.step = 3
        return Checkpoint(runID: "r", specJSON: "{}", epoch: 1, step: 2, iteration: 9, version: 9,
                          parameters: [1, 2, 3, 4, 5], state: [0.5], optimizer: opt, dataFingerprint: "abc", limit: 256)
    }

    @Test func everySingleByteFlipIsRefusedWithTheChecksumLine() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ckpt-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/c.ckpt"
        try sample().write(to: path)
        let back = try Checkpoint.read(from: path)
        #expect(back.parameters == [1, 2, 3, 4, 5] && back.dataFingerprint == "abc" && back.limit == 256 && back.iteration == 9)
        let good = try #require(FileManager.default.contents(atPath: path))
        for i in 8..<good.count {   // the first 8 bytes are the magic ("not a checkpoint")
            var bad = good
            bad[i] ^= 0x10
            try bad.write(to: URL(fileURLWithPath: path))
            do {
                _ = try Checkpoint.read(from: path)
                Issue.record("byte \(i) flipped was accepted")
            } catch {
                #expect(error.description.contains("checksum"), "byte \(i): \(error)")
            }
        }
    }
}
