import Foundation
import SNNMethods

/// One payload frame before compression.
struct PayloadFrame {
    var name: String
    /// Filter applied before LZ4.
    var filter: FrameEnvelope.Filter
    /// The frame's elements when they are integers a stored frame may narrow (§3.3 filters 13, 14), kept as the array
    /// itself so that a narrowed frame is written from it in one pass, without first copying its raw bytes.
    var integers: Integers?
    private var stored: [UInt8]

    enum Integers {
        case int64([Int64])
        case uint32([UInt32])
    }

    init(name: String, bytes: [UInt8], filter: FrameEnvelope.Filter) {
        self.name = name; self.filter = filter; stored = bytes; integers = nil
    }

    /// An `i64` frame (raw bytes: the little-endian elements) that may travel narrowed when stored.
    init(name: String, int64s: [Int64], filter: FrameEnvelope.Filter) {
        self.name = name; self.filter = filter; stored = []; integers = .int64(int64s)
    }

    /// A `u32` frame that may travel narrowed when stored.
    init(name: String, uint32s: [UInt32], filter: FrameEnvelope.Filter) {
        self.name = name; self.filter = filter; stored = []; integers = .uint32(uint32s)
    }

    /// The raw bytes (copied out of `integers` when the frame holds them).
    var bytes: [UInt8] {
        switch integers {
        case .int64(let v): ArrayBytes.bytes(of: v)
        case .uint32(let v): ArrayBytes.bytes(of: v)
        case nil: stored
        }
    }

    var byteCount: Int {
        switch integers {
        case .int64(let v): v.count * 8
        case .uint32(let v): v.count * 4
        case nil: stored.count
        }
    }

    /// This frame narrowed (§3.3 filter 13 or 14, stored), or nil when it holds no integers or narrowing saves nothing.
    func narrowed() -> [UInt8]? {
        switch integers {
        case .int64(let v): FrameEnvelope.narrowed(v)
        case .uint32(let v): FrameEnvelope.narrowed(v)
        case nil: nil
        }
    }
}

/// The per-type payload layouts of PROTOCOL.md §5: message → raw payload frames and back. Counts in bodies
/// are cross-checked against the byte length of the frames holding the elements.
enum WireBodies {
    static func encode(_ message: Message) -> [PayloadFrame] {
        var w = ByteWriter()
        let name = "\(message.kind) body"
        switch message {
        case .hello(let h):
            w.uuid(h.workerId)
            w.u16(h.protocolVersion)
            w.u16(h.threads)
            w.string(h.name)
            w.string(h.buildID)
            w.string(h.datasetFingerprint)
            w.lengthPrefixed(h.resumeToken ?? [])
            return [PayloadFrame(name: name, bytes: w.bytes, filter: .none)]
        case .welcome(let m):
            w.u32(m.heartbeatIntervalMs)
            w.u32(m.deadWorkerTimeoutMs)
            w.u64(m.parameterVersion)
            return [PayloadFrame(name: name, bytes: w.bytes, filter: .none),
                    PayloadFrame(name: "WELCOME spec", bytes: m.specJSON, filter: .none)]
        case .refuse(let r):
            w.u16(r.code.rawValue)
            w.string(r.reason)
            return [PayloadFrame(name: name, bytes: w.bytes, filter: .none)]
        case .requestWork(let r):
            w.u16(r.freeSlots)
            w.u64(r.knownParameterVersion)
            return [PayloadFrame(name: name, bytes: w.bytes, filter: .none)]
        case .work(let a):
            writeKey(a.key, into: &w)   // epoch, step, micro-batch, phase: offsets 0–12
            w.u8(a.key.phase.splitByte)  // split: the phase's (0 train for train and eccLambda, 1 test for the others)
            w.u8(a.parametersKind.rawValue)
            w.u8(0)
            w.u64(a.parameterVersion)
            w.u64(a.seed)
            w.u32(UInt32(truncatingIfNeeded: a.sampleIndices.count))
            w.u32(UInt32(truncatingIfNeeded: a.values?.parameters.count ?? a.delta?.parameters.count ?? a.update?.codes.count ?? 0))
            w.u32(UInt32(truncatingIfNeeded: a.values?.state.count ?? a.delta?.state.count ?? a.update?.state.count ?? 0))
            w.u64(a.delta?.baseVersion ?? a.update?.baseVersion ?? 0)
            w.u64(a.delta?.checksum ?? a.update?.checksum ?? a.values.map(ValuesChecksum.of) ?? 0)
            var frames = [PayloadFrame(name: name, bytes: w.bytes, filter: .none),
                          PayloadFrame(name: "WORK samples", bytes: ArrayBytes.bytes(of: a.sampleIndices), filter: .shuffle4)]
            if let v = a.values {
                frames.append(PayloadFrame(name: "WORK parameters", bytes: ArrayBytes.bytes(of: v.parameters), filter: .bitShuffle4))
                frames.append(PayloadFrame(name: "WORK state", bytes: ArrayBytes.bytes(of: v.state), filter: .bitShuffle4))
            } else if let d = a.delta {
                frames.append(PayloadFrame(name: "WORK parameters", uint32s: d.parameters, filter: .bitShuffle4))
                frames.append(PayloadFrame(name: "WORK state", uint32s: d.state, filter: .bitShuffle4))
            } else if let u = a.update {
                frames.append(PayloadFrame(name: "WORK parameters", uint32s: u.codes, filter: .bitShuffle4))
                frames.append(PayloadFrame(name: "WORK state", uint32s: u.state, filter: .bitShuffle4))
                frames.append(PayloadFrame(name: "WORK exponents", bytes: u.exponents, filter: .none))
                var pairs = [UInt32](); pairs.reserveCapacity(2 * u.exceptionIndices.count)
                for (i, v) in zip(u.exceptionIndices, u.exceptionValues) { pairs.append(i); pairs.append(v) }
                frames.append(PayloadFrame(name: "WORK exceptions", uint32s: pairs, filter: .shuffle4))
            }
            return frames
        case .noWork(let n):
            w.u32(n.retryAfterMs)
            w.u16(n.reason.rawValue)
            return [PayloadFrame(name: name, bytes: w.bytes, filter: .none)]
        case .result(let r):
            writeKey(r.key, into: &w)
            w.zeros(3)
            w.u64(r.parameterVersion)
            w.u32(r.samples)
            w.u32(r.correct)
            w.f64(r.lossSum)
            w.u64(r.computeNanos)
            w.u32(UInt32(truncatingIfNeeded: r.gradient.count))
            w.u32(UInt32(truncatingIfNeeded: r.statistics.count / max(1, r.microBatches.count)))
            w.u32(UInt32(truncatingIfNeeded: r.counters.count))
            w.u32(UInt32(truncatingIfNeeded: r.spikesPerLayer.count))
            w.u32(r.steps)
            w.u32(UInt32(truncatingIfNeeded: r.microBatches.count))
            return [PayloadFrame(name: name, bytes: w.bytes, filter: .none),
                    PayloadFrame(name: "RESULT gradient", int64s: r.gradient, filter: .zigzagBitShuffle8),
                    PayloadFrame(name: "RESULT statistics", bytes: ArrayBytes.bytes(of: r.statistics), filter: .shuffle4),
                    PayloadFrame(name: "RESULT counters", bytes: ArrayBytes.bytes(of: r.counters), filter: .zigzagShuffle8),
                    PayloadFrame(name: "RESULT spikes", bytes: ArrayBytes.bytes(of: r.spikesPerLayer), filter: .zigzagShuffle8),
                    PayloadFrame(name: "RESULT micro-batches", bytes: ArrayBytes.bytes(of: r.microBatches.map { UInt32(truncatingIfNeeded: $0) }),
                                 filter: .shuffle4)]
        case .heartbeat(let h):
            w.u64(h.sentAtMs)
            w.u64(h.currentStep)
            w.u16(h.freeSlots)
            return [PayloadFrame(name: name, bytes: w.bytes, filter: .none)]
        case .bye(let b):
            w.string(b.reason)
            return [PayloadFrame(name: name, bytes: w.bytes, filter: .none)]
        case .error(let e):
            w.u16(e.code.rawValue)
            w.string(e.text)
            return [PayloadFrame(name: name, bytes: w.bytes, filter: .none)]
        case .spikeRaster(let s):
            s.encodeBody(into: &w)
            return [PayloadFrame(name: name, bytes: w.bytes, filter: .none),
                    PayloadFrame(name: "SPIKES bits", bytes: s.bits, filter: .none)]
        case .workFailed(let f):
            f.encodeBody(into: &w)
            return [PayloadFrame(name: name, bytes: w.bytes, filter: .none)]
        }
    }

    /// `raw` holds exactly the payload frames the kind allows, already decompressed and size-limited.
    static func decode(_ kind: MessageKind, _ raw: [RawFrame], runID: UUID?) throws(WireError) -> Message {
        var r = ByteReader((try raw[0].bytes()), frame: "\(kind) body")
        switch kind {
        case .hello:
            let workerId = try r.uuid("worker id")
            let version = try r.u16("protocol version")
            let threads = try r.u16("threads")
            let name = try r.string("name", max: WireLimits.maxNameBytes)
            let build = try r.string("build id", max: WireLimits.maxBuildIDBytes)
            let fingerprint = try r.string("dataset fingerprint", max: WireLimits.maxFingerprintBytes)
            let token = try r.lengthPrefixed("resume token", max: WireLimits.maxResumeTokenBytes)
            try r.finish()
            return .hello(Hello(workerId: workerId, name: name, threads: threads, protocolVersion: version,
                                buildID: build, datasetFingerprint: fingerprint,
                                resumeToken: token.isEmpty ? nil : token))
        case .welcome:
            let heartbeat = try r.u32("heartbeat interval")
            let timeout = try r.u32("dead-worker timeout")
            let version = try r.u64("parameter version")
            try r.finish()
            guard let runID else { throw WireError(.missingRunID, "WELCOME must carry the run id it assigns") }
            return .welcome(Welcome(runID: runID, heartbeatIntervalMs: heartbeat, deadWorkerTimeoutMs: timeout,
                                    specJSON: (try raw[1].bytes()), parameterVersion: version))
        case .refuse:
            let code = try enumValue(Refusal.Code.self, try r.u16("code"), "REFUSE code")
            let reason = try r.string("reason", max: WireLimits.maxTextBytes)
            try r.finish()
            return .refuse(Refusal(code: code, reason: reason))
        case .requestWork:
            let slots = try r.u16("free slots")
            let version = try r.u64("known parameter version")
            try r.finish()
            return .requestWork(WorkRequest(freeSlots: slots, knownParameterVersion: version))
        case .work:
            let key = try readKey(&r)
            let split = try r.u8("split")
            guard split == key.phase.splitByte else {
                throw WireError(.invalidValue, "WORK split \(split) does not match its phase \(key.phase) (split 0, train, for train and eccLambda; 1, test, for evaluate and the other ECC phases)")
            }
            let kindByte = try r.u8("parameters")
            guard let kind = WorkAssignment.ParametersKind(rawValue: kindByte) else {
                throw WireError(.invalidValue, "WORK parameters byte \(kindByte) is not defined (0 none, 1 full, 2 delta, 3 update)")
            }
            try r.reserved(1)
            let version = try r.u64("parameter version")
            let seed = try r.u64("seed")
            let sampleCount = Int(try r.u32("sample count"))
            let parameterCount = Int(try r.u32("parameter count"))
            let stateCount = Int(try r.u32("state count"))
            let base = try r.u64("base version")
            let checksum = try r.u64("checksum")
            try r.finish()
            let expectedFrames = kind == .none ? 2 : kind == .update ? 6 : 4
            guard raw.count == expectedFrames else {
                throw WireError(.frameCount, "WORK parameters byte is \(kind.rawValue) but it has \(raw.count) payload frames, not \(expectedFrames)")
            }
            guard kind != .none || (parameterCount == 0 && stateCount == 0 && checksum == 0) else {
                throw WireError(.countMismatch, "WORK without parameters declares \(parameterCount) parameters, \(stateCount) state values, checksum \(checksum)")
            }
            switch kind {
            case .delta:
                guard base < version else { throw WireError(.invalidValue, "WORK delta against version \(base), not older than its version \(version)") }
            case .update:
                guard version >= 1, base == version - 1 else {
                    throw WireError(.invalidValue, "WORK update from version \(base) to version \(version); an update spans one version")
                }
            case .none, .full:
                guard base == 0 else { throw WireError(.invalidValue, "WORK base version \(base) without a delta or update (must be 0)") }
            }
            let samples: [Int32] = try elements(raw[1], count: sampleCount, "WORK samples")
            switch kind {
            case .none:
                return .work(WorkAssignment(key: key, parameterVersion: version, seed: seed, sampleIndices: samples))
            case .full:
                let values = ModelValues(parameters: try floats(raw[2], count: parameterCount, "WORK parameters"),
                                         state: try floats(raw[3], count: stateCount, "WORK state"))
                guard ValuesChecksum.of(values) == checksum else {
                    throw WireError(.invalidValue, "WORK parameters and state do not match their checksum \(String(checksum, radix: 16))")
                }
                return .work(WorkAssignment(key: key, parameterVersion: version, seed: seed, sampleIndices: samples, values: values))
            case .delta:
                let delta = ParameterDelta(baseVersion: base,
                                           parameters: try elements(raw[2], count: parameterCount, "WORK parameters"),
                                           state: try elements(raw[3], count: stateCount, "WORK state"), checksum: checksum)
                return .work(WorkAssignment(key: key, parameterVersion: version, seed: seed, sampleIndices: samples, delta: delta))
            case .update:
                let codes: [UInt32] = try elements(raw[2], count: parameterCount, "WORK parameters")
                let state: [UInt32] = try elements(raw[3], count: stateCount, "WORK state")
                let exponents: [UInt8] = try elements(raw[4], count: ParameterUpdate.blocks(parameters: parameterCount), "WORK exponents")
                let pairCount = raw[5].rawCount / 8
                guard raw[5].rawCount % 8 == 0, pairCount <= parameterCount else {
                    throw WireError(.countMismatch, "WORK exceptions frame holds \(raw[5].rawCount) bytes: not whole (index, value) pairs, or more than the \(parameterCount) parameters")
                }
                let pairs: [UInt32] = try elements(raw[5], count: 2 * pairCount, "WORK exceptions")
                // Split into indices and bit patterns; `MessageValidation` checks that the indices ascend and fit.
                let indices = (0..<pairCount).map { pairs[2 * $0] }, values = (0..<pairCount).map { pairs[2 * $0 + 1] }
                let update = ParameterUpdate(baseVersion: base, codes: codes, exponents: exponents, exceptionIndices: indices,
                                             exceptionValues: values, state: state, checksum: checksum)
                return .work(WorkAssignment(key: key, parameterVersion: version, seed: seed, sampleIndices: samples, update: update))
            }
        case .noWork:
            let retry = try r.u32("retry after")
            let reason = try enumValue(NoWork.Reason.self, try r.u16("reason"), "NO_WORK reason")
            try r.finish()
            return .noWork(NoWork(retryAfterMs: retry, reason: reason))
        case .result:
            let key = try readKey(&r)
            try r.reserved(3)
            let version = try r.u64("parameter version")
            let samples = try r.u32("samples")
            let correct = try r.u32("correct")
            let loss = try r.f64("loss sum")
            let nanos = try r.u64("compute ns")
            let g = Int(try r.u32("gradient count"))
            let s = Int(try r.u32("statistics count"))
            let c = Int(try r.u32("counter count"))
            let l = Int(try r.u32("spike layer count"))
            let steps = try r.u32("steps")
            let m = Int(try r.u32("micro-batch count"))
            try r.finish()
            guard (1...WireLimits.maxCoveredMicroBatches).contains(m) else {
                throw WireError(.invalidValue, "RESULT micro-batch count \(m); allowed 1…\(WireLimits.maxCoveredMicroBatches)")
            }
            let covered: [UInt32] = try elements(raw[5], count: m, "RESULT micro-batches")
            let gradient: [Int64] = try elements(raw[1], count: g, "RESULT gradient")
            guard s <= WireLimits.maxStatistics / m else {
                throw WireError(.tooLarge, "RESULT statistics \(s) × \(m) micro-batches over \(WireLimits.maxStatistics)")
            }
            let statistics = try floats(raw[2], count: s * m, "RESULT statistics")
            let counters: [Int64] = try elements(raw[3], count: c, "RESULT counters")
            let spikes: [Int64] = try elements(raw[4], count: l, "RESULT spikes")
            return .result(WorkResult(key: key, parameterVersion: version, samples: samples, lossSum: loss,
                                      correct: correct, computeNanos: nanos, steps: steps, gradient: gradient,
                                      statistics: statistics, counters: counters, spikesPerLayer: spikes,
                                      microBatches: covered.map { Int($0) }))
        case .heartbeat:
            let sent = try r.u64("sent at")
            let step = try r.u64("current step")
            let slots = try r.u16("free slots")
            try r.finish()
            return .heartbeat(Heartbeat(sentAtMs: sent, currentStep: step, freeSlots: slots))
        case .bye:
            let reason = try r.string("reason", max: WireLimits.maxTextBytes)
            try r.finish()
            return .bye(Bye(reason: reason))
        case .error:
            let code = try enumValue(ErrorReply.Code.self, try r.u16("code"), "ERROR code")
            let text = try r.string("text", max: WireLimits.maxTextBytes)
            try r.finish()
            return .error(ErrorReply(code: code, text: text))
        case .spikeRaster:
            return .spikeRaster(try SpikeRaster.decode(body: &r, bits: (try raw[1].bytes())))
        case .workFailed:
            return .workFailed(try WorkFailed.decode(body: &r))
        }
    }

    /// epoch, step, micro-batch as `u32` (validation has checked they fit), phase as its byte.
    static func writeKey(_ key: WorkKey, into w: inout ByteWriter) {
        w.u32(UInt32(truncatingIfNeeded: key.epoch))
        w.u32(UInt32(truncatingIfNeeded: key.step))
        w.u32(UInt32(truncatingIfNeeded: key.microBatch))
        w.u8(key.phase.rawValue)
    }

    static func readKey(_ r: inout ByteReader) throws(WireError) -> WorkKey {
        let epoch = try r.u32("epoch")
        let step = try r.u32("step")
        let micro = try r.u32("micro-batch")
        let phase = try enumValue(WorkPhase.self, try r.u8("phase"), "\(r.frame) phase")
        return WorkKey(epoch: Int(epoch), step: Int(step), microBatch: Int(micro), phase: phase)
    }

    private static func enumValue<E: RawRepresentable>(_ type: E.Type, _ raw: E.RawValue, _ what: String)
        throws(WireError) -> E
    {
        guard let v = E(rawValue: raw) else { throw WireError(.invalidValue, "\(what) \(raw) is not defined") }
        return v
    }

    private static func elements<T: FixedWidthInteger>(_ frame: RawFrame, count: Int, _ what: String)
        throws(WireError) -> [T]
    {
        let width = MemoryLayout<T>.size
        let n = frame.rawCount
        guard n % width == 0, n / width == count, let v = try frame.elements(as: T.self) else {
            throw WireError(.countMismatch, "\(what) declares \(count) elements but its frame holds \(n) bytes")
        }
        return v
    }

    private static func floats(_ frame: RawFrame, count: Int, _ what: String) throws(WireError) -> [Float] {
        let n = frame.rawCount
        guard n % 4 == 0, n / 4 == count, let v = try frame.floats() else {
            throw WireError(.countMismatch, "\(what) declares \(count) elements but its frame holds \(n) bytes")
        }
        return v
    }
}
