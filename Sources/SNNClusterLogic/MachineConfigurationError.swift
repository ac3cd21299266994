/// A setting of a state machine that cannot work, named with the fix (printed as one line by the shell).
public struct MachineConfigurationError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The setting at fault, as the user spells it (e.g. `deadAfter`).
    public var setting: String
    /// What is wrong and how to fix it.
    public var problem: String

    public init(setting: String, problem: String) {
        self.setting = setting
        self.problem = problem
    }

    public var description: String { "invalid setting \(setting): \(problem)" }
}
