import Foundation
import SNNCluster

/// Valid sample messages of every kind, sized so encodings stay small (fast fuzzing) but still cross the
/// compression threshold where a kind has bulk frames.
enum WireSamples {
    static let runID = UUID(uuidString: "6F9619FF-8B86-D011-B42D-00C04FC964FF")!
    static let workerId = UUID(uuidString: "E621E1F8-C36C-495A-93FC-0C247A3E6E5F")!
    static let key = WorkKey(epoch: 3, step: 17, microBatch: 5, phase: .train)

    static func all(_ rng: inout SeededGenerator) -> [(message: Message, runID: UUID?)] {
        [
            (.hello(hello), nil),
            (.welcome(Welcome(runID: runID, heartbeatIntervalMs: 1000, deadWorkerTimeoutMs: 3000,
                              specJSON: Array(#"{"model":"bntt","layers":[784,512,10],"T":25}"#.utf8) + Array(repeating: 0x20, count: 600),
                              parameterVersion: 42)), runID),
            (.refuse(Refusal(code: .buildMismatch, reason: "build snn-0.1+znver4 differs from snn-0.1+haswell")), runID),
            (.requestWork(WorkRequest(freeSlots: 2, knownParameterVersion: 41)), runID),
            (.work(WorkAssignment(key: key, parameterVersion: 42, seed: 0xDEAD_BEEF, sampleIndices: (0..<16).map { Int32($0 * 7) },
                                  values: nil)), runID),
            (.work(WorkAssignment(key: WorkKey(epoch: 0, step: 0, microBatch: 1, phase: .evaluate), parameterVersion: 7,
                                  seed: 1, sampleIndices: Array(0..<64),
                                  values: ModelValues(parameters: (0..<300).map { _ in Float.random(in: -0.1...0.1, using: &rng) },
                                                      state: (0..<40).map { _ in Float.random(in: 0...2, using: &rng) }))), runID),
            (.work(WorkAssignment(key: key, parameterVersion: 43, seed: 2, sampleIndices: Array(0..<32),
                                  delta: ParameterDelta(baseVersion: 42, parameters: (0..<300).map { _ in UInt32.random(in: 0...4096, using: &rng) },
                                                        state: (0..<40).map { _ in UInt32.random(in: 0...64, using: &rng) },
                                                        checksum: rng.next()))), runID),
            (.work(WorkAssignment(key: key, parameterVersion: 43, seed: 3, sampleIndices: Array(0..<32),
                                  update: ParameterUpdate(baseVersion: 42, codes: (0..<600).map { _ in UInt32.random(in: 0...512, using: &rng) },
                                                          exponents: (0..<3).map { _ in UInt8.random(in: 100...140, using: &rng) },
                                                          exceptionIndices: [3, 77, 599], exceptionValues: [1, 2, 3],
                                                          state: (0..<40).map { _ in UInt32.random(in: 0...64, using: &rng) },
                                                          checksum: rng.next()))), runID),
            (.noWork(NoWork(retryAfterMs: 50, reason: .waitingForStep)), runID),
            (.result(result(&rng, gradientCount: 400)), runID),
            (.heartbeat(Heartbeat(sentAtMs: 1_700_000_000_000, currentStep: 99, freeSlots: 1)), runID),
            (.bye(Bye(reason: "worker shutting down (SIGTERM)")), runID),
            (.error(ErrorReply(code: .notWelcomed, text: "send HELLO first")), nil),
            (.workFailed(WorkFailed(key: key, parameterVersion: 42, reason: .missingParameters, detail: "")), runID),
            (.workFailed(WorkFailed(key: key, parameterVersion: 42, reason: .computeError, detail: "out of memory")), runID),
            (.spikeRaster(raster(&rng, steps: 4, neurons: 3136, rate: 0.05)), runID),
            (.spikeRaster(raster(&rng, steps: 3, neurons: 3, rate: 0.5)), runID),   // 9 bits: padding in the last byte
        ]
    }

    /// A raster of `steps × neurons` random spikes at about `rate`.
    static func raster(_ rng: inout SeededGenerator, steps: Int, neurons: Int, rate: Double) -> SpikeRaster {
        let spikes = (0..<(steps * neurons)).map { _ in Double.random(in: 0..<1, using: &rng) < rate ? UInt8(1) : 0 }
        return SpikeRaster(epoch: 2, sample: 5, layer: 2, steps: steps, neurons: neurons, spikes: spikes)
    }

    static let hello = Hello(workerId: workerId, name: "node-07.cluster", threads: 2, buildID: "snn-0.1.0 znver4",
                             datasetFingerprint: String(repeating: "ab12", count: 16), resumeToken: nil)

    static func result(_ rng: inout SeededGenerator, gradientCount: Int) -> WorkResult {
        let grads = (0..<gradientCount).map { _ in Float.random(in: -1e-3...1e-3, using: &rng) }
        return WorkResult(key: key, parameterVersion: 42, samples: 16, lossSum: 12.345, correct: 11,
                          computeNanos: 123_456_789, steps: 4,
                          gradient: (try? FixedPoint.encode(grads)) ?? [],
                          statistics: (0..<64).map { _ in Float.random(in: 0...2, using: &rng) },
                          counters: (0..<27).map { _ in Int64.random(in: 0...1_000_000, using: &rng) },
                          spikesPerLayer: [1234, 567, 89])
    }
}
