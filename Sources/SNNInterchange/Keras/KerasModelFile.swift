import Foundation
import SNNCore
import SNNMethods
import ZIPFoundation

/// Reads a trained Keras CNN (a Keras 3 `.keras` zip or a legacy `.h5` file) as the layers ECC conversion takes.
///
/// Supported: InputLayer, Conv2D (square kernel, stride 1 with `same` padding or any stride with `valid`),
/// Dense, BatchNormalization (inference statistics, its own ε), ReLU / Activation('relu') / a relu activation on a
/// layer, AveragePooling2D (non-overlapping), Flatten, Dropout (ignored), a final softmax. Channels-last only. The
/// model must take pixels scaled to [0, 1] (ECC's spike trains read the input as a rate). Anything else is refused
/// with one line naming the layer and why. Weights are channels-last in Keras as in our kernels (conv HWIO =
/// `[kH, kW, C_in, C_out]`, dense `[in, out]`, flatten in H, W, C order), so no permutation is needed.
public enum KerasModelFile {
    /// The model's layers and input shape.
    public static func read(_ path: String) throws -> (layers: [CNNSourceLayer], inputShape: [Int]) {
        guard FileManager.default.fileExists(atPath: path) else { throw KerasError(path, "no such file") }
        if path.lowercased().hasSuffix(".keras") { return try readKeras3(path) }
        return try readLegacyH5(path)
    }

    static func readKeras3(_ path: String) throws -> (layers: [CNNSourceLayer], inputShape: [Int]) {
        let archive: Archive
        do { archive = try Archive(url: URL(fileURLWithPath: path), accessMode: .read) } catch {
            throw KerasError(path, "not a readable zip archive (truncated, or not a .keras file)")
        }
        func member(_ name: String) throws -> Data {
            guard let entry = archive[name] else {
                throw KerasError(path, "the archive has no \(name); a Keras 3 .keras file holds config.json and model.weights.h5")
            }
            var data = Data()
            do { _ = try archive.extract(entry) { data.append($0) } } catch {
                throw KerasError(path, "\(name) cannot be read from the archive (truncated or corrupt)")
            }
            return data
        }
        let config = try member("config.json")
        let weights = try member("model.weights.h5")
        let reader = KerasConfigReader(file: path)
        let layers = try reader.layers(fromJSON: config)
        let tmp = NSTemporaryDirectory() + "snn-keras-\(getpid())-\(UUID().uuidString).h5"
        guard FileManager.default.createFile(atPath: tmp, contents: weights) else {
            throw KerasError(path, "cannot write a temporary copy of model.weights.h5 to \(tmp)")
        }
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        let h5: HDF5File
        do { h5 = try HDF5File.open(tmp) } catch { throw KerasError(path, "model.weights.h5 is not a readable HDF5 file") }
        defer { h5.close() }
        let w = KerasWeights(file: path, root: try h5.root(), layout: .keras3, classNames: layers.map(\.className))
        return try build(layers.map(\.layer), weights: w, file: path)
    }

    static func readLegacyH5(_ path: String) throws -> (layers: [CNNSourceLayer], inputShape: [Int]) {
        let h5: HDF5File
        do { h5 = try HDF5File.open(path) } catch { throw KerasError(path, "not a readable HDF5 file (a legacy Keras .h5 model)") }
        defer { h5.close() }
        let root = try h5.root()
        guard root.hasAttribute("model_config"), let json = try? root.readScalarStringAttribute("model_config") else {
            throw KerasError(path, "no model_config attribute: a weights-only .h5 file has no architecture; save the whole model")
        }
        let layers = try KerasConfigReader(file: path).layers(fromJSON: Data(json.utf8))
        let w = KerasWeights(file: path, root: root, layout: .legacy, classNames: layers.map(\.className))
        return try build(layers.map(\.layer), weights: w, file: path)
    }

    static func build(_ layers: [KerasLayer], weights: KerasWeights, file: String) throws -> (layers: [CNNSourceLayer], inputShape: [Int]) {
        guard case .input(let inputShape)? = layers.first else { throw KerasError(file, "the model's input shape is not recorded") }
        var shape = inputShape
        var out: [CNNSourceLayer] = []
        func check(_ a: HDF5Array<Float>?, _ expected: [Int], _ what: String, _ name: String) throws -> [Float] {
            guard let a else { throw KerasError(file, "layer \(name): \(what) is missing") }
            guard a.shape == expected else { throw KerasError(file, "layer \(name): \(what) has shape \(a.shape), expected \(expected)") }
            return a.values
        }
        let lastWeighted = layers.lastIndex { if case .conv = $0 { return true }; if case .dense = $0 { return true }; return false }
        for (i, l) in layers.enumerated() {
            switch l {
            case .input:
                continue
            case let .conv(name, filters, k, stride, padding, useBias, act):
                guard shape.count == 3 else { throw KerasError(file, "layer \(name): Conv2D needs [H, W, C] input, gets \(shape)") }
                let v = try weights.variables(layer: i, name: name, order: useBias ? ["kernel", "bias"] : ["kernel"])
                let g = ConvGeometry(height: shape[0], width: shape[1], channels: shape[2], kernel: k, stride: stride,
                                     padding: padding, outChannels: filters)
                out.append(.conv(g, weights: try check(v["kernel"], [k, k, shape[2], filters], "kernel", name),
                                 bias: useBias ? try check(v["bias"], [filters], "bias", name) : nil, name: name))
                shape = [g.outHeight, g.outWidth, filters]
                try activation(act, name, isLast: i == lastWeighted)
            case let .dense(name, units, useBias, act):
                let inputs = shape.reduce(1, *)
                let v = try weights.variables(layer: i, name: name, order: useBias ? ["kernel", "bias"] : ["kernel"])
                out.append(.dense(inputs: inputs, outputs: units, weights: try check(v["kernel"], [inputs, units], "kernel", name),
                                  bias: useBias ? try check(v["bias"], [units], "bias", name) : nil, name: name))
                shape = [units]
                try activation(act, name, isLast: i == lastWeighted)
            case let .batchNorm(name, eps, center, scale):
                let c = shape.last ?? 0
                let order = (scale ? ["gamma"] : []) + (center ? ["beta"] : []) + ["moving_mean", "moving_variance"]
                let v = try weights.variables(layer: i, name: name, order: order)
                out.append(.batchNorm(gamma: scale ? try check(v["gamma"], [c], "gamma", name) : [Float](repeating: 1, count: c),
                                      beta: center ? try check(v["beta"], [c], "beta", name) : nil,
                                      mean: try check(v["moving_mean"], [c], "moving_mean", name),
                                      variance: try check(v["moving_variance"], [c], "moving_variance", name), epsilon: eps, name: name))
            case .relu(let name):
                out.append(.relu(name: name))
            case .softmax(let name):
                guard let lastWeighted, i > lastWeighted else {
                    throw KerasError(file, "layer \(name): a softmax is only read after the last Dense/Conv2D layer (the output)")
                }
            case let .avgPool(name, size):
                guard shape.count == 3 else { throw KerasError(file, "layer \(name): pooling needs [H, W, C] input, gets \(shape)") }
                out.append(.avgPool(size: size, inputShape: shape, name: name))
                shape = [shape[0] / size, shape[1] / size, shape[2]]
            case .flatten(let name):
                out.append(.flatten(name: name))
                shape = [shape.reduce(1, *)]
            case .identity:
                continue
            }
        }
        func activation(_ a: KerasActivation, _ name: String, isLast: Bool) throws {
            switch a {
            case .linear: break
            case .relu: out.append(.relu(name: name + "/relu"))
            case .softmax where isLast: break
            case .softmax: throw KerasError(file, "layer \(name): softmax on a hidden layer cannot be converted (ECC needs ReLU)")
            }
        }
        return (out, inputShape)
    }
}
