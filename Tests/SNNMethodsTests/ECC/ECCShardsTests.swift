import Testing
import SNNCore
import SNNEnergy
import SNNModel
import SNNMethods

/// The per-micro-batch pieces a conversion worker runs (`ECCShards.swift`): over any partition of the images, the
/// maxima combine by MAX to the whole set's λ and the correct counts, spikes and event ledgers add up to the whole
/// set's evaluation (oracle: the in-process functions on all images at once).
@Suite struct ECCShardsTests {
    static let cnn = ECCInferenceTests.randomCNN(seed: 11)
    static let data = ECCInferenceTests.randomImages(37, seed: 12)
    /// An uneven partition, out of order.
    static let parts: [[Int]] = [Array(20..<37), Array(0..<7), Array(7..<20)]

    @Test func maximaOfAnyPartitionCombineToTheWholeSetsLambda() {
        let whole = ECCConversion.lambdas(Self.cnn, data: Self.data, microBatch: 37)
        var combined = [Float](repeating: -.infinity, count: whole.count)
        for p in Self.parts { combined = ECCConversion.combineMax(combined, ECCInference.maxima(Self.cnn, data: Self.data, indices: p)) }
        #expect(combined == whole)
    }

    @Test func cnnCorrectCountsAddUpAndTheLedgerDependsOnlyOnTheCount() {
        let whole = ECCInference.cnn(Self.cnn, data: Self.data)
        let correct = Self.parts.map { ECCInference.cnnCorrect(Self.cnn, data: Self.data, indices: $0) }.reduce(0, +)
        #expect(Double(correct) / 37 == whole.accuracy)
        #expect(ECCInference.cnnLedger(Self.cnn, samples: 37) == whole.ledger)
    }

    @Test(arguments: [4, 16])
    func inferenceOfAnyPartitionAddsUpToTheWholeSet(timesteps T: Int) {
        let snn = ECCConversion.convert(Self.cnn, lambdas: ECCConversion.lambdas(Self.cnn, data: Self.data), kappa: 100)
        let closed = ECCInference.closedForm(snn, data: Self.data, timesteps: T, thresholding: 0.5)
        let stepped = ECCInference.timeStepped(snn, data: Self.data, timesteps: T, thresholding: 0.5)
        var sumClosed = ECCEvaluation(timesteps: T, samples: 0, correct: 0, spikesPerLayer: [Int64](repeating: 0, count: 5),
                                      ledger: EventLedger(layerNames: snn.network.names, timesteps: T))
        var sumStepped = sumClosed
        var comparison = ECCCountComparison()
        for p in Self.parts {
            sumClosed.add(ECCInference.closedForm(snn, data: Self.data, indices: p, timesteps: T, thresholding: 0.5))
            let (s, c) = ECCInference.timeStepped(snn, data: Self.data, indices: p, timesteps: T, thresholding: 0.5)
            sumStepped.add(s); comparison.add(c)
        }
        for (part, whole) in [(sumClosed, closed), (sumStepped, stepped)] {
            #expect(part.samples == whole.samples && part.correct == whole.correct)
            #expect(part.spikesPerLayer == whole.spikesPerLayer)
            #expect(part.ledger == whole.ledger)
        }
        // The comparison of the parts is the comparison of the whole set's output counts.
        #expect(comparison == ECCCountComparison(closed: closed.outputCounts, stepped: stepped.outputCounts, rows: 37, columns: 3))
    }

    /// Hand-counted: image 0 differs by 1 in one class (same class), image 1 is identical, image 2 changes class
    /// (counts 3,1 vs 1,4: |Δ| 2 and 3).
    @Test func countComparisonByHand() {
        let c = ECCCountComparison(closed: [3, 1, 2, 2, 3, 1], stepped: [2, 1, 2, 2, 1, 4], rows: 3, columns: 2)
        #expect(c.images == 3 && c.identicalImages == 1 && c.absoluteDifference == 6 && c.maxDifference == 3 && c.classChanged == 1)
        #expect(c.meanDifference(classes: 2) == 1)
        let back = ECCCountComparison(sums: c.sums, maxDifference: c.maxDifference)
        #expect(back == c)
        var twice = c; twice.add(c)
        #expect(twice.images == 6 && twice.absoluteDifference == 12 && twice.maxDifference == 3)
    }
}
