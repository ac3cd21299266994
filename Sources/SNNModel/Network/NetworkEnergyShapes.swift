import SNNEnergy

extension Network {
    /// One `LayerShape` per layer (the ledger's layer order), for the energy model: sizes place weights and state
    /// in memory size classes, kinds price the equivalent ANN, the neuron model separates IF from LIF updates.
    public var energyShapes: [LayerShape] {
        layers.map { l in
            let inputs = Int64(l.inputShape.reduce(1, *)), outputs = Int64(l.outputShape.reduce(1, *))
            switch l {
            case let d as DenseLayer:
                return LayerShape(name: d.name, kind: .weighted, weights: Int64(d.parameterCount), inputs: inputs,
                                  outputs: outputs, annMACs: d.annMACsPerSample)
            case let c as ConvLayer:
                return LayerShape(name: c.name, kind: .weighted, weights: Int64(c.parameterCount), inputs: inputs,
                                  outputs: outputs, annMACs: c.annMACsPerSample)
            case let s as SpikingLayer:
                return LayerShape(name: s.name, kind: .spiking, inputs: inputs, outputs: outputs, leaky: s.neuron.leak != 1)
            case let s as DSRSpikingLayer:
                return LayerShape(name: s.name, kind: .spiking, inputs: inputs, outputs: outputs, leaky: s.neuron.model != .integrateAndFire)
            case let t as TTFSKernelLayer:
                // A TTFS neuron's potential follows an exponential kernel: priced as a leaky update.
                return LayerShape(name: t.name, kind: .spiking, inputs: inputs, outputs: outputs, leaky: true)
            case let b as BatchNormLayer:
                return LayerShape(name: b.name, kind: .batchNorm, weights: Int64(b.parameterCount), inputs: inputs,
                                  outputs: outputs, foldedAtInference: !b.perStep)
            case let p as PoolLayer:
                return LayerShape(name: p.name, kind: .pool, inputs: inputs, outputs: outputs)
            case let r as ReLULayer:
                return LayerShape(name: r.name, kind: .other, inputs: inputs, outputs: outputs, leaky: false)
            default:
                return LayerShape(name: l.name, kind: .other, inputs: inputs, outputs: outputs)
            }
        }
    }
}
