import CZeroMQ
import Foundation

/// A problem with a CURVE key or key file, as one line naming the file and the fix.
public struct CurveKeyError: Error, CustomStringConvertible, Sendable, Equatable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// A CURVE key pair as 40-character Z85 strings (what `zmq_curve_keypair` produces and the
/// `ZMQ_CURVE_*KEY` socket options take).
///
/// Key file format: two lines, `public=<Z85>` and `secret=<Z85>`; the file is written with mode 0600 and
/// refused on load when group or others can read it (like ssh does for private keys).
public struct CurveKeyPair: Sendable, Equatable {
    public let publicKey: String
    public let secretKey: String

    /// A pair from its two keys; throws unless both are valid Z85 keys and the public key belongs to the
    /// secret key.
    public init(publicKey: String, secretKey: String) throws(CurveKeyError) {
        guard Self.isValidKey(publicKey) else { throw CurveKeyError("public key is not a 40-character Z85 CURVE key") }
        guard Self.isValidKey(secretKey) else { throw CurveKeyError("secret key is not a 40-character Z85 CURVE key") }
        guard let derived = Self.publicKey(forSecret: secretKey), derived == publicKey else {
            throw CurveKeyError("public key does not belong to the secret key")
        }
        self.publicKey = publicKey
        self.secretKey = secretKey
    }

    private init(unchecked publicKey: String, secretKey: String) {
        self.publicKey = publicKey
        self.secretKey = secretKey
    }

    /// A fresh random pair (`zmq_curve_keypair`; needs libzmq built with CURVE, as Debian's is).
    public static func generate() throws(CurveKeyError) -> CurveKeyPair {
        var pub = [CChar](repeating: 0, count: 41)
        var sec = [CChar](repeating: 0, count: 41)
        guard zmq_curve_keypair(&pub, &sec) == 0 else {
            throw CurveKeyError("zmq_curve_keypair failed: libzmq has no CURVE support (zmq_has(\"curve\") = \(zmq_has("curve")))")
        }
        return CurveKeyPair(unchecked: string(pub), secretKey: string(sec))
    }

    /// Whether `key` is a 40-character Z85 string that decodes to 32 bytes.
    public static func isValidKey(_ key: String) -> Bool {
        guard key.utf8.count == 40, key.utf8.allSatisfy({ z85Alphabet.contains($0) }) else { return false }
        var out = [UInt8](repeating: 0, count: 32)
        return key.withCString { zmq_z85_decode(&out, $0) } != nil
    }

    /// The Z85 public key of a Z85 secret key, or nil when the secret key is invalid.
    public static func publicKey(forSecret secretKey: String) -> String? {
        guard isValidKey(secretKey) else { return nil }
        var pub = [CChar](repeating: 0, count: 41)
        let rc = secretKey.withCString { zmq_curve_public(&pub, $0) }
        return rc == 0 ? string(pub) : nil
    }

    /// The Z85 text of a 32-byte binary key (as ZAP passes client keys), or nil for other lengths.
    public static func z85(_ binaryKey: [UInt8]) -> String? {
        guard binaryKey.count == 32 else { return nil }
        var out = [CChar](repeating: 0, count: 41)
        return zmq_z85_encode(&out, binaryKey, 32) == nil ? nil : string(out)
    }

    // MARK: files

    /// Reads a key file (`public=` / `secret=` lines; blank lines and `#` comments ignored).
    public static func load(path: String) throws(CurveKeyError) -> CurveKeyPair {
        var info = stat()
        guard stat(path, &info) == 0 else { throw CurveKeyError("cannot read key file \(path): \(String(cString: strerror(errno)))") }
        if info.st_mode & 0o077 != 0 {
            throw CurveKeyError("key file \(path) is readable by group or others (mode \(String(info.st_mode & 0o777, radix: 8))); run chmod 600 \(path)")
        }
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw CurveKeyError("cannot read key file \(path)")
        }
        var pub: String?
        var sec: String?
        for (n, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            if line.hasPrefix("public=") { pub = String(line.dropFirst(7)) }
            else if line.hasPrefix("secret=") { sec = String(line.dropFirst(7)) }
            else { throw CurveKeyError("key file \(path) line \(n + 1): expected public=… or secret=…") }
        }
        guard let pub, let sec else { throw CurveKeyError("key file \(path) needs both a public= and a secret= line") }
        do {
            return try CurveKeyPair(publicKey: pub, secretKey: sec)
        } catch {
            throw CurveKeyError("key file \(path): \(error.message)")
        }
    }

    /// Writes the pair to `path` with mode 0600, atomically (temporary file, fsync, rename).
    public func save(path: String) throws(CurveKeyError) {
        try Self.writeAtomically("public=\(publicKey)\nsecret=\(secretKey)\n", to: path, mode: 0o600)
    }

    /// Writes only `public=<key>` to `path` (mode 0644): the line to add to a coordinator's allow-list.
    public func savePublic(path: String) throws(CurveKeyError) {
        try Self.writeAtomically("public=\(publicKey)\n", to: path, mode: 0o644)
    }

    /// The keygen helper: a fresh pair saved to `path` (0600) and its public half to `path.pub` (0644).
    @discardableResult
    public static func generateFiles(path: String) throws(CurveKeyError) -> CurveKeyPair {
        let pair = try generate()
        try pair.save(path: path)
        try pair.savePublic(path: path + ".pub")
        return pair
    }

    private static func writeAtomically(_ text: String, to path: String, mode: mode_t) throws(CurveKeyError) {
        let temp = path + ".tmp-\(getpid())"
        let fd = open(temp, O_WRONLY | O_CREAT | O_TRUNC, mode)
        guard fd >= 0 else { throw CurveKeyError("cannot write key file \(temp): \(String(cString: strerror(errno)))") }
        let bytes = Array(text.utf8)
        let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        let ok = written == bytes.count && fchmod(fd, mode) == 0 && fsync(fd) == 0
        Glibc.close(fd)
        guard ok, rename(temp, path) == 0 else {
            unlink(temp)
            throw CurveKeyError("cannot write key file \(path): \(String(cString: strerror(errno)))")
        }
    }

    private static let z85Alphabet: Set<UInt8> =
        Set("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#".utf8)

    private static func string(_ chars: [CChar]) -> String {
        String(decoding: chars.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// The set of client public keys a CURVE server admits (through its `ZAPAuthenticator`).
///
/// File format: one Z85 key per line, or `public=<key>` lines (so `.pub` files can simply be
/// concatenated); blank lines and `#` comments ignored; a `secret=` line is an error (never put secret
/// keys in an allow-list).
public struct CurveAllowList: Sendable, Equatable {
    public private(set) var keys: Set<String>

    public init<S: Sequence>(keys: S) throws(CurveKeyError) where S.Element == String {
        var set = Set<String>()
        for k in keys {
            guard CurveKeyPair.isValidKey(k) else { throw CurveKeyError("allow-list entry \(k.prefix(48)) is not a Z85 CURVE public key") }
            set.insert(k)
        }
        self.keys = set
    }

    public func contains(_ key: String) -> Bool { keys.contains(key) }

    public static func load(path: String) throws(CurveKeyError) -> CurveAllowList {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw CurveKeyError("cannot read allow-list \(path)")
        }
        var keys: [String] = []
        for (n, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            var line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            if line.hasPrefix("secret=") { throw CurveKeyError("allow-list \(path) line \(n + 1) holds a secret key; list public keys only") }
            if line.hasPrefix("public=") { line = String(line.dropFirst(7)) }
            guard CurveKeyPair.isValidKey(line) else {
                throw CurveKeyError("allow-list \(path) line \(n + 1) is not a Z85 CURVE public key")
            }
            keys.append(line)
        }
        return try CurveAllowList(keys: keys)
    }
}
