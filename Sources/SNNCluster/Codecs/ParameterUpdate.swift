import SNNCore

/// One committed step's rounded update (run spec `training.communication.updateBits`), as WORK carries it to a worker
/// that holds the version before (parameters kind 3, protocol 6): per parameter the integer q of
/// `UpdateQuantization`, per block of 256 its exponent, the few parameters whose value is not old + q · 2^e (the
/// method's constraint moved them, or the optimizer's value was not finite) as exceptions with their bit pattern, and
/// the running state as a bit-exact delta (`ParameterDelta`).
///
/// Why: a bit-exact delta of one Adam or SGD step costs about 2.7 bytes per parameter on the wire because the low
/// mantissa bits of every parameter change at random. The rounded update has `updateBits` + 1 significant bits per
/// value, and the worker rebuilds the very bits the coordinator holds (one float addition per value, checked with
/// `ValuesChecksum` as a delta is).
public struct ParameterUpdate: Sendable, Equatable {
    /// The version the update applies to.
    public var baseVersion: UInt64
    /// ZigZag of q per parameter.
    public var codes: [UInt32]
    /// e + 149 per block of `BlockQuantization.block` parameters.
    public var exponents: [UInt8]
    /// Parameters set to `exceptionValues` after the update, ascending.
    public var exceptionIndices: [UInt32]
    /// Their IEEE-754 bit patterns.
    public var exceptionValues: [UInt32]
    /// ZigZag difference of the running state's bit patterns (as `ParameterDelta.state`).
    public var state: [UInt32]
    /// `ValuesChecksum` of the values the update leads to.
    public var checksum: UInt64

    public init(baseVersion: UInt64, codes: [UInt32], exponents: [UInt8], exceptionIndices: [UInt32],
                exceptionValues: [UInt32], state: [UInt32], checksum: UInt64) {
        self.baseVersion = baseVersion; self.codes = codes; self.exponents = exponents
        self.exceptionIndices = exceptionIndices; self.exceptionValues = exceptionValues; self.state = state
        self.checksum = checksum
    }

    /// The update from `before` to `after` whose parameters `rounded` made: exceptions are the parameters where
    /// `after` differs from what `rebuilt` gives (so applying this to `before` yields `after`, checksum included).
    public init(rounded: UpdateQuantization, from before: ModelValues, to after: ModelValues, baseVersion: UInt64) {
        var rebuilt = before.parameters
        let n = rebuilt.count
        rebuilt.withUnsafeMutableBufferPointer { rounded.rebuilt(from: $0.baseAddress!, count: n) }
        var indices: [UInt32] = [], values: [UInt32] = []
        for i in 0..<n where rebuilt[i].bitPattern != after.parameters[i].bitPattern {
            indices.append(UInt32(i)); values.append(after.parameters[i].bitPattern)
        }
        self.init(baseVersion: baseVersion, codes: rounded.codes, exponents: rounded.exponents, exceptionIndices: indices,
                  exceptionValues: values, state: ParameterDelta.differences(before.state, after.state),
                  checksum: ValuesChecksum.of(after))
    }

    /// Blocks of `BlockQuantization.block` for `parameters` values.
    public static func blocks(parameters: Int) -> Int { (parameters + BlockQuantization.block - 1) / BlockQuantization.block }

    /// `apply(to:)`'s failure, as a delta's.
    public typealias Failure = ParameterDelta.Failure

    /// `values` (the base) becomes the updated version, checked against `checksum`. On a failure `values` is left
    /// partly rebuilt and must be forgotten, as with a delta.
    public func apply(to values: inout ModelValues) -> Failure? {
        let n = values.parameters.count
        guard n == codes.count, values.state.count == state.count, exponents.count == Self.blocks(parameters: n),
              exceptionIndices.count == exceptionValues.count, exceptionIndices.allSatisfy({ Int($0) < n }) else {
            return .sizeMismatch(held: n + values.state.count, delta: codes.count + state.count)
        }
        values.parameters.withUnsafeMutableBufferPointer { UpdateQuantization(codes: codes, exponents: exponents).rebuilt(from: $0.baseAddress!, count: n) }
        for (i, bits) in zip(exceptionIndices, exceptionValues) { values.parameters[Int(i)] = Float(bitPattern: bits) }
        ParameterDelta.add(state, into: &values.state)
        let got = ValuesChecksum.of(values)
        return got == checksum ? nil : .checksumMismatch(expected: checksum, got: got)
    }
}
