import Foundation

/// Where a model's weights are, in the two layouts Keras writes.
///
/// - Keras 3 `model.weights.h5` (inside a `.keras` zip): one group per layer under `layers/`, named not by the
///   layer's own name but by its class in snake case with a counter per class in model order (`conv2d`,
///   `conv2d_1`, `re_lu`, `batch_normalization_1`, …), holding the variables as datasets `vars/0`, `vars/1`, … in
///   the layer's creation order (Conv2D/Dense: kernel, bias; BatchNormalization: gamma, beta, moving mean,
///   moving variance, each of gamma/beta only when `scale`/`center`).
/// - Legacy `.h5`: `model_weights/<layer name>` with attribute `weight_names` (paths relative to that group,
///   ending in `kernel`, `bias`, `gamma`, `beta`, `moving_mean`, `moving_variance`).
struct KerasWeights {
    enum Layout { case keras3, legacy }
    let file: String
    let root: HDF5Group
    let layout: Layout
    /// Keras 3 group names by position in the layer list (nil for the input layer).
    private var keras3Names: [String?] = []

    init(file: String, root: HDF5Group, layout: Layout, classNames: [String]) {
        self.file = file; self.root = root; self.layout = layout
        var counts: [String: Int] = [:]
        keras3Names = classNames.map { cls in
            guard cls != "InputLayer" else { return nil }
            let base = Self.snakeCase(cls)
            let n = counts[base, default: 0]
            counts[base] = n + 1
            return n == 0 ? base : "\(base)_\(n)"
        }
    }

    /// Keras's `naming.to_snake_case`.
    static func snakeCase(_ s: String) -> String {
        var t = s.filter { $0.isLetter || $0.isNumber || $0 == "_" }
        t = t.replacingOccurrences(of: "(.)([A-Z][a-z]+)", with: "$1_$2", options: .regularExpression)
        t = t.replacingOccurrences(of: "([a-z])([A-Z])", with: "$1_$2", options: .regularExpression)
        return t.lowercased()
    }

    /// The named variables of layer `index` (`kernel`, `bias`, `gamma`, `beta`, `moving_mean`, `moving_variance`),
    /// with their shapes; `order` says which names the Keras 3 layout's `vars/i` stand for.
    func variables(layer index: Int, name: String, order: [String]) throws -> [String: HDF5Array<Float>] {
        var out: [String: HDF5Array<Float>] = [:]
        switch layout {
        case .keras3:
            guard let group = keras3Names[index], root.contains("layers/\(group)/vars") else {
                let have = (try? root.openGroup("layers").memberNames().joined(separator: ", ")) ?? "none"
                throw KerasError(file, "layer \(name): its weights (layers/\(keras3Names[index] ?? "?")/vars) are missing from model.weights.h5 (groups: \(have))")
            }
            let vars = try root.openGroup("layers/\(group)/vars")
            let count = try vars.memberNames().count
            guard count == order.count else {
                throw KerasError(file, "layer \(name): model.weights.h5 holds \(count) variables, expected \(order.count) (\(order.joined(separator: ", ")))")
            }
            for (i, v) in order.enumerated() { out[v] = try vars.readDataset("\(i)", as: Float.self) }
        case .legacy:
            guard root.contains("model_weights/\(name)") else { throw KerasError(file, "layer \(name): no weights under model_weights/\(name)") }
            let g = try root.openGroup("model_weights/\(name)")
            let names = g.hasAttribute("weight_names") ? try g.readStringAttribute("weight_names").values : []
            for path in names {
                let short = String(path.split(separator: "/").last ?? "").replacingOccurrences(of: ":0", with: "")
                out[short] = try g.readDataset(path, as: Float.self)
            }
            for v in order where out[v] == nil { throw KerasError(file, "layer \(name): weight \(v) is missing from the file") }
        }
        return out
    }
}
