import SNNEnergy

extension ECCNetwork {
    /// One `LayerShape` per layer (the ECC ledger's layer order) for the energy model. In the converted SNN every
    /// layer but `flatten` holds IF neurons, so a layer's shape covers both its synapses and its neurons (`leaky`
    /// false); the ANN side is the BN-folded CNN (MACs over the valid taps only: padding taps are not counted).
    public var energyShapes: [LayerShape] {
        var inputs = Int64(inputCount)
        return zip(layers, names).map { layer, name in
            defer { inputs = Int64(layer.outputCount) }
            let outputs = Int64(layer.outputCount)
            switch layer {
            case let .conv(g, weights, bias):
                return LayerShape(name: name, kind: .weighted, weights: Int64(weights.count + bias.count), inputs: inputs,
                                  outputs: outputs, annMACs: Int64(g.validTaps()) * Int64(g.channels * g.outChannels), leaky: false)
            case let .dense(i, o, weights, bias):
                return LayerShape(name: name, kind: .weighted, weights: Int64(weights.count + bias.count), inputs: inputs,
                                  outputs: outputs, annMACs: Int64(i * o), leaky: false)
            case .avgPool:
                return LayerShape(name: name, kind: .pool, inputs: inputs, outputs: outputs, leaky: false)
            case .flatten:
                return LayerShape(name: name, kind: .other, inputs: inputs, outputs: outputs, leaky: false)
            }
        }
    }
}
