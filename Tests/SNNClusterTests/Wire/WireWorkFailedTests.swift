import Foundation
import SNNCluster
import Testing

/// WORK_FAILED (PROTOCOL.md §5, type 12): the typed report of a micro-batch a worker could not compute, which
/// replaced the ERROR text "FAILED e s mb phase …" parsed by splitting on spaces.
@Suite struct WireWorkFailedTests {
    static let failed = WorkFailed(key: WorkKey(epoch: 2, step: 9, microBatch: 3, phase: .evaluate), parameterVersion: 41,
                                   reason: .computeError, detail: "non-finite gradient at parameter 12")

    @Test("round-trips with its run id; the body has the documented byte layout")
    func roundTripAndLayout() throws {
        let enc = try WireCodec.encode(.workFailed(Self.failed), runID: WireSamples.runID)
        #expect(enc.kind == .workFailed && enc.frames.count == 2)
        let body = enc.frames[1]
        // epoch, step, micro-batch (u32 LE), phase u8, reason u8, reserved u16, version u64, detail str.
        #expect(Array(body[0..<16]) == [2, 0, 0, 0, 9, 0, 0, 0, 3, 0, 0, 0, 1, 2, 0, 0])
        #expect(Array(body[16..<24]) == [41, 0, 0, 0, 0, 0, 0, 0])
        #expect(Int(body[24]) | Int(body[25]) << 8 == Self.failed.detail.utf8.count)
        #expect(String(decoding: body[26...], as: UTF8.self) == Self.failed.detail)
        let decoded = try WireCodec.decode(enc.frames)
        #expect(decoded.message == .workFailed(Self.failed))
        #expect(decoded.runID == WireSamples.runID)
    }

    @Test("needs a run id on both sides")
    func runIDRequired() throws {
        #expect(throws: WireError(.missingRunID, "WORK_FAILED must carry a non-zero run id")) {
            try WireCodec.encode(.workFailed(Self.failed), runID: nil)
        }
        var frames = try WireCodec.encode(.workFailed(Self.failed), runID: WireSamples.runID).frames
        frames[0].replaceSubrange(12..<28, with: [UInt8](repeating: 0, count: 16))
        do { _ = try WireCodec.decode(frames); Issue.record("accepted") } catch { #expect(error.code == .missingRunID) }
    }

    @Test("hostile bodies are rejected: unknown reason or phase, reserved bytes, long or invalid detail, trailing bytes")
    func hostileBodies() throws {
        let good = try WireCodec.encode(.workFailed(Self.failed), runID: WireSamples.runID, compressAbove: .max).frames
        func code(_ patch: (inout [UInt8]) -> Void) -> WireError.Code? {
            var frames = good
            patch(&frames[1])
            do { _ = try WireCodec.decode(frames); return nil } catch { return error.code }
        }
        #expect(code { $0[13] = 0 } == .invalidValue)       // reason 0 is not defined
        #expect(code { $0[13] = 3 } == .invalidValue)       // nor 3
        #expect(code { $0[12] = 6 } == .invalidValue)       // phase 6 (0–5 are defined: train, evaluate, the four ECC jobs)
        #expect(code { $0[15] = 1 } != nil)                 // reserved must be 0
        #expect(code { $0[26] = 0xFF } == .invalidString)   // detail not UTF-8
        #expect(code { $0.append(0) } != nil)               // trailing byte
        #expect(code { $0.removeLast() } != nil)            // truncated detail
        #expect(code { $0[24] = 0xFF; $0[25] = 0xFF } != nil)   // detail length past the frame and the limit

        // The encoder refuses a detail over 4096 bytes, so a sender never emits what its receiver rejects.
        var long = Self.failed
        long.detail = String(repeating: "x", count: WireLimits.maxTextBytes + 1)
        #expect(throws: WireError.self) { try WireCodec.encode(.workFailed(long), runID: WireSamples.runID) }
        // A body over its frame limit is refused before it is parsed.
        var frames = good
        frames[1] += [UInt8](repeating: 0x41, count: WireLimits.maxTextBytes + 64)
        do { _ = try WireCodec.decode(frames); Issue.record("accepted") } catch { #expect(error.code == .tooLarge) }
    }
}
