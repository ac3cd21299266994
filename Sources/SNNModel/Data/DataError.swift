/// A dataset that cannot be used, said in one line that names the file and the fix.
///
/// The executables print `description` and exit non-zero; it never contains a newline.
public struct DataError: Error, CustomStringConvertible, Sendable, Equatable {
    public let description: String

    public init(_ description: String) {
        self.description = description.split(whereSeparator: \.isNewline).joined(separator: " ")
    }

    /// The hint every "not found" error ends with.
    static let installHint =
        "Install Fashion-MNIST with `apt-get install dataset-fashion-mnist` or pass --data DIR "
        + "(a directory holding train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, "
        + "t10k-images-idx3-ubyte.gz and t10k-labels-idx1-ubyte.gz, gzipped or not)"
}
