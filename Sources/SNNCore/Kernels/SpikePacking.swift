// Bit-packing of 0/1 spike tensors for the wire: 32× smaller than floats before LZ4 even sees them.
//
// Bit `i % 8` (least significant first) of byte `i / 8` is spike `i`; a spike is any nonzero value (a ±1 Poisson
// input spike packs as 1, so sign-carrying tensors need their sign sent separately). Unused high bits of the last
// byte are 0. Packing handles 16 values per step from a bit-cast comparison mask (SWIFT-NOTES §4c).

/// Packs `count` values into `(count + 7)/8` bytes.
public func packSpikes(_ s: UnsafePointer<Float>, count: Int) -> [UInt8] {
    precondition(count >= 0)
    let byteCount = (count + 7) / 8
    guard byteCount > 0 else { return [] }
    return [UInt8](unsafeUninitializedCapacity: byteCount) { bytes, initialized in
        packSpikes(s, count: count, into: bytes.baseAddress!)
        initialized = byteCount
    }
}

/// Packs `count` values into `(count + 7)/8` bytes at `bytes`.
public func packSpikes(_ s: UnsafePointer<Float>, count: Int, into bytes: UnsafeMutablePointer<UInt8>) {
    let weights = bitWeights
    var i = 0
    while i + 16 <= count {
        let m = load16(s + i) .!= Vec16(repeating: 0)
        let bits = UInt16(truncatingIfNeeded: (unsafeBitCast(m, to: SIMD16<Int32>.self) & weights).wrappedSum())
        bytes[i / 8] = UInt8(truncatingIfNeeded: bits)
        bytes[i / 8 + 1] = UInt8(truncatingIfNeeded: bits >> 8)
        i += 16
    }
    var byte: UInt8 = 0
    while i < count {
        if s[i] != 0 { byte |= 1 << UInt8(i % 8) }
        i += 1
        if i % 8 == 0 || i == count {
            bytes[(i - 1) / 8] = byte
            byte = 0
        }
    }
}

/// Unpacks `count` spikes (0 or 1) from `bytes` (at least `(count + 7)/8` of them).
public func unpackSpikes(_ bytes: [UInt8], count: Int) -> [Float] {
    precondition(count >= 0 && bytes.count >= (count + 7) / 8, "\(bytes.count) bytes cannot hold \(count) spikes")
    return [Float](unsafeUninitializedCapacity: count) { out, initialized in
        bytes.withUnsafeBufferPointer { b in
            if count > 0 { unpackSpikes(b.baseAddress!, count: count, into: out.baseAddress!) }
        }
        initialized = count
    }
}

/// Unpacks `count` spikes (0 or 1) from `bytes` into `output`.
public func unpackSpikes(_ bytes: UnsafePointer<UInt8>, count: Int, into output: UnsafeMutablePointer<Float>) {
    let weights = bitWeights
    var i = 0
    while i + 16 <= count {
        let bits = Int32(bytes[i / 8]) | Int32(bytes[i / 8 + 1]) << 8
        store16(ones16(where: (SIMD16<Int32>(repeating: bits) & weights) .!= SIMD16<Int32>(repeating: 0)), output + i)
        i += 16
    }
    while i < count {
        output[i] = (bytes[i / 8] >> UInt8(i % 8)) & 1 == 0 ? 0 : 1
        i += 1
    }
}

/// Lane l holds 2^l: the bit of value l within two packed bytes.
private let bitWeights = SIMD16<Int32>(1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768)
