/// Protocol 4's parameter deltas and protocol 6's rounded updates on the worker: a WORK whose parameters are the change
/// from a version this worker holds becomes that version here, bit for bit, or is refused so that the coordinator sends
/// full values.
extension WorkerClient {
    /// Why a delta was not applied.
    struct DeltaRefusal: Error, CustomStringConvertible {
        var description: String
    }

    /// Rebuilds version `version` from the held parameters and `d`; refused when this worker holds another base
    /// version (or none), or when the rebuilt values do not match the coordinator's checksum. A refusal forgets the
    /// held values: whatever this worker holds is no longer trusted.
    func applyDelta(_ d: ParameterDelta, version: Int) -> Result<Void, DeltaRefusal> {
        let r = rebuild(version: version, from: d.baseVersion, what: "delta", apply: d.apply(to:))
        if case .success = r { deltasApplied += 1 }
        return r
    }

    /// Rebuilds version `version` from the held parameters and the rounded update `u` (protocol 6); refused as a delta
    /// is (another held version, or a checksum mismatch).
    func applyUpdate(_ u: ParameterUpdate, version: Int) -> Result<Void, DeltaRefusal> {
        let r = rebuild(version: version, from: u.baseVersion, what: "update", apply: u.apply(to:))
        if case .success = r { updatesApplied += 1 }
        return r
    }

    /// The shared rebuild: `apply` (a delta's or an update's) run on the held values of version `base`, in place.
    private func rebuild(version: Int, from base: UInt64, what: String,
                         apply: (inout ModelValues) -> ParameterDelta.Failure?) -> Result<Void, DeltaRefusal> {
        guard let heldVersion = parameters?.version, UInt64(heldVersion) == base, var values = parameters?.values else {
            let holds = parameters.map { "version \($0.version)" } ?? "no parameters"
            return refuse("a \(what) from version \(base) for version \(version), but this worker holds \(holds)")
        }
        // Rebuilt in place: the held values are let go first, so the rebuild writes over them instead of copying them
        // (a computation still reading them keeps its own copy: copy on write).
        parameters = nil
        if let why = apply(&values) {
            return refuse("the \(what) from version \(base) for version \(version) cannot be applied: \(why)")
        }
        parameters = (version, values)
        return .success(())
    }

    private func refuse(_ why: String) -> Result<Void, DeltaRefusal> {
        logger.warning("refused WORK parameters: \(why); asking for full values")
        parameters = nil
        deltasRefused += 1
        return .failure(DeltaRefusal(description: why))
    }
}
