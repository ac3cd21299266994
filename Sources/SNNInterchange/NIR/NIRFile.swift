/// Reading and writing NIR graphs in the reference package's HDF5 layout (`nir.write`/`nir.read`, nir 1.0.x):
///
///     /version            string dataset (the nir version)
///     /node/type          "NIRGraph"
///     /node/edges         (n, 2) string dataset: source, target
///     /node/nodes/NAME/   one group per node: `type` string dataset, one dataset per field
///     /node/metadata/     optional group of string/number datasets (also per node)
///
/// Strings are variable-length UTF-8 (h5py's `string_dtype()`); fixed-length strings are read too. Arrays keep
/// their dtype (weights float32 as numpy gives them; τ and r float64, see NIRDiscretisation).
public enum NIRFile {
    /// Reads the graph in `path`. Errors name the file and the HDF5 path.
    public static func read(_ path: String) throws -> NIRGraph {
        let file: HDF5File
        do { file = try HDF5File.open(path) } catch let e as HDF5Error { throw NIRError("\(path): \(e.message)") }
        do {
            let root = try file.root()
            guard root.kind(of: "node") == .group else {
                throw NIRError("\(path): no /node group: not a NIR graph (files written by nir.write have one)")
            }
            let version = root.contains("version") ? (try root.readStrings("version").values.first ?? "") : ""
            let g = try root.openGroup("node")
            let type = try g.readStrings("type").values.first ?? ""
            guard type == "NIRGraph" else { throw NIRError("\(path): /node has type '\(type)', expected NIRGraph") }
            let edges = try readEdges(g, path: path)
            let nodesGroup = try g.openGroup("nodes")
            var nodes: [NIRNode] = []
            for name in try nodesGroup.memberNames() {
                nodes.append(try readNode(try nodesGroup.openGroup(name), name: name))
            }
            let metadata = g.kind(of: "metadata") == .group ? try readValues(try g.openGroup("metadata")) : [:]
            return NIRGraph(nodes: nodes, edges: edges, metadata: metadata, version: version)
        } catch let e as HDF5Error {
            throw NIRError("\(path): \(e.path): \(e.message)")
        }
    }

    private static func readEdges(_ g: HDF5Group, path: String) throws -> [NIREdge] {
        guard g.contains("edges") else { return [] }
        let e = try g.readStrings("edges")
        guard e.values.isEmpty || (e.shape.count == 2 && e.shape[1] == 2) else {
            throw NIRError("\(path): /node/edges has shape \(e.shape), expected (n, 2)")
        }
        return stride(from: 0, to: e.values.count, by: 2).map { NIREdge(e.values[$0], e.values[$0 + 1]) }
    }

    private static func readNode(_ g: HDF5Group, name: String) throws -> NIRNode {
        let type = g.contains("type") ? (try g.readStrings("type").values.first ?? "") : ""
        var fields = try readValues(g)
        fields["type"] = nil
        let metadata = g.kind(of: "metadata") == .group ? try readValues(try g.openGroup("metadata")) : [:]
        return NIRNode(name: name, type: type, fields: fields, metadata: metadata)
    }

    /// Every dataset of `g` as a value; subgroups (nested graphs, metadata) are skipped.
    private static func readValues(_ g: HDF5Group) throws -> [String: NIRValue] {
        var out: [String: NIRValue] = [:]
        for key in try g.memberNames() where g.kind(of: key) == .dataset {
            let d = try g.openDataset(key)
            let info = try d.info()
            switch info.valueClass {
            case .string: out[key] = .string(try d.readStrings().values.first ?? "")
            case .integer: out[key] = .int64(try d.read(as: Int64.self))
            case .float where info.elementSize <= 4: out[key] = .float32(try d.read(as: Float.self))
            case .float: out[key] = .float64(try d.read(as: Double.self))
            case .other: continue   // e.g. h5py's enum-typed bools: no NIR primitive field we use has them
            }
        }
        return out
    }

    /// Writes `graph` to `path` (replacing it) in the layout above.
    public static func write(_ graph: NIRGraph, to path: String) throws {
        do {
            let file = try HDF5File.create(path)
            defer { file.close() }
            let root = try file.root()
            try root.writeString("version", graph.version)
            let g = try root.createGroup("node")
            try g.writeString("type", "NIRGraph")
            try g.writeStrings("edges", graph.edges.flatMap { [$0.source, $0.target] }, shape: [graph.edges.count, 2])
            if !graph.metadata.isEmpty { try writeValues(graph.metadata, into: try g.createGroup("metadata")) }
            let nodes = try g.createGroup("nodes")
            for node in graph.nodes {
                let n = try nodes.createGroup(node.name)
                try n.writeString("type", node.type)
                try writeValues(node.fields, into: n)
                if !node.metadata.isEmpty { try writeValues(node.metadata, into: try n.createGroup("metadata")) }
            }
        } catch let e as HDF5Error {
            throw NIRError("\(path): \(e.path): \(e.message)")
        }
    }

    private static func writeValues(_ values: [String: NIRValue], into g: HDF5Group) throws {
        for (key, value) in values.sorted(by: { $0.key < $1.key }) {
            switch value {
            case .float32(let a): try g.writeDataset(key, a.values, shape: a.shape)
            case .float64(let a): try g.writeDataset(key, a.values, shape: a.shape)
            case .int64(let a): try g.writeDataset(key, a.values, shape: a.shape)
            case .string(let s): try g.writeString(key, s)
            }
        }
    }
}
