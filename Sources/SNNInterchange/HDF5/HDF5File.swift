import CHDF5
import Foundation

/// An open HDF5 file. `root` is its "/" group; the file closes when this value and every group or dataset
/// opened from it are gone (or at `close()`).
public final class HDF5File: @unchecked Sendable {
    /// The path on disk.
    public let path: String
    private var id: hid_t

    private init(path: String, id: hid_t) {
        self.path = path
        self.id = id
    }

    /// Opens an existing file, read-only unless `writable`.
    public static func open(_ path: String, writable: Bool = false) throws -> HDF5File {
        guard FileManager.default.fileExists(atPath: path) else {
            throw HDF5Error(file: path, path: "/", message: "no such file")
        }
        return try HDF5Library.locked {
            guard H5Fis_hdf5(path) > 0 else {
                _ = HDF5Library.lastErrorDescription()
                throw HDF5Error(file: path, path: "/", message: "not an HDF5 file")
            }
            let id = H5Fopen(path, writable ? snn_h5f_acc_rdwr() : snn_h5f_acc_rdonly(), snn_h5p_default())
            guard id >= 0 else {
                let detail = HDF5Library.lastErrorDescription().map { " (HDF5: \($0))" } ?? ""
                throw HDF5Error(file: path, path: "/", message: "cannot open" + detail)
            }
            return HDF5File(path: path, id: id)
        }
    }

    /// Creates a file, replacing an existing one unless `overwrite` is false.
    public static func create(_ path: String, overwrite: Bool = true) throws -> HDF5File {
        try HDF5Library.locked {
            let id = H5Fcreate(path, overwrite ? snn_h5f_acc_trunc() : snn_h5f_acc_excl(), snn_h5p_default(), snn_h5p_default())
            guard id >= 0 else {
                let detail = HDF5Library.lastErrorDescription().map { " (HDF5: \($0))" } ?? ""
                throw HDF5Error(file: path, path: "/", message: "cannot create" + detail)
            }
            return HDF5File(path: path, id: id)
        }
    }

    /// The root group "/".
    public func root() throws -> HDF5Group {
        try HDF5Library.locked {
            guard id >= 0 else { throw HDF5Error(file: path, path: "/", message: "file is closed") }
            let g = H5Gopen2(id, "/", snn_h5p_default())
            guard g >= 0 else { throw HDF5Error(file: path, path: "/", message: "cannot open the root group") }
            return HDF5Group(id: g, file: path, path: "/", owner: self)
        }
    }

    /// Writes everything buffered to disk.
    public func flush() throws {
        try HDF5Library.locked {
            guard id >= 0, H5Fflush(id, H5F_SCOPE_GLOBAL) >= 0 else {
                throw HDF5Error(file: path, path: "/", message: "cannot flush")
            }
        }
    }

    /// Closes the file now (objects still open from it keep it open until they go). Idempotent.
    public func close() {
        HDF5Library.locked {
            if id >= 0 { _ = H5Fclose(id) }
            id = -1
        }
    }

    deinit { close() }
}
