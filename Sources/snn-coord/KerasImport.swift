import Foundation
import SNNCluster
import SNNInterchange
import SNNMethods

/// `convert --from MODEL.keras|MODEL.h5`: a Keras CNN read by `KerasModelFile`, folded for ECC.
enum KerasImport {
    static func cnn(path: String) throws -> (ECCNetwork, String) {
        let (layers, shape) = try KerasModelFile.read(path)
        do {
            return (try ECCNetwork.fold(layers, inputShape: shape), "keras \((path as NSString).lastPathComponent)")
        } catch {
            throw SetupError("\(path): \(error)")
        }
    }
}
