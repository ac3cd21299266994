import Foundation
import SNNCore
import SNNEnergy
import SNNModel

/// The pieces of an ECC conversion that run on one micro-batch of given sample indices, for a cluster worker
/// (`snn-coord convert --workers N`), and the exact combinations the coordinator makes of them. Every piece runs
/// the same code as the in-process path on the same images, so sums of integers and maxima of floats combine to
/// the same totals whatever the partition.
extension ECCEvaluation {
    /// An evaluation assembled from combined micro-batch results (the coordinator's sum); `outputCounts` stay empty.
    public init(timesteps: Int, samples: Int, correct: Int, spikesPerLayer: [Int64], ledger: EventLedger) {
        self.init(timesteps: timesteps, samples: samples, correct: correct, spikesPerLayer: spikesPerLayer, outputCounts: [],
                  ledger: ledger)
    }
}

/// Closed form against time-stepped on the same images (METHODS §4.2 vs §4.4): how far the output-layer spike counts
/// of the two inference forms lie apart, image by image. Integer counts: shards add (and take the max of) exactly.
public struct ECCCountComparison: Sendable, Equatable {
    /// Images compared.
    public var images: Int64 = 0
    /// Images whose output-layer spike counts are identical in both forms (every class).
    public var identicalImages: Int64 = 0
    /// Σ over images and classes of |n_closed − n_stepped| (output layer).
    public var absoluteDifference: Int64 = 0
    /// The largest |n_closed − n_stepped| of any image and class.
    public var maxDifference: Int64 = 0
    /// Images whose predicted class (argmax, ties → lowest index) differs between the forms.
    public var classChanged: Int64 = 0

    public init() {}

    /// Compares `rows` images' output counts (`rows × columns`, row-major) of the two forms.
    public init(closed: [Float], stepped: [Float], rows: Int, columns: Int) {
        precondition(closed.count == rows * columns && stepped.count == rows * columns, "output counts of different shapes")
        let pc = argmaxRows(closed, rows: rows, columns: columns), ps = argmaxRows(stepped, rows: rows, columns: columns)
        images = Int64(rows)
        for r in 0..<rows {
            var same = true
            for c in 0..<columns {
                let d = Int64(abs(closed[r * columns + c] - stepped[r * columns + c]))
                if d != 0 { same = false }
                absoluteDifference += d
                maxDifference = max(maxDifference, d)
            }
            if same { identicalImages += 1 }
            if pc[r] != ps[r] { classChanged += 1 }
        }
    }

    /// The four summed counts in field order (the wire carries them like this; `maxDifference` travels apart, as a
    /// maximum).
    public var sums: [Int64] { [images, identicalImages, absoluteDifference, classChanged] }

    public init?(sums f: [Int64], maxDifference: Int64) {
        guard f.count == 4 else { return nil }
        images = f[0]; identicalImages = f[1]; absoluteDifference = f[2]; classChanged = f[3]
        self.maxDifference = maxDifference
    }

    public mutating func add(_ o: ECCCountComparison) {
        images += o.images; identicalImages += o.identicalImages; absoluteDifference += o.absoluteDifference
        maxDifference = max(maxDifference, o.maxDifference); classChanged += o.classChanged
    }

    /// Mean |Δ| per output neuron and image.
    public func meanDifference(classes: Int) -> Double {
        images == 0 ? 0 : Double(absoluteDifference) / Double(images * Int64(max(1, classes)))
    }
}

extension ECCInference {
    /// The images `indices` of `data` as a set of their own, in that order.
    public static func subset(_ data: LabeledImages, _ indices: [Int]) -> LabeledImages {
        let per = data.pixelsPerImage
        var pixels = [Float](); pixels.reserveCapacity(indices.count * per)
        for i in indices { pixels += data.pixels[(i * per)..<((i + 1) * per)] }
        return LabeledImages(count: indices.count, rows: data.rows, columns: data.columns, pixels: pixels,
                             labels: indices.map { data.labels[$0] }, fingerprint: "")
    }

    /// λ statistics of one micro-batch: the maximum of every activation point (§4.3 step 3), `layers + 1` values.
    public static func maxima(_ cnn: ECCNetwork, data: LabeledImages, indices: [Int]) -> [Float] {
        cnn.cnnForward(subset(data, indices).pixels, batch: indices.count).maxima
    }

    /// Correctly classified images of one micro-batch by the BN-folded CNN.
    public static func cnnCorrect(_ cnn: ECCNetwork, data: LabeledImages, indices: [Int]) -> Int {
        let s = subset(data, indices)
        let p = argmaxRows(cnn.cnnForward(s.pixels, batch: s.count).logits, rows: s.count, columns: cnn.classes)
        return (0..<s.count).filter { p[$0] == Int(s.labels[$0]) }.count
    }

    /// The CNN's inference events for `n` images: one MAC per synapse (exact at conv borders); they do not depend on
    /// the images, so the coordinator computes them itself.
    public static func cnnLedger(_ cnn: ECCNetwork, samples n: Int) -> EventLedger {
        var ledger = EventLedger(layerNames: cnn.names, timesteps: 1)
        for (i, l) in cnn.layers.enumerated() {
            var e = EventCounts()
            switch l {
            case let .conv(g, _, _):
                e.macs = Int64(g.validTaps()) * Int64(g.channels * g.outChannels) * Int64(n)
                e.weightReads = e.macs; e.synapticOps = Int64(g.outputSize * n)
            case let .dense(i, o, _, _):
                e.macs = Int64(i * o * n); e.weightReads = e.macs; e.synapticOps = Int64(o * n)
            case .avgPool(let size, _):
                e.synapticOps = Int64(l.outputCount * size * size * n)
            case .flatten: break
            }
            ledger.record(.inference, layer: i, t: 0, e)
        }
        return ledger
    }

    /// Closed form (§4.2) on the images `indices`, as one micro-batch.
    public static func closedForm(_ snn: ConvertedSNN, data: LabeledImages, indices: [Int], timesteps: Int,
                                  thresholding h: Float) -> ECCEvaluation {
        let s = subset(data, indices)
        return closedForm(snn, data: s, timesteps: timesteps, thresholding: h, microBatch: max(1, s.count), executors: 1)
    }

    /// Time-stepped IF simulation (§4.4) on the images `indices`, and its output counts compared with the closed form's
    /// on the same images.
    public static func timeStepped(_ snn: ConvertedSNN, data: LabeledImages, indices: [Int], timesteps: Int,
                                   thresholding h: Float) -> (ECCEvaluation, ECCCountComparison) {
        let s = subset(data, indices)
        let step = timeStepped(snn, data: s, timesteps: timesteps, thresholding: h, microBatch: max(1, s.count), executors: 1)
        let closed = closedForm(snn, data: s, timesteps: timesteps, thresholding: h, microBatch: max(1, s.count), executors: 1)
        return (step, ECCCountComparison(closed: closed.outputCounts, stepped: step.outputCounts, rows: s.count,
                                         columns: snn.network.classes))
    }
}
