import Foundation

/// One received payload frame whose envelope (if any) has been checked (`FrameEnvelope.inspect`), on its way to the
/// body decoder: the raw bytes are produced only when asked, and arrays of numbers are copied out of the received frame
/// once, straight into their typed array (stored and narrowed frames), instead of first into raw bytes and then again.
/// On the step's serial path that is one copy less of a 1.1–1.7 MB gradient per RESULT (issue 11, item 3).
struct RawFrame {
    /// The frame as received (after LZ4, if it was compressed: `info` is then nil).
    let frame: [UInt8]
    /// The checked envelope; nil when the frame is its raw bytes.
    let info: FrameEnvelope.Info?
    let name: String

    /// Byte length once codec and filter are undone.
    var rawCount: Int { info?.rawLength ?? frame.count }

    /// The raw bytes.
    func bytes() throws(WireError) -> [UInt8] {
        guard let info else { return frame }
        return try FrameEnvelope.decode(frame, info: info, name: name)
    }

    /// The raw bytes read as little-endian `T`s; nil when the byte length is not a multiple of `T`'s width.
    func elements<T: FixedWidthInteger>(as: T.Type) throws(WireError) -> [T]? {
        try typed(T.self)
    }

    /// The raw bytes read as little-endian `f32`s; nil when the byte length is not a multiple of 4.
    func floats() throws(WireError) -> [Float]? {
        try typed(Float.self)
    }

    private func typed<T>(_: T.Type) throws(WireError) -> [T]? {
        let width = MemoryLayout<T>.size, n = rawCount
        guard n % width == 0 else { return nil }
        let count = n / width
        guard count > 0 else { return [] }
        switch info {
        case nil:
            return copied(frame, offset: 0, count: count)
        case let i? where i.codec == .stored && i.filter == .none:
            return copied(frame, offset: FrameEnvelope.size, count: count)
        case let i? where i.filter.narrows && i.filter.width == width:
            return [T](unsafeUninitializedCapacity: count) { out, initialized in
                FrameEnvelope.widen(frame, info: i, into: UnsafeMutableRawPointer(out.baseAddress!))
                initialized = count
            }
        default:
            return copied(try bytes(), offset: 0, count: count)
        }
    }

    private func copied<T>(_ bytes: [UInt8], offset: Int, count: Int) -> [T] {
        bytes.withUnsafeBytes { src in
            [T](unsafeUninitializedCapacity: count) { out, initialized in
                UnsafeMutableRawPointer(out.baseAddress!).copyMemory(from: src.baseAddress! + offset, byteCount: count * MemoryLayout<T>.size)
                initialized = count
            }
        }
    }
}
