import Foundation
import SNNCluster
import SNNCore
import Testing

/// `training.communication` through the real shells (in process, manual clock): rounded gradients and rounded updates
/// are part of the training step, so two workers end with the standalone trainer's digest of the same spec, the
/// workers rebuild every new version from WORK kind 3 (protocol 6) without refusing one, and the result differs from
/// the exact spec's (the rounding is really applied).
@Suite struct InProcessQuantizedUpdateTests {
    @Test func twoWorkersWithRoundedUpdatesEndWithTheStandaloneDigest() throws {
        let spec = InProcessCluster.quantizedSpecJSON(gradientBits: 6, updateBits: 6)
        let reference = try InProcessCluster.standaloneDigest(maxSteps: 3, spec: spec)
        #expect(reference != (try InProcessCluster.standaloneDigest(maxSteps: 3)))
        let cluster = try InProcessCluster(maxSteps: 3, minWorkers: 2, spec: spec)
        let a = try cluster.addWorker(name: "a"), b = try cluster.addWorker(name: "b")
        var elapsed = Duration.zero
        while !cluster.coordinator.isFinished && elapsed < .seconds(30) {
            try cluster.pump(turns: 20)
            cluster.clock.advance(by: .milliseconds(250))
            elapsed += .milliseconds(250)
        }
        #expect(cluster.coordinator.isFinished)
        #expect(cluster.session.digest == reference)
        #expect(cluster.session.lastUpdate != nil)
        // New versions reached the workers as rounded updates, never refused.
        #expect(a.updatesApplied + b.updatesApplied >= 2 && a.deltasRefused == 0 && b.deltasRefused == 0)
    }
}
