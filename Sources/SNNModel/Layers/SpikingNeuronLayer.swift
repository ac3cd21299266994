/// A layer of neurons that emit spikes at every simulated step (BPTT's `SpikingLayer`, DSR's `DSRSpikingLayer`):
/// the layers spike rasters record and the non-spiking methods (ANN, the TTFS surrogate) refuse. Callers ask for
/// this protocol instead of listing the layer kinds.
public protocol SpikingNeuronLayer: Layer {}

extension SpikingLayer: SpikingNeuronLayer {}
extension DSRSpikingLayer: SpikingNeuronLayer {}
