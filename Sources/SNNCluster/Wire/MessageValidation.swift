import Foundation

/// The semantic rules of PROTOCOL.md §5 that are not about byte layout: string limits and formats, enum
/// ranges already enforced by parsing, counts, finiteness. One function serves encoder and decoder, so a
/// sender never emits a message its receiver would reject.
enum MessageValidation {
    static func validate(_ message: Message, runID: UUID?) throws(WireError) {
        if message.kind.requiresRunID, runID == nil {
            throw WireError(.missingRunID, "\(message.kind) must carry a non-zero run id")
        }
        switch message {
        case .hello(let h):
            try text(h.name, "HELLO name", max: WireLimits.maxNameBytes, nonEmpty: true)
            try text(h.buildID, "HELLO build id", max: WireLimits.maxBuildIDBytes, nonEmpty: true)
            try text(h.datasetFingerprint, "HELLO dataset fingerprint", max: WireLimits.maxFingerprintBytes)
            guard WireText.isLowercaseHex(h.datasetFingerprint) else {
                throw WireError(.invalidString, "HELLO dataset fingerprint is not lowercase hex")
            }
            guard h.threads >= 1 else { throw WireError(.invalidValue, "HELLO threads is 0") }
            guard h.protocolVersion == WireCodec.protocolVersion else {
                throw WireError(.unsupportedVersion,
                                "HELLO speaks protocol \(h.protocolVersion), this build speaks \(WireCodec.protocolVersion)")
            }
            if let token = h.resumeToken {
                guard (1...WireLimits.maxResumeTokenBytes).contains(token.count) else {
                    throw WireError(.tooLarge, "HELLO resume token is \(token.count) bytes; allowed 1…\(WireLimits.maxResumeTokenBytes)")
                }
            }
        case .welcome(let w):
            guard w.heartbeatIntervalMs >= 1, w.deadWorkerTimeoutMs >= 1 else {
                throw WireError(.invalidValue, "WELCOME heartbeat interval and dead-worker timeout must be ≥ 1 ms")
            }
            guard w.specJSON.count <= WireLimits.maxSpecBytes else {
                throw WireError(.tooLarge, "WELCOME spec is \(w.specJSON.count) bytes, limit \(WireLimits.maxSpecBytes)")
            }
            guard !isZero(w.runID) else { throw WireError(.missingRunID, "WELCOME assigns the all-zero run id") }
        case .refuse(let r):
            try text(r.reason, "REFUSE reason", max: WireLimits.maxTextBytes)
        case .requestWork(let r):
            guard r.freeSlots >= 1 else { throw WireError(.invalidValue, "REQUEST_WORK with 0 free slots") }
        case .work(let w):
            try key(w.key, "WORK")
            guard (1...WireLimits.maxSamples).contains(w.sampleIndices.count) else {
                throw WireError(w.sampleIndices.isEmpty ? .invalidValue : .tooLarge,
                                "WORK has \(w.sampleIndices.count) samples; allowed 1…\(WireLimits.maxSamples)")
            }
            if let i = w.sampleIndices.firstIndex(where: { $0 < 0 }) {
                throw WireError(.invalidValue, "WORK sample index [\(i)] is \(UInt32(bitPattern: w.sampleIndices[i])); indices are below 2^31")
            }
            if let v = w.values {
                try count(v.parameters.count + v.state.count, "WORK parameters and state", max: WireLimits.maxParameters)
                try finite(v.parameters, "WORK parameters")
                try finite(v.state, "WORK state")
            }
            if let u = w.update {
                try count(u.codes.count + u.state.count, "WORK update and state delta", max: WireLimits.maxParameters)
                guard w.values == nil, w.delta == nil, w.parameterVersion >= 1, u.baseVersion == w.parameterVersion - 1,
                      u.exponents.count == ParameterUpdate.blocks(parameters: u.codes.count),
                      u.exceptionIndices.count == u.exceptionValues.count, u.exceptionIndices.count <= u.codes.count else {
                    throw WireError(.invalidValue, "WORK update from version \(u.baseVersion) for version \(w.parameterVersion) is inconsistent (base, exponent blocks or exception count)")
                }
                for (k, i) in u.exceptionIndices.enumerated() where Int(i) >= u.codes.count || (k > 0 && u.exceptionIndices[k - 1] >= i) {
                    throw WireError(.invalidValue, "WORK exception \(k) names parameter \(i): indices must ascend and be below \(u.codes.count)")
                }
            }
            if let d = w.delta {
                try count(d.parameters.count + d.state.count, "WORK parameter and state deltas", max: WireLimits.maxParameters)
                guard w.values == nil, d.baseVersion < w.parameterVersion else {
                    throw WireError(.invalidValue, "WORK delta against version \(d.baseVersion) for version \(w.parameterVersion)")
                }
            }
        case .noWork:
            break
        case .result(let r):
            try key(r.key, "RESULT")
            guard r.steps >= 1 else { throw WireError(.invalidValue, "RESULT steps is 0") }
            guard r.samples <= WireLimits.maxResultSamples else {
                throw WireError(.tooLarge, "RESULT samples \(r.samples) over \(WireLimits.maxResultSamples)")
            }
            guard (1...WireLimits.maxCoveredMicroBatches).contains(r.microBatches.count) else {
                throw WireError(.tooLarge, "RESULT covers \(r.microBatches.count) micro-batches; allowed 1…\(WireLimits.maxCoveredMicroBatches)")
            }
            guard r.microBatches[0] == r.key.microBatch, zip(r.microBatches, r.microBatches.dropFirst()).allSatisfy({ $0 < $1 }),
                  r.microBatches.allSatisfy({ $0 >= 0 && $0 <= Int(UInt32.max) }) else {
                throw WireError(.invalidValue, "RESULT micro-batches \(r.microBatches.prefix(8)) must ascend strictly from its micro-batch \(r.key.microBatch)")
            }
            guard r.statistics.count % r.microBatches.count == 0 else {
                throw WireError(.countMismatch, "RESULT statistics \(r.statistics.count) is not one block per covered micro-batch (\(r.microBatches.count))")
            }
            guard r.correct <= r.samples else {
                throw WireError(.invalidValue, "RESULT correct \(r.correct) exceeds samples \(r.samples)")
            }
            guard r.lossSum.isFinite else { throw WireError(.nonFinite, "RESULT loss sum is \(r.lossSum)") }
            try count(r.gradient.count, "RESULT gradient", max: WireLimits.maxGradient)
            try count(r.statistics.count, "RESULT statistics", max: WireLimits.maxStatistics)
            try finite(r.statistics, "RESULT statistics")
            try count(r.counters.count, "RESULT counters", max: WireLimits.maxCounters)
            try count(r.spikesPerLayer.count, "RESULT spikes per layer", max: WireLimits.maxSpikeLayers)
        case .heartbeat:
            break
        case .bye(let b):
            try text(b.reason, "BYE reason", max: WireLimits.maxTextBytes)
        case .error(let e):
            try text(e.text, "ERROR text", max: WireLimits.maxTextBytes)
        case .spikeRaster(let s):
            try s.validate()
        case .workFailed(let f):
            try key(f.key, "WORK_FAILED")
            try text(f.detail, "WORK_FAILED detail", max: WireLimits.maxTextBytes)
        }
    }

    static func isZero(_ id: UUID) -> Bool {
        withUnsafeBytes(of: id.uuid) { $0.allSatisfy { $0 == 0 } }
    }

    private static func text(_ s: String, _ what: String, max: Int, nonEmpty: Bool = false) throws(WireError) {
        let n = s.utf8.count
        guard n <= max else { throw WireError(.tooLarge, "\(what) is \(n) bytes, limit \(max)") }
        if nonEmpty, n == 0 { throw WireError(.invalidString, "\(what) is empty") }
    }

    /// Epoch, step and micro-batch travel as `u32`.
    private static func key(_ k: WorkKey, _ what: String) throws(WireError) {
        let range = 0...Int(UInt32.max)
        guard range.contains(k.epoch), range.contains(k.step), range.contains(k.microBatch) else {
            throw WireError(.invalidValue, "\(what) key \(k) is out of the u32 range")
        }
    }

    private static func count(_ n: Int, _ what: String, max: Int) throws(WireError) {
        guard n <= max else { throw WireError(.tooLarge, "\(what) has \(n) elements, limit \(max)") }
    }

    private static func finite(_ values: [Float], _ what: String) throws(WireError) {
        if let i = ArrayBytes.firstNonFinite(values) {
            throw WireError(.nonFinite, "\(what)[\(i)] is \(values[i])")
        }
    }
}
