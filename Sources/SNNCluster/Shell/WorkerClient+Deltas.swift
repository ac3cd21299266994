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
        guard let heldVersion = parameters?.version, UInt64(heldVersion) == d.baseVersion, var values = parameters?.values else {
            let holds = parameters.map { "version \($0.version)" } ?? "no parameters"
            return refuse("a delta against version \(d.baseVersion) for version \(version), but this worker holds \(holds)")
        }
        // Rebuilt in place: the held values are let go first, so the rebuild writes over them instead of copying them
        // (a computation still reading them keeps its own copy: copy on write).
        parameters = nil
        if let why = d.apply(to: &values) {
            return refuse("the delta against version \(d.baseVersion) for version \(version) cannot be applied: \(why)")
        }
        parameters = (version, values)
        deltasApplied += 1
        return .success(())
    }

    /// Rebuilds version `version` from the held parameters and the rounded update `u` (protocol 6); refused as a delta
    /// is (another held version, or a checksum mismatch).
    func applyUpdate(_ u: ParameterUpdate, version: Int) -> Result<Void, DeltaRefusal> {
        guard let heldVersion = parameters?.version, UInt64(heldVersion) == u.baseVersion, var values = parameters?.values else {
            let holds = parameters.map { "version \($0.version)" } ?? "no parameters"
            return refuse("an update from version \(u.baseVersion) for version \(version), but this worker holds \(holds)")
        }
        parameters = nil
        if let why = u.apply(to: &values) {
            return refuse("the update from version \(u.baseVersion) for version \(version) cannot be applied: \(why)")
        }
        parameters = (version, values)
        updatesApplied += 1
        return .success(())
    }

    private func refuse(_ why: String) -> Result<Void, DeltaRefusal> {
        logger.warning("refused WORK parameters: \(why); asking for full values")
        parameters = nil
        deltasRefused += 1
        return .failure(DeltaRefusal(description: why))
    }
}
