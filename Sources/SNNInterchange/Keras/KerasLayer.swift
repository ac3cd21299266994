import Foundation

/// One layer of a Keras model's architecture (`config.json` of a `.keras` file, or a legacy `.h5` file's
/// `model_config` attribute), reduced to what ECC conversion needs. Anything ECC cannot convert is refused while
/// reading, with the layer's name and the reason.
enum KerasLayer: Equatable {
    case input(shape: [Int])
    case conv(name: String, filters: Int, kernel: Int, stride: Int, padding: Int, useBias: Bool, activation: KerasActivation)
    case dense(name: String, units: Int, useBias: Bool, activation: KerasActivation)
    case batchNorm(name: String, epsilon: Float, center: Bool, scale: Bool)
    case relu(name: String)
    case softmax(name: String)
    case avgPool(name: String, size: Int)
    case flatten(name: String)
    /// Dropout and other layers that do nothing at inference.
    case identity(name: String)

    var name: String {
        switch self {
        case .input: "input"
        case .conv(let n, _, _, _, _, _, _), .dense(let n, _, _, _), .batchNorm(let n, _, _, _), .relu(let n), .softmax(let n),
             .avgPool(let n, _), .flatten(let n), .identity(let n): n
        }
    }
}

/// The activations a converted layer may carry.
enum KerasActivation: Equatable {
    case linear, relu, softmax
}

/// Reads the architecture JSON into `KerasLayer`s.
struct KerasConfigReader {
    let file: String

    func fail(_ message: String) -> KerasError { KerasError(file, message) }

    /// The model's layers in order (Sequential, or a Functional model whose layers form one chain).
    func layers(fromJSON data: Data) throws -> [(layer: KerasLayer, className: String)] {
        guard let root = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw fail("the model configuration is not valid JSON")
        }
        let cls = root["class_name"] as? String ?? "?"
        guard ["Sequential", "Functional", "Model"].contains(cls), let config = root["config"] as? [String: Any],
              let layers = config["layers"] as? [[String: Any]] else {
            throw fail("model class \(cls) is not supported (a Sequential or single-chain Functional model is)")
        }
        var out: [(KerasLayer, String)] = []
        for (i, l) in layers.enumerated() {
            let c = l["config"] as? [String: Any] ?? [:]
            let className = l["class_name"] as? String ?? "?"
            let name = c["name"] as? String ?? "layer \(i)"
            if cls != "Sequential", let inbound = l["inbound_nodes"] as? [Any], inbound.count > 1 {
                throw fail("layer \(name) (\(className)): the model is not a single chain (it is called \(inbound.count) times)")
            }
            if i == 0, className != "InputLayer", let shape = inputShape(c) { out.append((.input(shape: shape), "InputLayer")) }
            out.append((try layer(className, name, c), className))
        }
        return out
    }

    func inputShape(_ c: [String: Any]) -> [Int]? {
        guard let s = (c["batch_shape"] ?? c["batch_input_shape"]) as? [Any], s.count >= 2 else { return nil }
        let dims = s.dropFirst().map { $0 as? Int ?? -1 }
        return dims.contains(-1) ? nil : Array(dims)
    }

    func layer(_ className: String, _ name: String, _ c: [String: Any]) throws -> KerasLayer {
        let what = "layer \(name) (\(className))"
        if let f = c["data_format"] as? String, f != "channels_last" {
            throw fail("\(what): data_format \(f) is not supported; ECC import reads channels-last models (the Keras default)")
        }
        switch className {
        case "InputLayer":
            guard let shape = inputShape(c) else { throw fail("\(what): the input shape is not fully known") }
            guard shape.count == 3 || shape.count == 1 else { throw fail("\(what): input shape \(shape); expected [height, width, channels]") }
            return .input(shape: shape)
        case "Conv2D":
            let k = try square(c["kernel_size"], "kernel_size", what), s = try square(c["strides"] ?? [1, 1], "strides", what)
            if let d = c["dilation_rate"], (try? square(d, "dilation_rate", what)) != 1 { throw fail("\(what): dilated convolution is not supported") }
            if let g = c["groups"] as? Int, g != 1 { throw fail("\(what): grouped convolution is not supported") }
            let padding: Int
            switch c["padding"] as? String ?? "valid" {
            case "valid": padding = 0
            case "same" where s == 1 && k % 2 == 1: padding = (k - 1) / 2
            case let p: throw fail("\(what): padding \(p) with kernel \(k) and stride \(s) is not symmetric; use padding valid, or same with stride 1 and an odd kernel")
            }
            return .conv(name: name, filters: try int(c["filters"], "filters", what), kernel: k, stride: s, padding: padding,
                         useBias: c["use_bias"] as? Bool ?? true, activation: try activation(c["activation"], what))
        case "Dense":
            return .dense(name: name, units: try int(c["units"], "units", what), useBias: c["use_bias"] as? Bool ?? true,
                          activation: try activation(c["activation"], what))
        case "BatchNormalization":
            let axis = (c["axis"] as? Int) ?? ((c["axis"] as? [Int])?.first ?? -1)
            guard axis == -1 || axis == 3 else { throw fail("\(what): axis \(axis); ECC folds batch norm over the channel axis (-1)") }
            let eps = (c["epsilon"] as? NSNumber)?.floatValue ?? 1e-3
            return .batchNorm(name: name, epsilon: eps, center: c["center"] as? Bool ?? true, scale: c["scale"] as? Bool ?? true)
        case "ReLU":
            if let m = c["max_value"] as? NSNumber { throw fail("\(what): a ReLU capped at \(m) is not supported (ECC needs a plain ReLU)") }
            if let s = c["negative_slope"] as? NSNumber, s.doubleValue != 0 { throw fail("\(what): a leaky ReLU is not supported (ECC needs a plain ReLU)") }
            if let t = c["threshold"] as? NSNumber, t.doubleValue != 0 { throw fail("\(what): a ReLU with a threshold is not supported") }
            return .relu(name: name)
        case "Activation":
            switch try activation(c["activation"], what) {
            case .relu: return .relu(name: name)
            case .softmax: return .softmax(name: name)
            case .linear: return .identity(name: name)
            }
        case "Softmax":
            return .softmax(name: name)
        case "AveragePooling2D":
            let p = try square(c["pool_size"], "pool_size", what)
            let s = c["strides"].flatMap { $0 is NSNull ? nil : $0 }.map { try? square($0, "strides", what) } ?? p
            guard s == p else { throw fail("\(what): strides differ from pool_size; ECC pools non-overlapping windows") }
            guard (c["padding"] as? String ?? "valid") == "valid" else { throw fail("\(what): padding same is not supported; use valid") }
            return .avgPool(name: name, size: p)
        case "MaxPooling2D", "GlobalMaxPooling2D":
            throw fail("\(what): max pooling cannot be converted by ECC (the spike count of a max is not the max of spike counts, METHODS §4.4); retrain with AveragePooling2D")
        case "Flatten":
            return .flatten(name: name)
        case "Dropout", "SpatialDropout2D", "GaussianDropout", "GaussianNoise":
            return .identity(name: name)
        default:
            throw fail("\(what): not supported by ECC import (supported: InputLayer, Conv2D, Dense, BatchNormalization, ReLU, Activation relu/softmax, Softmax, AveragePooling2D, Flatten, Dropout)")
        }
    }

    func activation(_ v: Any?, _ what: String) throws -> KerasActivation {
        let name: String
        if let s = v as? String { name = s }
        else if let d = v as? [String: Any], let n = (d["config"] as? [String: Any])?["name"] as? String ?? d["class_name"] as? String { name = n }
        else if v == nil || v is NSNull { name = "linear" }
        else { throw fail("\(what): cannot read its activation") }
        switch name {
        case "linear", "Linear": return .linear
        case "relu", "ReLU": return .relu
        case "softmax", "Softmax": return .softmax
        default: throw fail("\(what): activation \(name) is not supported (ECC converts ReLU networks; linear, relu and a final softmax are read)")
        }
    }

    func int(_ v: Any?, _ field: String, _ what: String) throws -> Int {
        guard let n = v as? Int, n > 0 else { throw fail("\(what): \(field) is missing or not a positive integer") }
        return n
    }

    /// A size given as n or [n, n]; non-square sizes are refused.
    func square(_ v: Any?, _ field: String, _ what: String) throws -> Int {
        if let n = v as? Int { return n }
        guard let a = v as? [Int], a.count == 2 else { throw fail("\(what): cannot read \(field)") }
        guard a[0] == a[1] else { throw fail("\(what): \(field) \(a) is not square; ECC import reads square kernels, strides and pools") }
        return a[0]
    }
}
