import Foundation

#if _endian(big)
#error("The wire format is little-endian and ArrayBytes copies memory as is; port ArrayBytes for big-endian hosts.")
#endif

/// Conversions between arrays of fixed-width numbers and their little-endian bytes.
///
/// The host is little-endian (checked at compile time above), so each conversion is one `memcpy`; element
/// counts are decided by the caller, which has already checked the byte length (`count * width`).
public enum ArrayBytes {
    /// The little-endian bytes of `values`.
    public static func bytes<T: FixedWidthInteger>(of values: [T]) -> [UInt8] {
        values.withUnsafeBytes { Array($0) }
    }

    /// The little-endian bytes of `values` (IEEE-754 bit patterns).
    public static func bytes(of values: [Float]) -> [UInt8] {
        values.withUnsafeBytes { Array($0) }
    }

    /// The elements stored in `bytes`, or nil when its length is not a multiple of the element width.
    public static func integers<T: FixedWidthInteger>(_ bytes: [UInt8], as: T.Type = T.self) -> [T]? {
        let width = MemoryLayout<T>.size
        guard bytes.count % width == 0 else { return nil }
        let n = bytes.count / width
        return [T](unsafeUninitializedCapacity: n) { buffer, initialized in
            bytes.withUnsafeBytes { src in
                if n > 0, let base = buffer.baseAddress, let s = src.baseAddress {
                    memcpy(base, s, n * width)
                }
            }
            initialized = n
        }
    }

    /// The `Float`s stored in `bytes`, or nil when its length is not a multiple of 4.
    public static func floats(_ bytes: [UInt8]) -> [Float]? {
        guard bytes.count % 4 == 0 else { return nil }
        let n = bytes.count / 4
        return [Float](unsafeUninitializedCapacity: n) { buffer, initialized in
            bytes.withUnsafeBytes { src in
                if n > 0, let base = buffer.baseAddress, let s = src.baseAddress {
                    memcpy(base, s, n * 4)
                }
            }
            initialized = n
        }
    }

    /// Index of the first NaN or infinity in `values`, or nil when all are finite.
    public static func firstNonFinite(_ values: [Float]) -> Int? {
        values.withUnsafeBufferPointer { buffer in
            // Branch-free scan first (vectorises); locate only when something was found.
            var allFinite = true
            for x in buffer { allFinite = allFinite && x.isFinite }
            if allFinite { return nil }
            return buffer.firstIndex { !$0.isFinite }
        }
    }
}
