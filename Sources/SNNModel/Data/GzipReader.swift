import CSystemZlib
import Foundation

/// Reads a whole file through zlib's gz* API, which inflates gzip files and passes plain files through
/// unchanged (zlib's "transparent" mode), so callers accept `x.gz` and `x` alike.
enum GzipReader {
    /// The file's decompressed bytes. Gzip data is pre-sized from the ISIZE trailer (the uncompressed size
    /// modulo 2^32, last 4 bytes) and read with one `gzread`; if the trailer lies (multi-member files,
    /// sizes ≥ 4 GiB) the buffer grows. Throws a one-line `DataError` for unreadable or corrupt files.
    static func readAll(path: String) throws(DataError) -> [UInt8] {
        let hint = sizeHint(path: path)
        guard let gz = gzopen(path, "rb") else {
            let reason = String(cString: strerror(errno))
            throw DataError("\(path): cannot be opened (\(reason)); check its permissions or pass --data DIR")
        }
        defer { gzclose(gz) }
        _ = gzbuffer(gz, 1 << 17)

        // One read into an uninitialised buffer one byte larger than the hint: a short read is the normal
        // end; a full one means the hint was low and we continue in chunks.
        var filled = 0
        var readFailed = false
        var out = [UInt8](unsafeUninitializedCapacity: hint + 1) { buffer, count in
            while filled < buffer.count {
                let want = UInt32(min(buffer.count - filled, 1 << 30))
                let n = gzread(gz, buffer.baseAddress! + filled, want)
                if n < 0 { readFailed = true; break }
                if n == 0 { break }
                filled += Int(n)
            }
            count = filled
        }
        if !readFailed && filled == hint + 1 {
            var chunk = [UInt8](repeating: 0, count: 1 << 20)
            while true {
                let n = gzread(gz, &chunk, UInt32(chunk.count))
                if n < 0 { readFailed = true; break }
                if n == 0 { break }
                out += chunk[..<Int(n)]
            }
        }
        var code: Int32 = Z_OK
        let message = gzerror(gz, &code).map { String(cString: $0) } ?? ""
        if readFailed || code != Z_OK {
            if code == Z_BUF_ERROR {
                throw DataError("\(path): truncated gzip data (\(message)); re-download the file or reinstall the dataset")
            }
            if code == Z_ERRNO {
                let reason = String(cString: strerror(errno))
                throw DataError("\(path): read error (\(reason)); check the file and the disk")
            }
            throw DataError("\(path): corrupt gzip data (zlib: \(message)); re-download the file or reinstall the dataset")
        }
        return out
    }

    /// Expected decompressed size: gzip's ISIZE trailer for gzip files, the file size otherwise.
    /// Only a hint; 0 when the file cannot be inspected.
    static func sizeHint(path: String) -> Int {
        guard let file = fopen(path, "rb") else { return 0 }
        defer { fclose(file) }
        var magic = [UInt8](repeating: 0, count: 2)
        guard fread(&magic, 1, 2, file) == 2 else { return 2 }
        guard fseeko(file, 0, SEEK_END) == 0 else { return 0 }
        let size = Int(ftello(file))
        guard magic == [0x1f, 0x8b] else { return max(size, 0) }
        guard size >= 18, fseeko(file, -4, SEEK_END) == 0 else { return 0 }
        var trailer = [UInt8](repeating: 0, count: 4)
        guard fread(&trailer, 1, 4, file) == 4 else { return 0 }
        let isize = Int(trailer[0]) | Int(trailer[1]) << 8 | Int(trailer[2]) << 16 | Int(trailer[3]) << 24
        // A corrupt trailer must not make us allocate gigabytes: deflate expands at most ~1032:1.
        return min(isize, size * 1032)
    }
}
