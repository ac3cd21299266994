import Foundation
import SNNMethods
import SNNModel

/// The build identity workers must share with the coordinator: bit-identical results need the same engine
/// version, the same compiled kernel code (target CPU) and the same BLAS kernel family.
public enum BuildIdentity {
    public static let engineVersion = "snn-cluster 0.1"
    public static func current(blasCore: String) -> String {
        #if arch(x86_64)
        let arch = "x86_64"
        #else
        let arch = "arm64"
        #endif
        return "\(engineVersion) \(arch) blas:\(blasCore)"
    }

    /// One fingerprint for a run's data: both splits.
    public static func dataFingerprint(train: LabeledImages, test: LabeledImages) -> String {
        sha256Hex(Array((train.fingerprint + ":" + test.fingerprint).utf8).withUnsafeBytes { $0 })
    }
}
