import Foundation
import SNNCore
import SNNModel
#if canImport(Glibc)
import Glibc
#endif

/// Everything needed to continue a run bit-identically: parameters, running state, optimizer state and the
/// epoch/step cursor (the RNG needs nothing more: every draw is keyed by (seed, epoch, sample)).
///
/// File layout: the 8 bytes "SNNCKPT2", a little-endian UInt64 header length, a JSON header (run id, spec, cursor,
/// counts, data fingerprint), the float32 arrays (parameters, state, optimizer buffers) little-endian, and last
/// 64 ASCII hex digits: the SHA-256 of every byte before them. A checkpoint whose checksum does not match is
/// refused, so a flipped byte can never resume silently into another model. Written atomically: temp file,
/// fsync, rename, fsync of the directory.
public struct Checkpoint: Sendable, Equatable {
    public var runID: String
    public var specJSON: String
    public var epoch: Int, step: Int, iteration: Int
    public var version: UInt64
    public var parameters: [Float]
    public var state: [Float]
    public var optimizer: OptimizerState
    /// The training/test data the run was trained on (`BuildIdentity.dataFingerprint`, which covers `--limit`);
    /// resuming on other data is refused. Nil in checkpoints that did not record it.
    public var dataFingerprint: String? = nil
    /// The `--limit` the run was started with (for the refusal message); nil = the full data set.
    public var limit: Int? = nil
    /// The current epoch's training event counters so far (the `EventLedger` flattened: cells in index order,
    /// `EventCounts.fieldNames` per cell) and the training samples they cover, so the energy of an epoch that was
    /// interrupted and resumed covers all of its samples. Nil in checkpoints that did not record them.
    public var trainLedger: [Int64]? = nil
    public var trainSamples: Int? = nil

    public init(runID: String, specJSON: String, epoch: Int, step: Int, iteration: Int, version: UInt64,
                parameters: [Float], state: [Float], optimizer: OptimizerState,
                dataFingerprint: String? = nil, limit: Int? = nil, trainLedger: [Int64]? = nil, trainSamples: Int? = nil) {
        self.runID = runID; self.specJSON = specJSON; self.epoch = epoch; self.step = step; self.iteration = iteration
        self.version = version; self.parameters = parameters; self.state = state; self.optimizer = optimizer
        self.dataFingerprint = dataFingerprint; self.limit = limit
        self.trainLedger = trainLedger; self.trainSamples = trainSamples
    }

    struct Header: Codable {
        var format = 2
        var runID: String, specJSON: String
        var epoch: Int, step: Int, iteration: Int, version: UInt64
        var parameters: Int, state: Int, optimizerStep: Int, optimizerBuffers: [Int]
        var dataFingerprint: String?
        var limit: Int?
        var trainLedger: [Int64]?
        var trainSamples: Int?
        /// Values of the update quantization's carried error (`OptimizerState.residual`), after the optimizer buffers;
        /// absent when updates are exact.
        var residual: Int?
    }

    static let magic = Array("SNNCKPT2".utf8)
    static let olderMagic = Array("SNNCKPT1".utf8)
    /// Length of the checksum trailer (hex SHA-256).
    static let checksumBytes = 64

    public func write(to path: String) throws(CheckpointError) {
        let header = Header(runID: runID, specJSON: specJSON, epoch: epoch, step: step, iteration: iteration,
                            version: version, parameters: parameters.count, state: state.count,
                            optimizerStep: optimizer.step, optimizerBuffers: optimizer.buffers.map(\.count),
                            dataFingerprint: dataFingerprint, limit: limit, trainLedger: trainLedger, trainSamples: trainSamples,
                            residual: optimizer.residual.isEmpty ? nil : optimizer.residual.count)
        guard let json = try? JSONEncoder().encode(header) else { throw CheckpointError("cannot encode checkpoint header") }
        var bytes = Checkpoint.magic
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { bytes += $0 }
        bytes += json
        for arr in [parameters, state] + optimizer.buffers + [optimizer.residual] { arr.withUnsafeBytes { bytes += $0 } }
        bytes += Array(bytes.withUnsafeBytes { sha256Hex($0) }.utf8)
        try Checkpoint.atomicWrite(bytes, to: path)
    }

    public static func read(from path: String) throws(CheckpointError) -> Checkpoint {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CheckpointError("\(path): cannot read checkpoint (missing or unreadable)")
        }
        var b = [UInt8](data)
        if b.count >= 8, Array(b[0..<8]) == olderMagic {
            throw CheckpointError("\(path): checkpoint format 1 (no checksum) is no longer read; start the run again")
        }
        guard b.count >= 16 + checksumBytes, Array(b[0..<8]) == magic else {
            throw CheckpointError("\(path): not an snn-cluster checkpoint")
        }
        let stored = String(decoding: b.suffix(checksumBytes), as: UTF8.self)
        b.removeLast(checksumBytes)
        guard b.withUnsafeBytes({ sha256Hex($0) }) == stored else {
            throw CheckpointError("\(path): checkpoint is corrupt (SHA-256 checksum mismatch); resume from an intact copy or start the run again")
        }
        let hlen = b[8..<16].withUnsafeBytes { Int(UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self))) }
        guard hlen > 0, 16 + hlen <= b.count,
              let h = try? JSONDecoder().decode(Header.self, from: Data(b[16..<(16 + hlen)])) else {
            throw CheckpointError("\(path): corrupt checkpoint header")
        }
        var off = 16 + hlen
        func floats(_ n: Int) throws(CheckpointError) -> [Float] {
            guard n >= 0, off + 4 * n <= b.count else { throw CheckpointError("\(path): checkpoint is truncated") }
            let out = [Float](unsafeUninitializedCapacity: n) { buf, c in
                b.withUnsafeBytes { src in
                    UnsafeMutableRawBufferPointer(buf).copyMemory(from: UnsafeRawBufferPointer(rebasing: src[off..<(off + 4 * n)]))
                }
                c = n
            }
            off += 4 * n
            return out
        }
        let p = try floats(h.parameters), s = try floats(h.state)
        var bufs: [[Float]] = []
        for n in h.optimizerBuffers { bufs.append(try floats(n)) }
        let residual = try floats(h.residual ?? 0)
        guard off == b.count else { throw CheckpointError("\(path): checkpoint has trailing bytes") }
        var opt = OptimizerState(kind: .sgd(momentum: 0, weightDecay: 0, nesterov: false), parameterCount: 0)
        opt.step = h.optimizerStep; opt.buffers = bufs; opt.residual = residual
        return Checkpoint(runID: h.runID, specJSON: h.specJSON, epoch: h.epoch, step: h.step, iteration: h.iteration,
                          version: h.version, parameters: p, state: s, optimizer: opt,
                          dataFingerprint: h.dataFingerprint, limit: h.limit, trainLedger: h.trainLedger, trainSamples: h.trainSamples)
    }

    /// temp file in the same directory → write → fsync → rename → fsync(directory).
    static func atomicWrite(_ bytes: [UInt8], to path: String) throws(CheckpointError) {
        let dir = (path as NSString).deletingLastPathComponent
        if !dir.isEmpty { try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) }
        let tmp = path + ".tmp-\(getpid())"
        let fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw CheckpointError("\(tmp): cannot create (\(String(cString: strerror(errno))))") }
        var written = 0
        let ok = bytes.withUnsafeBytes { p -> Bool in
            while written < p.count {
                let n = Glibc.write(fd, p.baseAddress! + written, p.count - written)
                if n <= 0 { return false }
                written += n
            }
            return fsync(fd) == 0
        }
        close(fd)
        guard ok else { unlink(tmp); throw CheckpointError("\(tmp): write failed (\(String(cString: strerror(errno))))") }
        guard rename(tmp, path) == 0 else { unlink(tmp); throw CheckpointError("\(path): rename failed") }
        let dfd = open(dir.isEmpty ? "." : dir, O_RDONLY)
        if dfd >= 0 { fsync(dfd); close(dfd) }
    }
}

public struct CheckpointError: Error, CustomStringConvertible {
    public let description: String
    public init(_ d: String) { description = d }
}
