/// The coordinator shell's memory of recent parameter versions, for WORK deltas (protocol 4): the values of the
/// current version and the one before it (the only base `CoordinatorMachine` takes a delta against), and the last
/// delta computed, so every worker that needs the same (base, target) pair shares one computation.
///
/// Values are stored as the session's arrays (copy on write: the optimizer's next in-place update copies once).
struct ParameterVersions {
    private var values: [Int: ModelValues] = [:]
    private var checksums: [Int: UInt64] = [:]
    private var lastDelta: (base: Int, target: Int, delta: ParameterDelta)?

    /// Records `v` as version `version` (no-op when known); keeps the two newest versions.
    mutating func remember(_ version: Int, _ v: @autoclosure () -> ModelValues) {
        guard values[version] == nil else { return }
        values[version] = v()
        for old in values.keys.sorted().dropLast(2) { values[old] = nil; checksums[old] = nil }
    }

    /// The values of `version`, if remembered.
    func values(_ version: Int) -> ModelValues? { values[version] }

    /// The delta from `base` to `target`, or nil when either is not remembered (the caller sends full values then).
    mutating func delta(from base: Int, to target: Int) -> ParameterDelta? {
        if let d = lastDelta, d.base == base, d.target == target { return d.delta }
        guard let b = values[base], let t = values[target] else { return nil }
        let checksum = checksums[target] ?? ValuesChecksum.of(t)
        checksums[target] = checksum
        guard let d = ParameterDelta(from: b, to: t, baseVersion: UInt64(base), checksum: checksum) else { return nil }
        lastDelta = (base, target, d)
        return d
    }
}
