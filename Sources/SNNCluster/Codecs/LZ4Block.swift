import CLZ4

/// LZ4 block compression (liblz4's block API) with decompression bounded by a declared raw size.
///
/// The block format does not store the uncompressed size, so the wire stores it in the frame envelope and
/// the receiver checks it against a limit *before* allocating, then demands that decompression fills
/// exactly that many bytes.
public enum LZ4Block {
    /// The largest input liblz4 accepts (`LZ4_MAX_INPUT_SIZE`).
    public static let maxInputSize = Int(LZ4_MAX_INPUT_SIZE)

    /// An LZ4 block cannot expand data more than about 255:1 (a match length costs one byte per 255);
    /// a block of `compressedLength` bytes claiming more than this is corrupt and rejected unallocated.
    public static func maxRawLength(compressedLength: Int) -> Int {
        compressedLength.multipliedReportingOverflow(by: 255).overflow
            ? Int.max : compressedLength * 255 + 64
    }

    /// `src` compressed with `LZ4_compress_default`; nil when the input is too large for liblz4 or it fails.
    /// The result may be longer than `src` (incompressible data); callers decide whether to use it.
    public static func compress(_ src: [UInt8]) -> [UInt8]? {
        guard src.count <= maxInputSize else { return nil }
        let bound = Int(LZ4_compressBound(Int32(src.count)))
        guard bound > 0 else { return nil }
        var written: Int32 = 0
        let out = [UInt8](unsafeUninitializedCapacity: bound) { dst, initialized in
            initialized = 0
            guard let d = dst.baseAddress else { return }
            src.withUnsafeBytes { s in
                written = LZ4_compress_default(
                    s.baseAddress?.assumingMemoryBound(to: CChar.self),
                    UnsafeMutableRawPointer(d).assumingMemoryBound(to: CChar.self),
                    Int32(src.count), Int32(bound))
            }
            initialized = max(0, Int(written))
        }
        return written > 0 ? out : nil
    }

    /// Decompresses `src` (an LZ4 block) that must expand to exactly `rawLength` bytes, `rawLength ≤ limit`.
    public static func decompress(_ src: ArraySlice<UInt8>, rawLength: Int, limit: Int)
        throws(WireError) -> [UInt8]
    {
        guard rawLength >= 0, rawLength <= limit else {
            throw WireError(.tooLarge, "LZ4 block declares \(rawLength) raw bytes, limit \(limit)")
        }
        guard !src.isEmpty, src.count <= maxInputSize else {
            throw WireError(.badCompression, "LZ4 block of \(src.count) bytes")
        }
        guard rawLength <= maxRawLength(compressedLength: src.count), rawLength <= maxInputSize else {
            throw WireError(.badCompression,
                            "LZ4 block of \(src.count) bytes cannot expand to the declared \(rawLength) bytes")
        }
        var produced: Int32 = -1
        // Capacity ≥ 1 so the destination pointer is never nil, even for an empty declared size.
        let out = [UInt8](unsafeUninitializedCapacity: max(rawLength, 1)) { dst, initialized in
            initialized = 0
            guard let d = dst.baseAddress else { return }
            src.withUnsafeBytes { s in
                produced = LZ4_decompress_safe(
                    s.baseAddress?.assumingMemoryBound(to: CChar.self),
                    UnsafeMutableRawPointer(d).assumingMemoryBound(to: CChar.self),
                    Int32(src.count), Int32(rawLength))
            }
            initialized = produced == Int32(rawLength) ? rawLength : 0
        }
        guard produced == Int32(rawLength) else {
            throw WireError(.badCompression,
                            produced < 0 ? "LZ4 block is corrupt or larger than its declared \(rawLength) bytes"
                                         : "LZ4 block expands to \(produced) bytes, declared \(rawLength)")
        }
        return out
    }
}
