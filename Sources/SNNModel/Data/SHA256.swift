import CSodium

/// libsodium must be initialised once per process before its hash functions are used; Swift runs this
/// global's initialiser exactly once, thread-safely, on first use.
private let sodiumReady: Bool = sodium_init() >= 0

/// Incremental SHA-256 (libsodium `crypto_hash_sha256`), for digests of data that arrives in pieces.
public struct SHA256Hasher {
    private var state = crypto_hash_sha256_state()

    public init() {
        precondition(sodiumReady, "sodium_init() failed")
        crypto_hash_sha256_init(&state)
    }

    /// Feeds `bytes` into the digest.
    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        crypto_hash_sha256_update(&state, base.assumingMemoryBound(to: UInt8.self), UInt64(bytes.count))
    }

    /// Feeds `bytes` into the digest.
    public mutating func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { update($0) }
    }

    /// Ends the digest and returns it as 64 lower-case hex characters.
    public mutating func finalHex() -> String {
        var digest = [UInt8](repeating: 0, count: Int(crypto_hash_sha256_BYTES))
        crypto_hash_sha256_final(&state, &digest)
        return hexString(digest)
    }
}

/// Lower-case hex SHA-256 of `bytes`. Used for dataset fingerprints and parameter digests, which peers
/// compare to prove they hold the same bytes.
public func sha256Hex(_ bytes: UnsafeRawBufferPointer) -> String {
    var hasher = SHA256Hasher()
    hasher.update(bytes)
    return hasher.finalHex()
}

/// Lower-case hex SHA-256 of the little-endian IEEE-754 bytes of `floats` (the same digest on every
/// machine, whatever its byte order).
public func sha256Hex(_ floats: [Float]) -> String {
    #if _endian(little)
    return floats.withUnsafeBytes { sha256Hex($0) }
    #else
    let littleEndian = floats.map { $0.bitPattern.littleEndian }
    return littleEndian.withUnsafeBytes { sha256Hex($0) }
    #endif
}

/// `bytes` as lower-case hex, two characters per byte.
func hexString(_ bytes: [UInt8]) -> String {
    let digits = Array("0123456789abcdef".utf8)
    var out = [UInt8]()
    out.reserveCapacity(bytes.count * 2)
    for b in bytes {
        out.append(digits[Int(b >> 4)])
        out.append(digits[Int(b & 15)])
    }
    return String(decoding: out, as: UTF8.self)
}
