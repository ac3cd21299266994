import Foundation
import Testing
import SNNCore

func runSoftmaxCE(_ logits: [Float], batch: Int, classes: Int, labels: [Int32],
                  scale: Float) -> (lossSum: Double, correct: Int, grad: [Float]) {
    var grad = [Float](repeating: .nan, count: logits.count)
    let r = softmaxCrossEntropy(logits: logits, batch: batch, classes: classes, labels: labels, scale: scale,
                                gradLogits: &grad)
    return (r.lossSum, r.correct, grad)
}

@Suite struct SoftmaxCrossEntropyTests {
    @Test func matchesReference() {
        let batch = 7, classes = 10
        let logits = randomFloats(batch * classes, in: -4...4, seed: 21)
        let labels: [Int32] = [0, 3, 9, 2, 2, 5, 7]
        let fast = runSoftmaxCE(logits, batch: batch, classes: classes, labels: labels, scale: 1 / 7)
        let slow = softmaxCrossEntropyReference(logits: logits, batch: batch, classes: classes, labels: labels, scale: 1 / 7)
        #expect(abs(fast.lossSum - slow.lossSum) < 1e-5)
        #expect(fast.correct == slow.correct)
        #expect(allClose(fast.grad, slow.gradLogits, rtol: 1e-5, atol: 1e-7))
    }

    @Test func uniformLogitsGiveLogK() {
        let fast = runSoftmaxCE([Float](repeating: 0.5, count: 2 * 4), batch: 2, classes: 4, labels: [1, 3], scale: 0.5)
        #expect(abs(fast.lossSum - 2 * log(4.0)) < 1e-6)
        #expect(allClose(fast.grad, [0.125, -0.375, 0.125, 0.125, 0.125, 0.125, 0.125, -0.375], rtol: 0, atol: 1e-7))
        #expect(fast.correct == 0)  // all tied → class 0 predicted
    }

    @Test func tiesPredictTheLowestIndex() {
        let logits: [Float] = [1, 3, 3, 3, 3, 1]
        #expect(runSoftmaxCE(logits, batch: 2, classes: 3, labels: [1, 0], scale: 1).correct == 2)
        #expect(runSoftmaxCE(logits, batch: 2, classes: 3, labels: [2, 1], scale: 1).correct == 0)
    }

    @Test func largeLogitsStayFinite() {
        let r = runSoftmaxCE([1000, 0, -1000], batch: 1, classes: 3, labels: [1], scale: 1)
        #expect(abs(r.lossSum - 1000) < 1e-3)
        #expect(r.grad == [1, -1, 0])
        let r2 = softmaxCrossEntropy(logits: [Float]([1000, 0, -1000]), batch: 1, classes: 3, labels: [Int32]([0]),
                                     scale: 1, gradLogits: nil)
        #expect(r2.correct == 1 && r2.lossSum < 1e-6)
    }

    /// The gradient with scale 1 is ∂(loss sum)/∂logits: compare with central differences of a double-precision loss.
    @Test func gradientAgreesWithFiniteDifferences() {
        let batch = 3, classes = 5
        let logits = randomFloats(batch * classes, in: -3...3, seed: 22)
        let labels: [Int32] = [4, 0, 2]
        let fast = runSoftmaxCE(logits, batch: batch, classes: classes, labels: labels, scale: 1)
        func loss(_ z: [Double]) -> Double {
            (0..<batch).reduce(0.0) { sum, b in
                let row = z[(b * classes)..<((b + 1) * classes)]
                return sum + log(row.map { exp($0) }.reduce(0, +)) - z[b * classes + Int(labels[b])]
            }
        }
        let z = logits.map(Double.init)
        #expect(abs(loss(z) - fast.lossSum) < 1e-5)
        let h = 1e-5
        for i in 0..<z.count {
            var plus = z, minus = z
            plus[i] += h
            minus[i] -= h
            let fd = (loss(plus) - loss(minus)) / (2 * h)
            #expect(abs(Double(fast.grad[i]) - fd) < 1e-5, "logit \(i): \(fast.grad[i]) vs \(fd)")
        }
    }
}
