import SNNCluster
import SNNMethods

/// Placeholder until the Keras reader lands (see KerasImport in SNNInterchange).
enum KerasImport {
    static func cnn(path: String) throws -> (ECCNetwork, String) {
        throw SetupError("--from \(path): Keras import is not available in this build")
    }
}
