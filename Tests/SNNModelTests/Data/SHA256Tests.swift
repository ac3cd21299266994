import SNNModel
import Testing

@Suite struct SHA256Tests {
    @Test func knownVectors() {
        let empty: [UInt8] = []
        #expect(empty.withUnsafeBytes { sha256Hex($0) } == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        let abc = Array("abc".utf8)
        #expect(abc.withUnsafeBytes { sha256Hex($0) } == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    @Test func floatDigestIsOfLittleEndianBytes() {
        // 1.0f = 0x3f800000 → bytes 00 00 80 3f.
        let bytes: [UInt8] = [0x00, 0x00, 0x80, 0x3f]
        #expect(sha256Hex([Float(1)]) == bytes.withUnsafeBytes { sha256Hex($0) })
        #expect(sha256Hex([Float(1), 2]) != sha256Hex([Float(2), 1]))
    }

    @Test func incrementalEqualsOneShot() {
        let bytes = (0..<1000).map { UInt8($0 % 251) }
        var hasher = SHA256Hasher()
        hasher.update(Array(bytes[..<333]))
        hasher.update(Array(bytes[333...]))
        #expect(hasher.finalHex() == bytes.withUnsafeBytes { sha256Hex($0) })
    }
}
