/// A Keras model file that cannot be imported, in one line: the file, the layer when one is at fault, and why.
public struct KerasError: Error, CustomStringConvertible, Sendable, Equatable {
    public let description: String
    public init(_ file: String, _ message: String) { description = "\(file): \(message)" }
}
