import CHDF5

/// A number type that HDF5 datasets and attributes can hold; reads convert from whatever numeric type the file
/// stores (HDF5's own conversion, e.g. a float64 dataset read as `Float`, an int64 one read as `Double`).
public protocol HDF5Scalar: BitwiseCopyable, Sendable {
    /// HDF5's in-memory type for this Swift type (also used as the file type when writing).
    static var hdf5Type: hid_t { get }
    /// A zero, to allocate buffers.
    static var hdf5Zero: Self { get }
}

extension Float: HDF5Scalar {
    public static var hdf5Type: hid_t { snn_h5t_native_float() }
    public static var hdf5Zero: Float { 0 }
}
extension Double: HDF5Scalar {
    public static var hdf5Type: hid_t { snn_h5t_native_double() }
    public static var hdf5Zero: Double { 0 }
}
extension Int64: HDF5Scalar {
    public static var hdf5Type: hid_t { snn_h5t_native_int64() }
    public static var hdf5Zero: Int64 { 0 }
}
extension Int32: HDF5Scalar {
    public static var hdf5Type: hid_t { snn_h5t_native_int32() }
    public static var hdf5Zero: Int32 { 0 }
}
extension UInt8: HDF5Scalar {
    public static var hdf5Type: hid_t { snn_h5t_native_uint8() }
    public static var hdf5Zero: UInt8 { 0 }
}

/// An n-dimensional array read from or written to HDF5: row-major (C order, as h5py/numpy) values and a shape.
/// A scalar has shape `[]` and one value.
public struct HDF5Array<Element: Sendable>: Sendable {
    public var shape: [Int]
    public var values: [Element]

    public init(shape: [Int], values: [Element]) {
        self.shape = shape
        self.values = values
    }

    /// The number of elements the shape implies.
    public var count: Int { shape.reduce(1, *) }
}

extension HDF5Array: Equatable where Element: Equatable {}

/// What kind of values a dataset or attribute holds.
public enum HDF5ValueClass: Sendable, Equatable, CustomStringConvertible {
    case integer, float, string, other(String)

    public var description: String {
        switch self {
        case .integer: "integer"
        case .float: "float"
        case .string: "string"
        case .other(let s): s
        }
    }
}

/// The shape and type of a dataset or attribute, without its values.
public struct HDF5ValueInfo: Sendable, Equatable {
    public var shape: [Int]
    public var valueClass: HDF5ValueClass
    /// Bytes per element in the file (for a variable-length string: the pointer size).
    public var elementSize: Int
    /// True for variable-length strings.
    public var isVariableLengthString: Bool
}
