import Testing
import SNNClusterLogic

/// The conversion jobs as pure values (`SNNClusterLogic/ConversionJob.swift`): how they are cut, named and combined.
@Suite struct LogicConversionJobTests {
    @Test func jobsAreCutIntoConsecutiveMicroBatchesLikeTheInProcessPath() {
        #expect(ConversionTask.consecutive(samples: 250, size: 100) == [Array(0..<100), Array(100..<200), Array(200..<250)])
        #expect(ConversionTask.consecutive(samples: 0, size: 100).isEmpty)
        let stepped = ConversionTask(kind: .timeStepped, timesteps: 64, samples: 60)
        #expect(stepped.microBatches.map(\.count) == [25, 25, 10] && stepped.samples == 60 && stepped.wireStep == 64)
        #expect(ConversionTask(kind: .lambda, samples: 300).microBatches.count == 3)
    }

    @Test func lambdaIsTheOneTrainingStepAndTheOthersAreEvaluations() {
        #expect(ConversionTask(kind: .lambda, samples: 1).job(index: 1) == JobID(epoch: 1, step: 0, phase: .train))
        for kind in [ConversionTaskKind.cnn, .closedForm, .timeStepped] {
            #expect(ConversionTask(kind: kind, timesteps: 8, samples: 1).job(index: 4) == JobID(epoch: 4, step: 0, phase: .evaluate))
        }
        #expect(ConversionTask(kind: .cnn, timesteps: 8, samples: 1).wireStep == 0)
        #expect(ConversionTaskKind.lambda.readsTrainingSet && !ConversionTaskKind.closedForm.readsTrainingSet)
    }

    /// Oracle: a scalar max and sums over all parts; the combination is the same in every order of the parts.
    @Test func combineTakesAnExactMaxAndIntegerSumsInAnyOrder() {
        var rng = SystemRandomNumberGenerator()
        let parts = (0..<7).map { i in
            ConversionContribution(maxima: (0..<5).map { _ in Float.random(in: -3...3, using: &rng) }, samples: 10 + i, correct: i,
                                   spikes: (0..<4).map { _ in Int64.random(in: 0...1_000_000, using: &rng) },
                                   counters: (0..<9).map { _ in Int64.random(in: 0...(1 << 40), using: &rng) })
        }
        let want = ConversionContribution(maxima: (0..<5).map { j in parts.map { $0.maxima[j] }.max()! },
                                          samples: parts.map(\.samples).reduce(0, +), correct: parts.map(\.correct).reduce(0, +),
                                          spikes: (0..<4).map { j in parts.map { $0.spikes[j] }.reduce(0, +) },
                                          counters: (0..<9).map { j in parts.map { $0.counters[j] }.reduce(0, +) })
        for _ in 0..<20 { #expect(ConversionContribution.combine(parts.shuffled(using: &rng)) == want) }
        #expect(ConversionContribution.combine([]) == nil)
        #expect(ConversionContribution.combine([parts[0], ConversionContribution(maxima: [1], samples: 1)]) == nil)
    }
}
