/// The difference between two parameter versions, exact to the bit: for each value, the ZigZag of the wrapping
/// difference of the IEEE-754 bit patterns, `zigzag32(Int32(bitPattern: new &- base))` (PROTOCOL.md §5 WORK).
///
/// Why this and not the floats: one optimizer step changes the low ~17–20 mantissa bits of almost every parameter
/// and leaves sign and exponent alone, so the difference is a small integer of either sign; ZigZag makes its high
/// bits zero whatever the sign, and the bit shuffle (filter 12) turns those zero bits into runs LZ4 removes.
/// Measured on real consecutive versions (w2-conv, Adam; bntt-fmnist, SGD + momentum), with bit shuffle + LZ4:
/// 0.67–0.75 of the raw bytes, against 0.73–0.80 for an XOR of the bits and 0.90–0.92 for the full floats with the
/// byte shuffle of protocol 3. The worker adds the differences back to the version it holds and checks the
/// result against `ValuesChecksum` before computing anything with it.
public struct ParameterDelta: Sendable, Equatable {
    /// The version the differences are taken against (the worker must hold exactly that one).
    public var baseVersion: UInt64
    /// One ZigZag difference per parameter.
    public var parameters: [UInt32]
    /// One ZigZag difference per running-state value.
    public var state: [UInt32]
    /// `ValuesChecksum` of the values the differences lead to.
    public var checksum: UInt64

    public init(baseVersion: UInt64, parameters: [UInt32], state: [UInt32], checksum: UInt64) {
        self.baseVersion = baseVersion; self.parameters = parameters; self.state = state; self.checksum = checksum
    }

    /// The delta from `base` (version `baseVersion`) to `target`; nil when their sizes differ.
    public init?(from base: ModelValues, to target: ModelValues, baseVersion: UInt64, checksum: UInt64? = nil) {
        guard base.parameters.count == target.parameters.count, base.state.count == target.state.count else { return nil }
        self.init(baseVersion: baseVersion, parameters: Self.differences(base.parameters, target.parameters),
                  state: Self.differences(base.state, target.state), checksum: checksum ?? ValuesChecksum.of(target))
    }

    /// Why a delta could not be applied.
    public enum Failure: Error, Equatable, CustomStringConvertible {
        /// The held values have another size than the delta.
        case sizeMismatch(held: Int, delta: Int)
        /// The rebuilt values do not match the checksum (the base was not the version named).
        case checksumMismatch(expected: UInt64, got: UInt64)

        public var description: String {
            switch self {
            case let .sizeMismatch(held, delta): "the delta has \(delta) values, the held version \(held)"
            case let .checksumMismatch(expected, got):
                "the rebuilt parameters have checksum \(String(got, radix: 16)), the coordinator's \(String(expected, radix: 16))"
            }
        }
    }

    /// `base` with the differences added back, checked against `checksum`.
    public func applied(to base: ModelValues) -> Result<ModelValues, Failure> {
        guard base.parameters.count == parameters.count, base.state.count == state.count else {
            return .failure(.sizeMismatch(held: base.parameters.count + base.state.count, delta: parameters.count + state.count))
        }
        let rebuilt = ModelValues(parameters: Self.added(base.parameters, parameters), state: Self.added(base.state, state))
        let got = ValuesChecksum.of(rebuilt)
        return got == checksum ? .success(rebuilt) : .failure(.checksumMismatch(expected: checksum, got: got))
    }

    /// `applied(to:)` in place: `values` (the base) becomes the rebuilt version, without a second copy of it when the
    /// caller holds the only reference (the worker: issue 11 item 3). On a failure `values` is left partly rebuilt and
    /// must be forgotten (the worker does: a refused delta drops what it holds).
    public func apply(to values: inout ModelValues) -> Failure? {
        guard values.parameters.count == parameters.count, values.state.count == state.count else {
            return .sizeMismatch(held: values.parameters.count + values.state.count, delta: parameters.count + state.count)
        }
        Self.add(parameters, into: &values.parameters)
        Self.add(state, into: &values.state)
        let got = ValuesChecksum.of(values)
        return got == checksum ? nil : .checksumMismatch(expected: checksum, got: got)
    }

    /// `base + unzigzag(d)` on the bit patterns, in place.
    static func add(_ differences: [UInt32], into base: inout [Float]) {
        precondition(base.count == differences.count)
        base.withUnsafeMutableBufferPointer { b in
            differences.withUnsafeBufferPointer { z in
                for i in 0..<b.count {
                    let d = (z[i] >> 1) ^ (0 &- (z[i] & 1))
                    b[i] = Float(bitPattern: b[i].bitPattern &+ d)
                }
            }
        }
    }

    /// `zigzag32(new − base)` of the bit patterns, element by element.
    public static func differences(_ base: [Float], _ target: [Float]) -> [UInt32] {
        precondition(base.count == target.count)
        return [UInt32](unsafeUninitializedCapacity: base.count) { out, initialized in
            base.withUnsafeBufferPointer { b in
                target.withUnsafeBufferPointer { t in
                    for i in 0..<b.count {
                        let d = Int32(bitPattern: t[i].bitPattern &- b[i].bitPattern)
                        out[i] = UInt32(bitPattern: (d << 1) ^ (d >> 31))
                    }
                }
            }
            initialized = base.count
        }
    }

    /// The inverse of `differences`: `base + unzigzag(d)` on the bit patterns.
    public static func added(_ base: [Float], _ differences: [UInt32]) -> [Float] {
        precondition(base.count == differences.count)
        return [Float](unsafeUninitializedCapacity: base.count) { out, initialized in
            base.withUnsafeBufferPointer { b in
                differences.withUnsafeBufferPointer { z in
                    for i in 0..<b.count {
                        let d = (z[i] >> 1) ^ (0 &- (z[i] & 1))
                        out[i] = Float(bitPattern: b[i].bitPattern &+ d)
                    }
                }
            }
            initialized = base.count
        }
    }
}
