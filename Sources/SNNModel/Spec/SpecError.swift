/// A run spec that cannot be used, said in one line:
/// `spec FILE: FIELD.PATH: what is wrong; how to fix`.
///
/// `path` is dotted and indexed the way the JSON is written (`layers[3].type`, `training.optimizer.lr`);
/// it is empty for problems of the whole file (unreadable, invalid JSON).
public struct SpecError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The spec file, when the spec came from one (set by `RunSpec.load` / `RunSpec.decode`).
    public var source: String?
    /// Where in the spec the problem is, e.g. `layers[2].kernel`.
    public var path: String
    /// What is wrong and how to fix it.
    public var message: String

    public init(source: String? = nil, path: String, _ message: String) {
        self.source = source
        self.path = path
        self.message = message.split(whereSeparator: \.isNewline).joined(separator: " ")
    }

    public var description: String {
        let file = source.map { "spec \($0)" } ?? "spec"
        return path.isEmpty ? "\(file): \(message)" : "\(file): \(path): \(message)"
    }

    /// The same error attributed to `source` (keeps an existing attribution).
    func from(_ source: String) -> SpecError {
        var copy = self
        if copy.source == nil { copy.source = source }
        return copy
    }
}
