import CHDF5

/// An open HDF5 group or dataset: holds its identifier (closed when the object goes away), the file it is in and
/// its path there, and reads and writes the object's attributes.
public class HDF5Object: @unchecked Sendable {
    let id: hid_t
    /// The file on disk (for error messages).
    public let file: String
    /// The absolute path inside the file.
    public let path: String
    /// Keeps the file open while any of its objects is.
    let owner: HDF5File?

    init(id: hid_t, file: String, path: String, owner: HDF5File?) {
        self.id = id
        self.file = file
        self.path = path
        self.owner = owner
    }

    deinit { HDF5Library.locked { _ = H5Oclose(id) } }

    func fail(_ what: String, at subpath: String? = nil) -> HDF5Error {
        let detail = HDF5Library.lastErrorDescription().map { " (HDF5: \($0))" } ?? ""
        return HDF5Error(file: file, path: subpath ?? path, message: what + detail)
    }

    /// The path of member `name` of this object.
    func childPath(_ name: String) -> String { path == "/" ? "/" + name : path + "/" + name }

    private func attributePath(_ name: String) -> String { path + "@" + name }

    // MARK: Attributes

    /// The names of this object's attributes, in name order.
    public func attributeNames() throws -> [String] {
        try HDF5Library.locked {
            var info = H5O_info_t()
            guard H5Oget_info2(id, &info, UInt32(H5O_INFO_NUM_ATTRS)) >= 0 else { throw fail("cannot list the attributes") }
            return try (0..<Int(info.num_attrs)).map { k in
                let size = H5Aget_name_by_idx(id, ".", H5_INDEX_NAME, H5_ITER_INC, hsize_t(k), nil, 0, snn_h5p_default())
                guard size >= 0 else { throw fail("cannot read attribute name \(k)") }
                var buffer = [CChar](repeating: 0, count: Int(size) + 1)
                _ = H5Aget_name_by_idx(id, ".", H5_INDEX_NAME, H5_ITER_INC, hsize_t(k), &buffer, buffer.count, snn_h5p_default())
                return stringFromCBuffer(buffer)
            }
        }
    }

    /// True when the object has an attribute `name`.
    public func hasAttribute(_ name: String) -> Bool {
        HDF5Library.locked { H5Aexists(id, name) > 0 }
    }

    private func withAttribute<T>(_ name: String, _ body: (HDF5ValueHandle) throws -> T) throws -> T {
        try HDF5Library.locked {
            guard H5Aexists(id, name) > 0 else {
                throw HDF5Error(file: file, path: attributePath(name), message: "no such attribute")
            }
            let a = H5Aopen(id, name, snn_h5p_default())
            guard a >= 0 else { throw fail("cannot open the attribute", at: attributePath(name)) }
            let handle = HDF5ValueHandle(kind: .attribute, id: a, file: file, path: attributePath(name))
            defer { handle.close() }
            return try body(handle)
        }
    }

    /// Shape and type of attribute `name`.
    public func attributeInfo(_ name: String) throws -> HDF5ValueInfo {
        try withAttribute(name) { try $0.info() }
    }

    /// Numeric attribute values, converted to `T`.
    public func readAttribute<T: HDF5Scalar>(_ name: String, as type: T.Type) throws -> HDF5Array<T> {
        try withAttribute(name) { try $0.readNumbers(as: type) }
    }

    /// A numeric attribute holding exactly one value (scalar or one-element array).
    public func readScalarAttribute<T: HDF5Scalar>(_ name: String, as type: T.Type) throws -> T {
        let a = try readAttribute(name, as: type)
        guard a.values.count == 1 else {
            throw HDF5Error(file: file, path: attributePath(name), message: "holds \(a.values.count) values, expected one")
        }
        return a.values[0]
    }

    /// String attribute values (fixed or variable length).
    public func readStringAttribute(_ name: String) throws -> HDF5Array<String> {
        try withAttribute(name) { try $0.readStrings() }
    }

    /// A string attribute holding exactly one string.
    public func readScalarStringAttribute(_ name: String) throws -> String {
        let a = try readStringAttribute(name)
        guard a.values.count == 1 else {
            throw HDF5Error(file: file, path: attributePath(name), message: "holds \(a.values.count) strings, expected one")
        }
        return a.values[0]
    }

    private func createAttribute(_ name: String, type: hid_t, shape: [Int], write: (hid_t) -> herr_t) throws {
        try HDF5Library.locked {
            if H5Aexists(id, name) > 0, H5Adelete(id, name) < 0 {
                throw fail("cannot replace the attribute", at: attributePath(name))
            }
            let space = makeDataspace(shape)
            defer { _ = H5Sclose(space) }
            let a = H5Acreate2(id, name, type, space, snn_h5p_default(), snn_h5p_default())
            guard a >= 0 else { throw fail("cannot create the attribute", at: attributePath(name)) }
            defer { _ = H5Aclose(a) }
            guard write(a) >= 0 else { throw fail("cannot write the attribute", at: attributePath(name)) }
        }
    }

    /// Writes (or replaces) a numeric attribute of the given shape (`[]`: scalar).
    public func writeAttribute<T: HDF5Scalar>(_ name: String, _ values: [T], shape: [Int]) throws {
        try checkShape(shape, count: values.count, file: file, path: attributePath(name))
        try createAttribute(name, type: T.hdf5Type, shape: shape) { a in
            values.withUnsafeBytes { H5Awrite(a, T.hdf5Type, $0.baseAddress ?? UnsafeRawPointer(bitPattern: 8)!) }
        }
    }

    /// Writes (or replaces) a scalar numeric attribute.
    public func writeAttribute<T: HDF5Scalar>(_ name: String, scalar: T) throws {
        try writeAttribute(name, [scalar], shape: [])
    }

    /// Writes (or replaces) a string attribute: variable-length UTF-8 (h5py's default for `str`) unless
    /// `fixedLength`, then null-padded to the longest string's UTF-8 length.
    public func writeStringAttribute(_ name: String, _ values: [String], shape: [Int], fixedLength: Bool = false) throws {
        try checkShape(shape, count: values.count, file: file, path: attributePath(name))
        let size = values.map { $0.utf8.count }.max() ?? 1
        try HDF5Library.locked {
            let type = makeStringType(variable: !fixedLength, size: size)
            defer { _ = H5Tclose(type) }
            try createAttribute(name, type: type, shape: shape) { a in
                withStringBuffer(values, variable: !fixedLength, size: max(size, 1)) { H5Awrite(a, type, $0) }
            }
        }
    }

    /// Writes (or replaces) a scalar string attribute.
    public func writeStringAttribute(_ name: String, _ value: String, fixedLength: Bool = false) throws {
        try writeStringAttribute(name, [value], shape: [], fixedLength: fixedLength)
    }
}
