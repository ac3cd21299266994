import SNNCore
import SNNModel
import SNNMethods

/// The `Network` a run spec builds, for its parameter layout: each layer's offset in the flat parameter and state
/// vectors (`MethodFactory.networkConfig`, with its errors as `NIRError`).
enum SpecNetwork {
    static func config(_ spec: RunSpec) throws -> NetworkConfig {
        do { return try MethodFactory.networkConfig(spec) } catch { throw NIRError(error.description) }
    }

    static func network(_ spec: RunSpec) throws -> Network { Network(try config(spec)) }
}
