import SNNCore
import SNNMethods

extension MicroBatchResult {
    /// The gradient rounded to `bits` significant bits per block (run spec `training.communication.gradientBits`;
    /// nil, or an evaluation's empty gradient: unchanged). The one rounding the worker's compute slot, the standalone
    /// trainer's executor and `TrainingSession.commit(_:)` all apply, on the thread that computed the micro-batch.
    mutating func roundGradient(bits: Int?) {
        if let bits, !gradient.isEmpty { GradientQuantization.round(&gradient, bits: bits) }
    }
}
