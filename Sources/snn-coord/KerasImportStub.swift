import SNNCluster
import SNNMethods

/// Placeholder until the Keras reader lands (see KerasImport in SNNInterchange).
enum KerasImport {
    static func cnn(path: String) throws -> (ECCNetwork, String) {
        throw SetupError("--from \(path): Keras import (.keras/.h5) is not implemented yet; train the CNN with method \"ann\" and convert its checkpoint")
    }
}
