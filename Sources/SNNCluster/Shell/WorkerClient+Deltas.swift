/// Protocol 4's parameter deltas on the worker: a WORK whose parameters are the difference from a version this
/// worker holds becomes that version here, bit for bit, or is refused so that the coordinator sends full values.
extension WorkerClient {
    /// Why a delta was not applied.
    struct DeltaRefusal: Error, CustomStringConvertible {
        var description: String
    }

    /// Rebuilds version `version` from the held parameters and `d`; refused when this worker holds another base
    /// version (or none), or when the rebuilt values do not match the coordinator's checksum. A refusal forgets the
    /// held values: whatever this worker holds is no longer trusted.
    func applyDelta(_ d: ParameterDelta, version: Int) -> Result<Void, DeltaRefusal> {
        guard let held = parameters, UInt64(held.version) == d.baseVersion else {
            let holds = parameters.map { "version \($0.version)" } ?? "no parameters"
            return refuse("a delta against version \(d.baseVersion) for version \(version), but this worker holds \(holds)")
        }
        switch d.applied(to: held.values) {
        case .success(let values):
            parameters = (version, values)
            deltasApplied += 1
            return .success(())
        case .failure(let why):
            return refuse("the delta against version \(d.baseVersion) for version \(version) cannot be applied: \(why)")
        }
    }

    private func refuse(_ why: String) -> Result<Void, DeltaRefusal> {
        logger.warning("refused WORK parameters: \(why); asking for full values")
        parameters = nil
        deltasRefused += 1
        return .failure(DeltaRefusal(description: why))
    }
}
