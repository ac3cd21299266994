/// A profile file that cannot be used, or a profile that cannot be found. `description` is one line that names
/// the file and the field (or the profile and the known names) so a user can fix it without a stack trace.
public struct ProfileError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The file (or directory) involved; empty when none.
    public var file: String
    /// Dotted path of the offending field (e.g. "terms.mac.pJ"); empty when the whole file is at fault.
    public var field: String
    public var problem: String

    public init(file: String, field: String, problem: String) {
        self.file = file; self.field = field; self.problem = problem
    }

    public var description: String {
        var s = "energy profile"
        if !file.isEmpty { s += " file '\(file)'" }
        if !field.isEmpty { s += ": field '\(field)'" }
        return s + ": " + problem
    }
}
