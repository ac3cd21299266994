import Foundation
import SNNCluster
import SNNCore
import SNNMethods
import SNNModel

/// `snn-bench --wire-costs SPEC…`: the per-message costs protocols/SCALING.md builds on, measured on this machine
/// with a real gradient of the spec (one micro-batch run through the product's method): RESULT encode, decode and
/// exact reduce (fixed-point add into the step's sum), WORK-with-parameters encode and decode, the real delta of the
/// spec's first step (version 0 → 1, protocol 4: computing it, WORK encode, decode + rebuild + checksum), and the bytes
/// of each (raw and on the wire), and RESULT and WORK delta stored (no LZ4, narrowed: the loopback default). One JSON line per spec; times are medians of `rounds` × 20 repetitions, µs.
enum WireCosts {
    static func measure(spec path: String, data: String, rounds: Int) throws -> String {
        let spec = try RunSpec.load(path: path)
        let setup = try RunSetup.make(spec: spec, dataDirectory: data)
        let session = TrainingSession(method: setup.method, settings: setup.settings,
                                      trainCount: setup.train.count, testCount: setup.test.count)
        let work = session.nextStepWork()
        let result = session.method.run(work[0], data: setup.train, parameters: session.parameters, state: session.state)
        let contribution = try StepContribution(microBatch: 0, result)
        let item = WorkItem(work[0], parameterVersion: 1)
        let runID = UUID()
        let resultMessage = Message.result(WorkResult(contribution, of: item))
        let workMessage = Message.work(WorkAssignment(item, values: ModelValues(parameters: session.parameters, state: session.state)))

        func median(_ body: () throws -> Void) rethrows -> Double {
            var samples: [Double] = []
            for _ in 0..<max(1, rounds) {
                let t0 = DispatchTime.now().uptimeNanoseconds
                for _ in 0..<20 { try body() }
                samples.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 20 / 1000)
            }
            return samples.sorted()[samples.count / 2]
        }
        let encodedResult = try WireCodec.encode(resultMessage, runID: runID)
        let encodedWork = try WireCodec.encode(workMessage, runID: runID)
        let resultEncode = try median { _ = try WireCodec.encode(resultMessage, runID: runID) }
        let resultDecode = try median { _ = try WireCodec.decode(encodedResult.frames) }
        var sum = ExactSum(count: contribution.gradient.count)
        let reduce = try median { try sum.add(encoded: contribution.gradient) }
        let workEncode = try median { _ = try WireCodec.encode(workMessage, runID: runID) }
        let workDecode = try median { _ = try WireCodec.decode(encodedWork.frames) }
        // Measured after the protocol-3 messages above, so that their figures are taken in the same process state as before.
        // A real delta: the whole first step committed (every micro-batch of it, one thread), version 0 → 1.
        let base = ModelValues(parameters: session.parameters, state: session.state)
        var contributions = [contribution]
        for mb in work.dropFirst() {
            contributions.append(try StepContribution(microBatch: mb.index, session.method.run(mb, data: setup.train, parameters: session.parameters,
                                                                                              state: session.state)))
        }
        _ = try session.commit(contributions: contributions)
        let target = ModelValues(parameters: session.parameters, state: session.state)
        let deltaMake = median { _ = ParameterDelta(from: base, to: target, baseVersion: 0) }
        let delta = ParameterDelta(from: base, to: target, baseVersion: 0)!
        let deltaMessage = Message.work(WorkAssignment(WorkItem(work[0], parameterVersion: 1), values: nil, delta: delta))
        let encodedDelta = try WireCodec.encode(deltaMessage, runID: runID)
        let deltaEncode = try median { _ = try WireCodec.encode(deltaMessage, runID: runID) }
        let deltaDecode = try median {
            guard case .work(let a) = try WireCodec.decode(encodedDelta.frames).message, case .success = a.delta!.applied(to: base) else {
                throw WireError(.invalidValue, "the delta did not rebuild version 1")
            }
        }
        // The same messages stored (no LZ4), as between processes of one machine (`WireCompression` auto on loopback):
        // integer frames narrowed (PROTOCOL.md §3.3 filters 13, 14, protocol 5).
        let never = Int.max
        let storedResult = try WireCodec.encode(resultMessage, runID: runID, compressAbove: never)
        let storedDelta = try WireCodec.encode(deltaMessage, runID: runID, compressAbove: never)
        let storedResultEncode = try median { _ = try WireCodec.encode(resultMessage, runID: runID, compressAbove: never) }
        let storedResultDecode = try median { _ = try WireCodec.decode(storedResult.frames) }
        let storedDeltaEncode = try median { _ = try WireCodec.encode(deltaMessage, runID: runID, compressAbove: never) }
        let storedDeltaDecode = try median { _ = try WireCodec.decode(storedDelta.frames) }
        // The first micro-batch's gradient frame under filters 9 and 15 (LZ4), exact and rounded to 12 and 8 bits
        // (`training.communication.gradientBits`), and one step's update rounded to 12 and 8 bits (WORK kind 3).
        var gradientFrames: [String] = []
        for bits in [0, 12, 8] {
            var g = result.gradient
            if bits > 0 { GradientQuantization.round(&g, bits: bits) }
            let raw = ArrayBytes.bytes(of: try FixedPoint.encode(g))
            for filter in [FrameEnvelope.Filter.zigzagShuffle8, .zigzagBitShuffle8] {
                gradientFrames.append("\"\(bits == 0 ? "exact" : "\(bits)bits")/\(filter.rawValue)\": \(FrameEnvelope.encode(raw, filter: filter, compress: true).frame.count)")
            }
        }
        var updateFrames: [String] = []
        for bits in [12, 8] {
            var p = target.parameters, r = [Float](repeating: 0, count: p.count)
            let q = UpdateQuantization.apply(old: base.parameters, parameters: &p, residual: &r, bits: bits)
            let update = ParameterUpdate(rounded: q, from: base, to: ModelValues(parameters: p, state: target.state), baseVersion: 0)
            let m = Message.work(WorkAssignment(WorkItem(work[0], parameterVersion: 1), values: nil, update: update))
            updateFrames.append("\"\(bits)bits\": \(try WireCodec.encode(m, runID: runID).wireBytes)")
        }
        let fields: [(String, String)] = [
            ("spec", "\"\(spec.name)\""), ("parameters", "\(session.parameters.count)"),
            ("microBatch", "\(work[0].samples.count)"),
            ("resultRawBytes", "\(encodedResult.rawBytes)"), ("resultWireBytes", "\(encodedResult.wireBytes)"),
            ("workRawBytes", "\(encodedWork.rawBytes)"), ("workWireBytes", "\(encodedWork.wireBytes)"),
            ("resultEncodeUs", String(format: "%.1f", resultEncode)), ("resultDecodeUs", String(format: "%.1f", resultDecode)),
            ("reduceUs", String(format: "%.1f", reduce)),
            ("workEncodeUs", String(format: "%.1f", workEncode)), ("workDecodeUs", String(format: "%.1f", workDecode)),
            ("workDeltaRawBytes", "\(encodedDelta.rawBytes)"), ("workDeltaWireBytes", "\(encodedDelta.wireBytes)"),
            ("deltaComputeUs", String(format: "%.1f", deltaMake)),
            ("workDeltaEncodeUs", String(format: "%.1f", deltaEncode)), ("workDeltaDecodeApplyUs", String(format: "%.1f", deltaDecode)),
            ("storedResultWireBytes", "\(storedResult.wireBytes)"), ("storedResultEncodeUs", String(format: "%.1f", storedResultEncode)),
            ("storedResultDecodeUs", String(format: "%.1f", storedResultDecode)),
            ("storedDeltaWireBytes", "\(storedDelta.wireBytes)"), ("storedDeltaEncodeUs", String(format: "%.1f", storedDeltaEncode)),
            ("storedDeltaDecodeUs", String(format: "%.1f", storedDeltaDecode)),
            ("microBatchComputeUs", String(format: "%.0f", Double(result.computeNanos) / 1000)),
            ("gradientFrameBytes", "{" + gradientFrames.joined(separator: ", ") + "}"),
            ("workUpdateWireBytes", "{" + updateFrames.joined(separator: ", ") + "}"),
        ]
        return "{" + fields.map { "\"\($0.0)\": \($0.1)" }.joined(separator: ", ") + "}"
    }
}
