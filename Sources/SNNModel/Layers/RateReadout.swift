/// A last layer that computes the `rate` readout itself, because its rate is not the plain mean of its outputs
/// (DSR's LIF weights the steps by β, METHODS §2.2). The network asks the layer instead of knowing which kind it is.
public protocol RateReadout: Layer {
    /// The logits `[batch·features]` from the layer's outputs over all steps.
    func rate(_ y: Activation) -> [Float]
    /// The gradient of `rate` with respect to the outputs of every step.
    func rateBackward(_ gradRate: [Float], like y: Activation) -> Activation
}

extension DSRSpikingLayer: RateReadout {}
