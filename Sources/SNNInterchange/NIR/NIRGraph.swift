/// A NIR graph in memory, as the reference `nir` package writes it to HDF5 (`nir.write`): named nodes, each a
/// `type` plus that primitive's fields (one dataset each), and directed edges between node names.
///
/// Only the flat (non-nested) graph is modelled; a nested `NIRGraph` node is kept as a node of type "NIRGraph"
/// with no fields, so that the importer can refuse it by name.
public struct NIRGraph: Sendable, Equatable {
    /// The nodes in file order (HDF5 lists group members by name).
    public var nodes: [NIRNode]
    /// `(source, target)` node names.
    public var edges: [NIREdge]
    /// The graph's `metadata` group (strings and numbers), empty when the file has none.
    public var metadata: [String: NIRValue]
    /// The file's `version` (the `nir` package version that wrote it); what `NIRFile.write` writes by default.
    public var version: String

    /// The NIR version our files claim: the format of nir 1.0.x (v_reset on LIF/IF/CubaLIF, `/node` layout).
    public static let writtenVersion = "1.0.8"

    public init(nodes: [NIRNode], edges: [NIREdge], metadata: [String: NIRValue] = [:], version: String = NIRGraph.writtenVersion) {
        self.nodes = nodes
        self.edges = edges
        self.metadata = metadata
        self.version = version
    }

    /// The node called `name`.
    public func node(_ name: String) -> NIRNode? { nodes.first { $0.name == name } }
}

/// One directed edge: the output of `source` feeds `target`.
public struct NIREdge: Sendable, Equatable, CustomStringConvertible {
    public var source: String
    public var target: String
    public init(_ source: String, _ target: String) { self.source = source; self.target = target }
    public var description: String { "\(source) → \(target)" }
}

/// One node: its name in the graph, its NIR `type` ("Affine", "LIF", …) and its fields by name.
public struct NIRNode: Sendable, Equatable {
    public var name: String
    public var type: String
    public var fields: [String: NIRValue]
    public var metadata: [String: NIRValue]

    public init(name: String, type: String, fields: [String: NIRValue], metadata: [String: NIRValue] = [:]) {
        self.name = name
        self.type = type
        self.fields = fields
        self.metadata = metadata
    }

    /// A numeric field as doubles (any stored float or integer type), or nil when absent or not numeric.
    public func numbers(_ field: String) -> HDF5Array<Double>? {
        switch fields[field] {
        case .float32(let a): HDF5Array(shape: a.shape, values: a.values.map(Double.init))
        case .float64(let a): a
        case .int64(let a): HDF5Array(shape: a.shape, values: a.values.map(Double.init))
        default: nil
        }
    }

    /// A numeric field as float32 values (weights), or nil when absent or not numeric.
    public func floats(_ field: String) -> HDF5Array<Float>? {
        switch fields[field] {
        case .float32(let a): a
        case .float64(let a): HDF5Array(shape: a.shape, values: a.values.map { Float($0) })
        case .int64(let a): HDF5Array(shape: a.shape, values: a.values.map { Float($0) })
        default: nil
        }
    }

    /// A string field, or nil.
    public func string(_ field: String) -> String? {
        if case .string(let s) = fields[field] { return s }
        return nil
    }
}

/// A field value: a numeric array (shape `[]` for a scalar) of the type the file stores, or a string.
public enum NIRValue: Sendable, Equatable {
    case float32(HDF5Array<Float>)
    case float64(HDF5Array<Double>)
    case int64(HDF5Array<Int64>)
    case string(String)

    /// A float32 array of `shape`.
    public static func floats(_ values: [Float], shape: [Int]) -> NIRValue { .float32(HDF5Array(shape: shape, values: values)) }
    /// A float64 array of `shape`.
    public static func doubles(_ values: [Double], shape: [Int]) -> NIRValue { .float64(HDF5Array(shape: shape, values: values)) }
    /// An int64 array of `shape` (`[]`: scalar).
    public static func ints(_ values: [Int], shape: [Int]) -> NIRValue { .int64(HDF5Array(shape: shape, values: values.map(Int64.init))) }
}
