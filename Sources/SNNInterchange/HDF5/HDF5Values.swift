import CHDF5
import Glibc

/// Reading and writing the values of one dataset or attribute: both have a datatype and a dataspace, and differ
/// only in the read/write/close calls. Internal; callers use `HDF5Group`, `HDF5Dataset` and `HDF5Object`.
struct HDF5ValueHandle {
    enum Kind { case dataset, attribute }
    let kind: Kind
    let id: hid_t
    let file: String
    let path: String

    func fail(_ what: String) -> HDF5Error {
        let detail = HDF5Library.lastErrorDescription().map { " (HDF5: \($0))" } ?? ""
        return HDF5Error(file: file, path: path, message: what + detail)
    }

    private func typeID() throws -> hid_t {
        let t = kind == .dataset ? H5Dget_type(id) : H5Aget_type(id)
        guard t >= 0 else { throw fail("cannot read the datatype") }
        return t
    }

    private func spaceID() throws -> hid_t {
        let s = kind == .dataset ? H5Dget_space(id) : H5Aget_space(id)
        guard s >= 0 else { throw fail("cannot read the dataspace") }
        return s
    }

    func close() {
        if kind == .dataset { _ = H5Dclose(id) } else { _ = H5Aclose(id) }
    }

    /// The shape (`[]` for a scalar) and the value class.
    func info() throws -> HDF5ValueInfo {
        let t = try typeID()
        defer { _ = H5Tclose(t) }
        let s = try spaceID()
        defer { _ = H5Sclose(s) }
        let rank = Int(H5Sget_simple_extent_ndims(s))
        guard rank >= 0 else { throw fail("cannot read the dataspace rank") }
        var dims = [hsize_t](repeating: 0, count: max(rank, 1))
        if rank > 0 { _ = H5Sget_simple_extent_dims(s, &dims, nil) }
        let shape = rank == 0 ? [] : dims.map { Int($0) }
        let cls: HDF5ValueClass
        switch H5Tget_class(t) {
        case H5T_INTEGER: cls = .integer
        case H5T_FLOAT: cls = .float
        case H5T_STRING: cls = .string
        case H5T_ENUM: cls = .other("enum")
        case H5T_COMPOUND: cls = .other("compound")
        case H5T_ARRAY: cls = .other("array")
        case H5T_VLEN: cls = .other("vlen")
        case H5T_BITFIELD: cls = .other("bitfield")
        case H5T_OPAQUE: cls = .other("opaque")
        case H5T_REFERENCE: cls = .other("reference")
        default: cls = .other("unknown")
        }
        let variable = cls == .string && H5Tis_variable_str(t) > 0
        return HDF5ValueInfo(shape: shape, valueClass: cls, elementSize: Int(H5Tget_size(t)), isVariableLengthString: variable)
    }

    private func read(memoryType: hid_t, into buffer: UnsafeMutableRawPointer) -> herr_t {
        kind == .dataset
            ? H5Dread(id, memoryType, snn_h5s_all(), snn_h5s_all(), snn_h5p_default(), buffer)
            : H5Aread(id, memoryType, buffer)
    }

    /// Numeric values, converted to `T` by HDF5.
    func readNumbers<T: HDF5Scalar>(as type: T.Type) throws -> HDF5Array<T> {
        let i = try info()
        guard i.valueClass == .integer || i.valueClass == .float else {
            throw HDF5Error(file: file, path: path, message: "holds \(i.valueClass) values, expected numbers")
        }
        let n = i.shape.reduce(1, *)
        var values = [T](repeating: T.hdf5Zero, count: n)
        if n > 0 {
            let rc = values.withUnsafeMutableBytes { read(memoryType: T.hdf5Type, into: $0.baseAddress!) }
            guard rc >= 0 else { throw fail("cannot read the values as \(T.self)") }
        }
        return HDF5Array(shape: i.shape, values: values)
    }

    /// String values, fixed or variable length, ASCII or UTF-8; fixed-length ones lose their padding.
    func readStrings() throws -> HDF5Array<String> {
        let i = try info()
        guard i.valueClass == .string else {
            throw HDF5Error(file: file, path: path, message: "holds \(i.valueClass) values, expected strings")
        }
        let n = i.shape.reduce(1, *)
        let fileType = try typeID()
        defer { _ = H5Tclose(fileType) }
        if n == 0 { return HDF5Array(shape: i.shape, values: []) }
        if i.isVariableLengthString {
            let mem = H5Tcopy(snn_h5t_c_s1())
            defer { _ = H5Tclose(mem) }
            _ = H5Tset_size(mem, snn_h5t_variable_size())
            _ = H5Tset_cset(mem, H5Tget_cset(fileType))
            var pointers = [UnsafeMutablePointer<CChar>?](repeating: nil, count: n)
            let rc = pointers.withUnsafeMutableBytes { read(memoryType: mem, into: $0.baseAddress!) }
            guard rc >= 0 else { throw fail("cannot read the variable-length strings") }
            defer { for p in pointers where p != nil { H5free_memory(p) } }
            return HDF5Array(shape: i.shape, values: pointers.map { $0.map { String(cString: $0) } ?? "" })
        }
        let size = i.elementSize
        let mem = H5Tcopy(fileType)
        defer { _ = H5Tclose(mem) }
        var bytes = [UInt8](repeating: 0, count: n * size)
        let rc = bytes.withUnsafeMutableBytes { read(memoryType: mem, into: $0.baseAddress!) }
        guard rc >= 0 else { throw fail("cannot read the fixed-length strings") }
        let spacePadded = H5Tget_strpad(fileType) == H5T_STR_SPACEPAD
        var out: [String] = []
        out.reserveCapacity(n)
        for k in 0..<n {
            var slice = bytes[(k * size)..<((k + 1) * size)]
            if let nul = slice.firstIndex(of: 0) { slice = slice[..<nul] }
            if spacePadded { while slice.last == 0x20 { slice = slice.dropLast() } }
            out.append(String(decoding: slice, as: UTF8.self))
        }
        return HDF5Array(shape: i.shape, values: out)
    }
}

/// A dataspace for `shape` (`[]`: scalar). The caller closes it.
func makeDataspace(_ shape: [Int]) -> hid_t {
    if shape.isEmpty { return H5Screate(H5S_SCALAR) }
    let dims = shape.map { hsize_t($0) }
    return H5Screate_simple(Int32(dims.count), dims, nil)
}

/// A string datatype: variable-length UTF-8 (h5py's `string_dtype()`) or fixed-length null-padded of `size`
/// bytes (numpy's `S` dtype). The caller closes it.
func makeStringType(variable: Bool, size: Int) -> hid_t {
    let t = H5Tcopy(snn_h5t_c_s1())
    if variable {
        _ = H5Tset_size(t, snn_h5t_variable_size())
        _ = H5Tset_cset(t, H5T_CSET_UTF8)
    } else {
        _ = H5Tset_size(t, max(size, 1))
        _ = H5Tset_strpad(t, H5T_STR_NULLPAD)
        _ = H5Tset_cset(t, H5T_CSET_UTF8)
    }
    return t
}

/// Calls `body` with the strings laid out for `type`: an array of C-string pointers (variable length) or
/// `size`-byte null-padded records (fixed length).
func withStringBuffer<R>(_ strings: [String], variable: Bool, size: Int, _ body: (UnsafeRawPointer) -> R) -> R {
    if variable {
        let copies = strings.map { strdup($0) }
        defer { copies.forEach { free($0) } }
        return copies.withUnsafeBytes { body($0.baseAddress!) }
    }
    var bytes = [UInt8](repeating: 0, count: max(strings.count * max(size, 1), 1))
    for (k, s) in strings.enumerated() {
        for (j, b) in s.utf8.prefix(size).enumerated() { bytes[k * size + j] = b }
    }
    return bytes.withUnsafeBytes { body($0.baseAddress!) }
}

/// The shape check every writer makes.
func checkShape(_ shape: [Int], count: Int, file: String, path: String) throws {
    guard shape.allSatisfy({ $0 >= 0 }), shape.reduce(1, *) == count else {
        throw HDF5Error(file: file, path: path, message: "shape \(shape) does not hold \(count) values")
    }
}

/// The text before the first NUL of a C character buffer, as UTF-8.
func stringFromCBuffer(_ buffer: [CChar]) -> String {
    String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}
