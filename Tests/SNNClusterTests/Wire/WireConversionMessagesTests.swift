import Foundation
import SNNCluster
import SNNCore
import SNNMethods
import SNNModel
import Testing

/// What travels for a sharded ECC conversion (`Wire/ConversionMessages.swift`, PROTOCOL.md §5.2).
@Suite struct WireConversionMessagesTests {
    static func network() -> ECCNetwork {
        let g = ConvGeometry(height: 6, width: 6, channels: 1, kernel: 3, stride: 1, padding: 1, outChannels: 2)
        return ECCNetwork(inputShape: [6, 6, 1], layers: [
            .conv(g, weights: (0..<g.weightCount).map { Float($0) / 10 }, bias: [0.5, -0.5]),
            .avgPool(size: 2, inputShape: [6, 6, 2]),
            .flatten(count: 18),
            .dense(inputs: 18, outputs: 3, weights: (0..<54).map { Float($0) / -7 }, bias: [1, 2, 3]),
        ], names: ["c", "p", "f", "d"])
    }

    @Test func specAndParameterVectorsRoundTrip() throws {
        let net = Self.network()
        let spec = ConversionSpec(network: net, thresholding: 0.5)
        let back = try #require(try ConversionSpec.decodeIfConversion(spec.json))
        #expect(back == spec && back.cnnVersion == 1 && back.snnVersion == 2)
        // §5.2: conv k·k·C·O + O, dense I·O + O.
        #expect(spec.weightCount == 3 * 3 * 1 * 2 + 2 + 18 * 3 + 3)
        let p = ConversionSpec.parameters(net)
        #expect(p.count == spec.weightCount)
        #expect(try spec.network(parameters: p) == net)
        let snn = ConvertedSNN(network: net, thresholds: [100, 1.5, 0, 100], lambdas: [1, 2, 3, 3, 4], kappa: 100, bits: 0)
        let q = ConversionSpec.parameters(snn)
        #expect(q.count == spec.weightCount + 4 && Array(q.suffix(4)) == [100, 1.5, 0, 100])
        let m = try #require(try spec.snn(parameters: q))
        #expect(m.network == net && m.thresholds == snn.thresholds)
        #expect(try spec.snn(parameters: p) == nil)   // a CNN vector is not an SNN vector
        // RESULT sizes: ledger 4 phases × 4 layers × T × 9 fields.
        for (kind, want) in [(ConversionTaskKind.cnn, [0, 0, 0]), (.lambda, [5, 0, 0]), (.closedForm, [0, 5, 4 * 4 * 8 * 9]),
                             (.timeStepped, [1, 5, 4 * 4 * 8 * 9 + 4])] {
            let s = spec.resultSizes(kind, timesteps: 8)
            #expect([s.statistics, s.spikes, s.counters] == want, "\(kind)")
        }
    }

    @Test func aTrainingSpecIsNotAConversionAndABadConversionSpecThrows() throws {
        #expect(try ConversionSpec.decodeIfConversion(Array(#"{"name": "run", "method": "bntt"}"#.utf8)) == nil)
        #expect(try ConversionSpec.decodeIfConversion(Array("not json".utf8)) == nil)
        #expect(throws: (any Error).self) { try ConversionSpec.decodeIfConversion(Array(#"{"conversion": "ecc"}"#.utf8)) }
        #expect(throws: (any Error).self) {
            try ConversionSpec.decodeIfConversion(Array(#"{"conversion": "ecc", "inputShape": [1], "thresholding": 0.5, "cnnVersion": 1, "snnVersion": 2, "layers": [{"kind": "lstm", "name": "x"}]}"#.utf8))
        }
    }

    /// Phases 2–5 travel in WORK and RESULT keys like train/evaluate; every job kind maps to its own phase and back.
    /// WORK's split byte follows the phase (λ reads the train split, the other jobs the test split), the parameters
    /// travel in frame 3 and the state frame (4) is empty (PROTOCOL.md §5.2).
    @Test func conversionPhasesRoundTripThroughTheCodec() throws {
        let run = UUID()
        for kind in ConversionTaskKind.allCases {
            #expect(ConversionTaskKind(wirePhase: kind.wirePhase) == kind)
            let key = WorkKey(epoch: 3, step: 64, microBatch: 7, phase: kind.wirePhase)
            let work = Message.work(WorkAssignment(key: key, parameterVersion: 2, seed: 0, sampleIndices: [0, 1, 2],
                                                   values: ModelValues(parameters: [1, 2, 3], state: [])))
            let workFrames = try WireCodec.encode(work, runID: run, compressAbove: .max).frames
            #expect(try WireCodec.decode(workFrames).message == work)
            #expect(workFrames.count == 5 && workFrames[4].isEmpty)   // parameters frame, empty state frame
            #expect(workFrames[1][12] == kind.wirePhase.rawValue)
            // Split byte: 0 (train) for λ, 1 (test) for the CNN, closed-form and time-stepped jobs.
            #expect(workFrames[1][13] == (kind == .lambda ? 0 : 1), "\(kind)")
            #expect(kind.wirePhase.split == (kind.readsTrainingSet ? .train : .test))
            var wrongSplit = workFrames
            wrongSplit[1][13] = kind == .lambda ? 1 : 0
            #expect(throws: WireError.self) { try WireCodec.decode(wrongSplit) }
            let result = Message.result(WorkResult(key: key, parameterVersion: 2, samples: 3, lossSum: 0, correct: 2, computeNanos: 9,
                                                   steps: 64, gradient: [], statistics: [4], counters: [1, 2, 3, 4], spikesPerLayer: [5, 6]))
            let frames = try WireCodec.encode(result, runID: run).frames
            #expect(try WireCodec.decode(frames).message == result)
            #expect(frames[1][12] == kind.wirePhase.rawValue)
            // WORK_FAILED reports conversion work keyed like its WORK.
            let failed = Message.workFailed(WorkFailed(key: key, parameterVersion: 2, reason: .computeError, detail: "x"))
            #expect(try WireCodec.decode(WireCodec.encode(failed, runID: run).frames).message == failed)
        }
        #expect(ConversionTaskKind(wirePhase: .train) == nil && ConversionTaskKind(wirePhase: .evaluate) == nil)
        #expect(WorkPhase.eccLambda.rawValue == 2 && WorkPhase.eccCNN.rawValue == 3 && WorkPhase.eccClosedForm.rawValue == 4
                && WorkPhase.eccTimeStepped.rawValue == 5)
        #expect(WorkPhase.train.split == .train && WorkPhase.evaluate.split == .test)
        #expect(!WorkPhase.train.isConversion && !WorkPhase.evaluate.isConversion
                && WorkPhase.allCases.filter(\.isConversion).count == 4)
    }
}
