import Foundation
import SNNCluster
import SNNCore
import Testing

/// Update quantization carries each step's rounding error to the next (`OptimizerState.residual`): a checkpoint keeps
/// it, so a run resumed from step 2 ends with the bits of the uninterrupted run, and the session's last rounded update
/// rebuilds its parameters from the version before (what a worker does with WORK kind 3).
@Suite struct QuantizedResumeTests {
    static let spec = InProcessCluster.quantizedSpecJSON(gradientBits: 6, updateBits: 5)

    static func steps(_ session: TrainingSession, _ setup: RunSetup, count: Int) throws {
        let exec = LocalExecutor(threads: 2, gradientBits: session.settings.gradientBits)
        for _ in 0..<count {
            let work = session.nextStepWork()
            _ = try session.commit(local: try exec.runTrainingLocal(work, method: session.method, data: setup.train,
                                                                    parameters: session.parameters, state: session.state))
            _ = session.advanceEpochIfDone()
        }
    }

    @Test func aResumedRunKeepsTheResidualAndTheBits() throws {
        let setup = try InProcessCluster.setup(spec: Self.spec)
        let straight = InProcessCluster.session(setup)
        straight.recordsRoundedUpdates = true
        try Self.steps(straight, setup, count: 2)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("q-\(UUID()).ckpt").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try straight.checkpoint(runID: "q", specJSON: setup.specJSON).write(to: path)
        let before = ModelValues(parameters: straight.parameters, state: straight.state)
        try Self.steps(straight, setup, count: 1)

        // The last update applied to version 2 gives version 3, bit for bit.
        let update = try #require(straight.lastUpdate)
        #expect(update.baseVersion == 2 && straight.version == 3)
        var rebuilt = before
        #expect(update.apply(to: &rebuilt) == nil)
        #expect(rebuilt.parameters.map(\.bitPattern) == straight.parameters.map(\.bitPattern))

        let back = try Checkpoint.read(from: path)
        #expect(back.optimizer.residual.count == straight.parameters.count && back.optimizer.residual.contains { $0 != 0 })
        let resumed = InProcessCluster.session(setup)
        try resumed.restore(back)
        try Self.steps(resumed, setup, count: 1)
        #expect(resumed.digest == straight.digest)
        #expect(resumed.optimizer.residual == straight.optimizer.residual)

        // Without the residual the next step differs: the carried error is really used.
        var dropped = back
        dropped.optimizer.residual = []
        let forgetful = InProcessCluster.session(setup)
        try forgetful.restore(dropped)
        try Self.steps(forgetful, setup, count: 1)
        #expect(forgetful.digest != straight.digest)
    }
}
