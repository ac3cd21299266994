/// A NIR file that cannot be read, or a network that cannot be exported or imported: one line naming the file,
/// node or layer and what to do.
public struct NIRError: Error, CustomStringConvertible, Sendable, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
