import Foundation

/// Softmax cross-entropy loss over a batch of logits, with its gradient and the count of correct predictions.
///
/// Logits are `[batch, classes]`. Per sample the loss is `log Σ_k e^{z_k} − z_label`, computed after subtracting the
/// row maximum (no overflow); the exponentials are summed in double. `gradLogits` (if given) is overwritten with
/// `(softmax − onehot(label))·scale` — pass `scale = 1/globalBatch` so that data-parallel shards' gradients add up
/// to the gradient of the mean loss. Returns the SUM of per-sample losses (divide by the batch yourself, after
/// reducing across shards) and how many argmax predictions (ties → lowest index) equal the label.
public func softmaxCrossEntropy(logits: UnsafePointer<Float>, batch: Int, classes: Int, labels: UnsafePointer<Int32>,
                                scale: Float, gradLogits: UnsafeMutablePointer<Float>?) -> (lossSum: Double, correct: Int) {
    precondition(classes > 0 && batch >= 0)
    var lossSum = 0.0
    var correct = 0
    for b in 0..<batch {
        let z = logits + b * classes
        let label = Int(labels[b])
        precondition(label >= 0 && label < classes, "label \(label) outside 0..<\(classes)")
        var best = 0
        for k in 1..<max(classes, 1) where z[k] > z[best] { best = k }
        if best == label { correct += 1 }
        let top = z[best]
        var sum = 0.0
        for k in 0..<classes { sum += Double(Foundation.exp(z[k] - top)) }
        lossSum += Foundation.log(sum) - Double(z[label] - top)
        if let gradLogits {
            let g = gradLogits + b * classes
            let inverse = 1 / sum
            for k in 0..<classes {
                let p = Float(Double(Foundation.exp(z[k] - top)) * inverse)
                g[k] = (p - (k == label ? 1 : 0)) * scale
            }
        }
    }
    return (lossSum, correct)
}

/// `softmaxCrossEntropy` on arrays, in double precision throughout: returns the loss sum, the correct count and the
/// gradient `(softmax − onehot)·scale`.
public func softmaxCrossEntropyReference(logits: [Float], batch: Int, classes: Int, labels: [Int32],
                                         scale: Float) -> (lossSum: Double, correct: Int, gradLogits: [Float]) {
    var lossSum = 0.0
    var correct = 0
    var grad = [Float](repeating: 0, count: batch * classes)
    for b in 0..<batch {
        let z = (0..<classes).map { Double(logits[b * classes + $0]) }
        let label = Int(labels[b])
        let prediction = z.firstIndex(of: z.max()!)!
        if prediction == label { correct += 1 }
        let denominator = z.map { Foundation.exp($0) }.reduce(0, +)
        lossSum += -Foundation.log(Foundation.exp(z[label]) / denominator)
        for k in 0..<classes {
            grad[b * classes + k] = Float((Foundation.exp(z[k]) / denominator - (k == label ? 1 : 0)) * Double(scale))
        }
    }
    return (lossSum, correct, grad)
}
