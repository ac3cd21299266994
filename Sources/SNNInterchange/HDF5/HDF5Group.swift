import CHDF5

/// What a group member is.
public enum HDF5MemberKind: Sendable, Equatable {
    case group, dataset, other
}

/// An open HDF5 group: its members (groups and datasets), reading and writing datasets, and (inherited) its
/// attributes. Member names are single path components or relative paths ("a/b").
public final class HDF5Group: HDF5Object, @unchecked Sendable {

    /// The member names, in name order (as h5py lists them).
    public func memberNames() throws -> [String] {
        try HDF5Library.locked {
            var info = H5G_info_t()
            guard H5Gget_info(id, &info) >= 0 else { throw fail("cannot list the members") }
            return try (0..<Int(info.nlinks)).map { k in
                let size = H5Lget_name_by_idx(id, ".", H5_INDEX_NAME, H5_ITER_INC, hsize_t(k), nil, 0, snn_h5p_default())
                guard size >= 0 else { throw fail("cannot read member name \(k)") }
                var buffer = [CChar](repeating: 0, count: Int(size) + 1)
                _ = H5Lget_name_by_idx(id, ".", H5_INDEX_NAME, H5_ITER_INC, hsize_t(k), &buffer, buffer.count, snn_h5p_default())
                return stringFromCBuffer(buffer)
            }
        }
    }

    /// True when `name` (a relative path) exists below this group.
    public func contains(_ name: String) -> Bool {
        HDF5Library.locked {
            // H5Lexists needs every intermediate link to exist: check component by component.
            var prefix = ""
            for part in name.split(separator: "/") {
                prefix += prefix.isEmpty ? String(part) : "/" + part
                if H5Lexists(id, prefix, snn_h5p_default()) <= 0 { _ = HDF5Library.lastErrorDescription(); return false }
            }
            return !prefix.isEmpty
        }
    }

    /// Whether member `name` is a group or a dataset; nil when it does not exist.
    public func kind(of name: String) -> HDF5MemberKind? {
        HDF5Library.locked {
            guard contains(name) else { return nil }
            var info = H5O_info_t()
            guard H5Oget_info_by_name2(id, name, &info, UInt32(H5O_INFO_BASIC), snn_h5p_default()) >= 0 else {
                _ = HDF5Library.lastErrorDescription()
                return nil
            }
            switch info.type {
            case H5O_TYPE_GROUP: return .group
            case H5O_TYPE_DATASET: return .dataset
            default: return .other
            }
        }
    }

    /// Opens the member group `name`.
    public func openGroup(_ name: String) throws -> HDF5Group {
        try HDF5Library.locked {
            guard kind(of: name) == .group else {
                throw HDF5Error(file: file, path: childPath(name), message: contains(name) ? "is not a group" : "no such group")
            }
            let g = H5Gopen2(id, name, snn_h5p_default())
            guard g >= 0 else { throw fail("cannot open the group", at: childPath(name)) }
            return HDF5Group(id: g, file: file, path: childPath(name), owner: owner)
        }
    }

    /// Creates the member group `name` (its parent must exist).
    @discardableResult
    public func createGroup(_ name: String) throws -> HDF5Group {
        try HDF5Library.locked {
            guard !contains(name) else { throw HDF5Error(file: file, path: childPath(name), message: "already exists") }
            let g = H5Gcreate2(id, name, snn_h5p_default(), snn_h5p_default(), snn_h5p_default())
            guard g >= 0 else { throw fail("cannot create the group", at: childPath(name)) }
            return HDF5Group(id: g, file: file, path: childPath(name), owner: owner)
        }
    }

    /// Opens the member dataset `name`.
    public func openDataset(_ name: String) throws -> HDF5Dataset {
        try HDF5Library.locked {
            guard kind(of: name) == .dataset else {
                throw HDF5Error(file: file, path: childPath(name), message: contains(name) ? "is not a dataset" : "no such dataset")
            }
            let d = H5Dopen2(id, name, snn_h5p_default())
            guard d >= 0 else { throw fail("cannot open the dataset", at: childPath(name)) }
            return HDF5Dataset(id: d, file: file, path: childPath(name), owner: owner)
        }
    }

    /// Numeric dataset `name`, converted to `T`.
    public func readDataset<T: HDF5Scalar>(_ name: String, as type: T.Type) throws -> HDF5Array<T> {
        try openDataset(name).read(as: type)
    }

    /// String dataset `name` (fixed or variable length).
    public func readStrings(_ name: String) throws -> HDF5Array<String> {
        try openDataset(name).readStrings()
    }

    /// Creates dataset `name` with `values` in row-major order and `shape` (`[]`: scalar), stored contiguously
    /// with `T`'s native type.
    @discardableResult
    public func writeDataset<T: HDF5Scalar>(_ name: String, _ values: [T], shape: [Int]) throws -> HDF5Dataset {
        try checkShape(shape, count: values.count, file: file, path: childPath(name))
        return try createDataset(name, type: T.hdf5Type, shape: shape) { d in
            values.withUnsafeBytes {
                H5Dwrite(d, T.hdf5Type, snn_h5s_all(), snn_h5s_all(), snn_h5p_default(), $0.baseAddress ?? UnsafeRawPointer(bitPattern: 8)!)
            }
        }
    }

    /// Creates a string dataset: variable-length UTF-8 (h5py's `string_dtype()`, what NIR writes) unless
    /// `fixedLength`, then null-padded to the longest string's UTF-8 length (numpy's `S` dtype).
    @discardableResult
    public func writeStrings(_ name: String, _ values: [String], shape: [Int], fixedLength: Bool = false) throws -> HDF5Dataset {
        try checkShape(shape, count: values.count, file: file, path: childPath(name))
        let size = max(values.map { $0.utf8.count }.max() ?? 1, 1)
        return try HDF5Library.locked {
            let type = makeStringType(variable: !fixedLength, size: size)
            defer { _ = H5Tclose(type) }
            return try createDataset(name, type: type, shape: shape) { d in
                if values.isEmpty { return 0 }
                return withStringBuffer(values, variable: !fixedLength, size: size) {
                    H5Dwrite(d, type, snn_h5s_all(), snn_h5s_all(), snn_h5p_default(), $0)
                }
            }
        }
    }

    /// Creates a scalar string dataset.
    @discardableResult
    public func writeString(_ name: String, _ value: String, fixedLength: Bool = false) throws -> HDF5Dataset {
        try writeStrings(name, [value], shape: [], fixedLength: fixedLength)
    }

    private func createDataset(_ name: String, type: hid_t, shape: [Int], write: (hid_t) -> herr_t) throws -> HDF5Dataset {
        try HDF5Library.locked {
            guard !contains(name) else { throw HDF5Error(file: file, path: childPath(name), message: "already exists") }
            let space = makeDataspace(shape)
            defer { _ = H5Sclose(space) }
            let d = H5Dcreate2(id, name, type, space, snn_h5p_default(), snn_h5p_default(), snn_h5p_default())
            guard d >= 0 else { throw fail("cannot create the dataset", at: childPath(name)) }
            let dataset = HDF5Dataset(id: d, file: file, path: childPath(name), owner: owner)
            guard write(d) >= 0 else { throw fail("cannot write the dataset", at: childPath(name)) }
            return dataset
        }
    }
}

/// An open HDF5 dataset: its shape and type, its values, and (inherited) its attributes.
public final class HDF5Dataset: HDF5Object, @unchecked Sendable {
    private var handle: HDF5ValueHandle { HDF5ValueHandle(kind: .dataset, id: id, file: file, path: path) }

    /// Shape (`[]`: scalar) and value class.
    public func info() throws -> HDF5ValueInfo { try HDF5Library.locked { try handle.info() } }

    /// The values converted to `T` (any integer or float dataset).
    public func read<T: HDF5Scalar>(as type: T.Type) throws -> HDF5Array<T> {
        try HDF5Library.locked { try handle.readNumbers(as: type) }
    }

    /// The strings (fixed or variable length).
    public func readStrings() throws -> HDF5Array<String> {
        try HDF5Library.locked { try handle.readStrings() }
    }
}
