import Foundation
import SNNCluster
import Testing

@Suite("Wire codec")
struct WireCodecTests {
    @Test("every message kind round-trips with its run id")
    func roundTripEveryKind() throws {
        var rng = SeededGenerator(seed: 1)
        let samples = WireSamples.all(&rng)
        #expect(Set(samples.map { $0.message.kind }) == Set(MessageKind.allCases))
        for (message, runID) in samples {
            for threshold in [0, 512, Int.max] {
                let encoded = try WireCodec.encode(message, runID: runID, compressAbove: threshold)
                #expect(encoded.frames[0].count == 32)
                let decoded = try WireCodec.decode(encoded.frames)
                #expect(decoded.message == message)
                #expect(decoded.runID == runID)
                #expect(decoded.rawBytes == encoded.rawBytes)
                #expect(decoded.wireBytes == encoded.wireBytes)
            }
        }
    }

    @Test("header layout: magic, version, type, flags, run id, length, frame count")
    func headerLayout() throws {
        let e = try WireCodec.encode(.heartbeat(Heartbeat(sentAtMs: 1, currentStep: 2, freeSlots: 3)), runID: WireSamples.runID)
        let h = e.frames[0]
        #expect(Array(h[0..<4]) == Array("SNN1".utf8))
        #expect(h[4] == 6 && h[5] == 0)               // version 6
        #expect(h[6] == 8 && h[7] == 0)               // HEARTBEAT
        #expect(h[8] == 0 && h[9] == 0)               // no envelopes: tiny message
        #expect(withUnsafeBytes(of: WireSamples.runID.uuid) { Array($0) } == Array(h[12..<28]))
        #expect(h[28] == 32 && h[29] == 0)
        #expect(h[30] == 1 && h[31] == 0)
        #expect(e.frames[1].count == 18)
    }

    @Test("large gradients are shuffled and compressed, or narrowed when stored; small messages are sent plain")
    func compressionFlags() throws {
        var rng = SeededGenerator(seed: 2)
        let result = WireSamples.result(&rng, gradientCount: 4096)
        let e = try WireCodec.encode(.result(result), runID: WireSamples.runID)
        #expect(e.frames[0][8] & 1 == 1)
        let gradient = try #require(e.payload.first { $0.name == "RESULT gradient" })
        #expect(gradient.compressed)
        #expect(gradient.wireBytes < gradient.rawBytes)
        #expect(e.wireBytes < e.rawBytes)
        // Stored (compression off): the gradient, a large integer frame, is narrowed (§3.3 filter 13), the rest stored.
        let stored = try WireCodec.encode(.result(result), runID: WireSamples.runID, compressAbove: .max)
        let narrowed = try #require(stored.payload.first { $0.name == "RESULT gradient" })
        #expect(stored.frames[0][8] & 1 == 1 && stored.frames[2][0] == 0 && stored.frames[2][1] == 13)
        #expect(!narrowed.compressed && narrowed.wireBytes < narrowed.rawBytes)
        #expect(try WireCodec.decode(stored.frames).message == .result(result))
        // A message without large integer frames goes without envelopes: wire bytes = raw bytes.
        let plain = try WireCodec.encode(.heartbeat(Heartbeat(sentAtMs: 1, currentStep: 2, freeSlots: 3)), runID: WireSamples.runID,
                                         compressAbove: .max)
        #expect(plain.frames[0][8] == 0)
        #expect(plain.wireBytes == plain.rawBytes)
    }

    @Test("a peer speaking another version is reported as unsupportedVersion")
    func versionMismatch() throws {
        var frames = try WireCodec.encode(.hello(WireSamples.hello), runID: nil).frames
        for other: UInt8 in [5, 7] {   // the previous version and a later one
            frames[0][4] = other
            #expect(throws: WireError.self) { try WireCodec.decode(frames) }
            do { _ = try WireCodec.decode(frames) } catch { #expect(error.code == .unsupportedVersion) }
        }
    }

    @Test("malformed headers and frame sets are rejected with the right code")
    func malformedHeaders() throws {
        let good = try WireCodec.encode(.bye(Bye(reason: "x")), runID: nil).frames
        func code(_ frames: [[UInt8]]) -> WireError.Code? {
            do { _ = try WireCodec.decode(frames); return nil } catch { return error.code }
        }
        #expect(code([]) == .frameCount)
        #expect(code([[]]) == .truncated)
        var badMagic = good; badMagic[0][0] = 0x58
        #expect(code(badMagic) == .badHeader)
        var shortHeader = good; shortHeader[0].removeLast()
        #expect(code(shortHeader) == .badHeader)
        var badType = good; badType[0][6] = 99
        #expect(code(badType) == .unknownType)
        var badFlags = good; badFlags[0][9] = 0x80
        #expect(code(badFlags) == .badHeader)
        var reserved = good; reserved[0][10] = 1
        #expect(code(reserved) == .invalidValue)
        #expect(code(good + [[1, 2, 3]]) == .frameCount)
        var badCount = good; badCount[0][30] = 2
        #expect(code(badCount + [[]]) == .frameCount)
        var trailing = good; trailing[1].append(0)
        #expect(code(trailing) == .trailingBytes)
        var truncated = good; truncated[1].removeLast()
        #expect(code(truncated) == .truncated)
    }

    @Test("WORK, WELCOME and RESULT without a run id are rejected")
    func runIDRequired() throws {
        var rng = SeededGenerator(seed: 3)
        #expect(throws: WireError(.missingRunID, "RESULT must carry a non-zero run id")) {
            try WireCodec.encode(.result(WireSamples.result(&rng, gradientCount: 4)), runID: nil)
        }
        var frames = try WireCodec.encode(.noWork(NoWork(retryAfterMs: 1, reason: .finished)), runID: WireSamples.runID).frames
        frames[0][6] = 5   // pretend to be WORK
        #expect(throws: WireError.self) { try WireCodec.decode(frames) }
    }

    @Test("NaN or infinity in parameters, statistics or loss is rejected on both sides")
    func nonFiniteRejected() throws {
        var rng = SeededGenerator(seed: 4)
        var r = WireSamples.result(&rng, gradientCount: 8)
        r.statistics[3] = .nan
        #expect(throws: WireError.self) { try WireCodec.encode(.result(r), runID: WireSamples.runID) }
        r.statistics[3] = 1
        r.lossSum = .infinity
        #expect(throws: WireError.self) { try WireCodec.encode(.result(r), runID: WireSamples.runID) }

        // A hostile sender bypasses our encoder: patch a parameter to NaN in the bytes.
        let work = WorkAssignment(key: WireSamples.key, parameterVersion: 1, seed: 1, sampleIndices: [1, 2],
                                  values: ModelValues(parameters: [1, 2, 3], state: [4, 5]))
        var frames = try WireCodec.encode(.work(work), runID: WireSamples.runID, compressAbove: .max).frames
        withUnsafeBytes(of: Float.nan.bitPattern.littleEndian) { frames[3].replaceSubrange(4..<8, with: $0) }
        // … with the body's checksum made to match (protocol 4), so that only the NaN is wrong.
        let forged = ValuesChecksum.of(ModelValues(parameters: [1, .nan, 3], state: [4, 5]))
        withUnsafeBytes(of: forged.littleEndian) { frames[1].replaceSubrange(52..<60, with: $0) }
        do {
            _ = try WireCodec.decode(frames)
            Issue.record("NaN parameter accepted")
        } catch { #expect(error.code == .nonFinite) }
    }

    @Test("counts that disagree with frame lengths are rejected")
    func countMismatch() throws {
        var rng = SeededGenerator(seed: 5)
        var frames = try WireCodec.encode(.result(WireSamples.result(&rng, gradientCount: 8)), runID: WireSamples.runID,
                                          compressAbove: .max).frames
        frames[1][48] = 9   // gradient count 8 → 9
        do { _ = try WireCodec.decode(frames); Issue.record("accepted") } catch { #expect(error.code == .countMismatch) }
    }

    @Test("size limits are enforced by encoder and decoder")
    func sizeLimits() throws {
        let longName = Hello(workerId: WireSamples.workerId, name: String(repeating: "n", count: 256), threads: 1,
                             buildID: "b", datasetFingerprint: "ab")
        #expect(throws: WireError.self) { try WireCodec.encode(.hello(longName), runID: nil) }
        let spec = Welcome(runID: WireSamples.runID, heartbeatIntervalMs: 1, deadWorkerTimeoutMs: 1,
                           specJSON: Array(repeating: 0x20, count: WireLimits.maxSpecBytes + 1), parameterVersion: 0)
        #expect(throws: WireError.self) { try WireCodec.encode(.welcome(spec), runID: nil) }
        let tooMany = WorkAssignment(key: WireSamples.key, parameterVersion: 0, seed: 0,
                                     sampleIndices: Array(repeating: 0, count: WireLimits.maxSamples + 1))
        #expect(throws: WireError.self) { try WireCodec.encode(.work(tooMany), runID: WireSamples.runID) }

        // A hostile frame claiming a huge raw size is refused before allocation.
        var frames = try WireCodec.encode(.welcome(Welcome(runID: WireSamples.runID, heartbeatIntervalMs: 1,
                                                           deadWorkerTimeoutMs: 1, specJSON: Array(repeating: 0x41, count: 4000),
                                                           parameterVersion: 0)), runID: nil).frames
        #expect(frames[0][8] == 1)
        frames[2].replaceSubrange(4..<8, with: [0xFF, 0xFF, 0xFF, 0x7F])
        do { _ = try WireCodec.decode(frames); Issue.record("accepted") } catch { #expect(error.code == .tooLarge) }
    }

    @Test("invalid enum values, bool bytes and strings are rejected")
    func invalidValues() throws {
        let refuse = try WireCodec.encode(.refuse(Refusal(code: .busy, reason: "full")), runID: nil).frames
        var badCode = refuse; badCode[1][0] = 0
        #expect(throws: WireError.self) { try WireCodec.decode(badCode) }
        var badUTF8 = refuse; badUTF8[1][4] = 0xFF
        do { _ = try WireCodec.decode(badUTF8); Issue.record("accepted") } catch { #expect(error.code == .invalidString) }
        let hello = Hello(workerId: WireSamples.workerId, name: "w", threads: 1, buildID: "b", datasetFingerprint: "XYZ")
        #expect(throws: WireError.self) { try WireCodec.encode(.hello(hello), runID: nil) }
    }

    @Test("ErrorReply(rejecting:) turns a WireError into a sendable ERROR")
    func errorReplyFromWireError() throws {
        let e = ErrorReply(rejecting: WireError(.tooLarge, String(repeating: "é", count: 5000)))
        #expect(e.code == .tooLarge)
        #expect(e.text.utf8.count <= WireLimits.maxTextBytes)
        _ = try WireCodec.encode(.error(e), runID: nil)
    }
}
