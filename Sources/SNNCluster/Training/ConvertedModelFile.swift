import Foundation
import SNNCore
import SNNMethods
import SNNModel

/// A converted ECC SNN on disk, stored like a checkpoint (atomic write: temp file, fsync, rename).
///
/// Layout: the 8 bytes "SNNECC01", a little-endian UInt64 header length, a JSON header (source, κ, bits, λ,
/// thresholds, layer shapes), then per conv/dense layer its weights and biases as little-endian float32.
/// The digest is the SHA-256 of those floats followed by the thresholds and λ (what determines every spike).
public enum ConvertedModelFile {
    struct LayerHeader: Codable {
        var kind: String, name: String
        var conv: [Int]?          // height, width, channels, kernel, stride, padding, outChannels
        var dense: [Int]?         // inputs, outputs
        var pool: [Int]?          // size, height, width, channels
        var flatten: Int?
    }
    struct Header: Codable {
        var format = 1
        var source: String, inputShape: [Int], kappa: Float, bits: Int
        var lambdas: [Float], thresholds: [Float], layers: [LayerHeader], digest: String
    }
    static let magic = Array("SNNECC01".utf8)

    /// SHA-256 (hex) of the weights, biases, thresholds and λ.
    public static func digest(_ m: ConvertedSNN) -> String {
        var h = SHA256Hasher()
        for l in m.network.layers {
            switch l {
            case let .conv(_, w, b), let .dense(_, _, w, b):
                w.withUnsafeBytes { h.update($0) }; b.withUnsafeBytes { h.update($0) }
            default: break
            }
        }
        m.thresholds.withUnsafeBytes { h.update($0) }
        m.lambdas.withUnsafeBytes { h.update($0) }
        return h.finalHex()
    }

    public static func write(_ m: ConvertedSNN, source: String, to path: String) throws(CheckpointError) {
        var layers: [LayerHeader] = []
        var floats: [Float] = []
        for (i, l) in m.network.layers.enumerated() {
            var lh = LayerHeader(kind: "", name: m.network.names[i])
            switch l {
            case let .conv(g, w, b):
                lh.kind = "conv"; lh.conv = [g.height, g.width, g.channels, g.kernel, g.stride, g.padding, g.outChannels]
                floats += w; floats += b
            case let .dense(inp, out, w, b):
                lh.kind = "dense"; lh.dense = [inp, out]; floats += w; floats += b
            case let .avgPool(size, s):
                lh.kind = "avgpool"; lh.pool = [size] + s
            case .flatten(let n):
                lh.kind = "flatten"; lh.flatten = n
            }
            layers.append(lh)
        }
        let header = Header(source: source, inputShape: m.network.inputShape, kappa: m.kappa, bits: m.bits, lambdas: m.lambdas,
                            thresholds: m.thresholds, layers: layers, digest: digest(m))
        guard let json = try? JSONEncoder().encode(header) else { throw CheckpointError("cannot encode the converted model's header") }
        var bytes = magic
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { bytes += $0 }
        bytes += json
        floats.withUnsafeBytes { bytes += $0 }
        try Checkpoint.atomicWrite(bytes, to: path)
    }

    /// Reads a converted model; checks its digest.
    public static func read(from path: String) throws(CheckpointError) -> (model: ConvertedSNN, source: String) {
        guard let data = FileManager.default.contents(atPath: path) else { throw CheckpointError("\(path): cannot read the converted model") }
        let b = [UInt8](data)
        guard b.count >= 16, Array(b[0..<8]) == magic else { throw CheckpointError("\(path): not a converted ECC model") }
        let hlen = b[8..<16].withUnsafeBytes { Int(UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self))) }
        guard hlen > 0, 16 + hlen <= b.count, let h = try? JSONDecoder().decode(Header.self, from: Data(b[16..<(16 + hlen)])) else {
            throw CheckpointError("\(path): corrupt converted-model header")
        }
        var off = 16 + hlen
        func floats(_ n: Int) throws(CheckpointError) -> [Float] {
            guard n >= 0, off + 4 * n <= b.count else { throw CheckpointError("\(path): converted model is truncated") }
            let out = [Float](unsafeUninitializedCapacity: n) { buf, c in
                b.withUnsafeBytes { UnsafeMutableRawBufferPointer(buf).copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[off..<(off + 4 * n)])) }
                c = n
            }
            off += 4 * n
            return out
        }
        var layers: [ECCLayer] = []
        for l in h.layers {
            if let c = l.conv, c.count == 7 {
                let g = ConvGeometry(height: c[0], width: c[1], channels: c[2], kernel: c[3], stride: c[4], padding: c[5], outChannels: c[6])
                layers.append(.conv(g, weights: try floats(g.weightCount), bias: try floats(g.outChannels)))
            } else if let d = l.dense, d.count == 2 {
                layers.append(.dense(inputs: d[0], outputs: d[1], weights: try floats(d[0] * d[1]), bias: try floats(d[1])))
            } else if let p = l.pool, p.count == 4 {
                layers.append(.avgPool(size: p[0], inputShape: Array(p[1...])))
            } else if let n = l.flatten {
                layers.append(.flatten(count: n))
            } else {
                throw CheckpointError("\(path): layer \(l.name) of unknown kind '\(l.kind)'")
            }
        }
        guard off == b.count else { throw CheckpointError("\(path): converted model has trailing bytes") }
        let m = ConvertedSNN(network: ECCNetwork(inputShape: h.inputShape, layers: layers, names: h.layers.map(\.name)),
                             thresholds: h.thresholds, lambdas: h.lambdas, kappa: h.kappa, bits: h.bits)
        guard digest(m) == h.digest else { throw CheckpointError("\(path): digest mismatch (the file was modified or damaged)") }
        return (m, h.source)
    }
}
