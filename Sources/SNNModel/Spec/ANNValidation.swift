/// The checks a non-spiking `ann` run (the source CNN of ECC conversion, METHODS §4.3) adds to `validate()`.
extension RunSpec {
    func validateANN() throws {
        try Self.check(timesteps == 1, "timesteps", "method ann has no time axis; set \"timesteps\": 1 (got \(timesteps))")
        try Self.check(input.encoding == .direct, "input.encoding", "method ann takes the image itself; use \"direct\"")
        try Self.check(output.readout == .meanPotential, "output.readout",
                       "method ann reads out the last dense layer's logits; use \"mean-potential\"")
        for (i, layer) in layers.enumerated() {
            if case .spiking = layer {
                throw SpecError(path: "layers[\(i)]", "method ann has no spiking layers; use {\"type\":\"relu\"}")
            }
            if case .batchNorm(let bn) = layer, bn.perStep {
                throw SpecError(path: "layers[\(i)].perStep", "method ann has one time step; set \"perStep\": false")
            }
        }
    }
}
