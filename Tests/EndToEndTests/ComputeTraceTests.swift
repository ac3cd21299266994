import Foundation
import Testing

/// The per-micro-batch compute trace (`SNN_GAP_TRACE`, GapTrace.swift) of real standalone and cluster runs, which
/// scripts/mb-table and scripts/cluster-ratio compare (issue 11, item 3): every micro-batch of every step is marked once
/// with its compute thread's CPU clock at both ends, a micro-batch's CPU time never exceeds its wall time, a worker
/// never has more micro-batches computing at once than its slots (the standalone trainer than its threads), and the
/// once-per-step process CPU readings never go backwards.
@Suite(.serialized) struct ComputeTraceTests {
    /// One line of a trace file: `<monotonic ns> <event> <key> [<cpu ns>]`.
    struct Mark { var t: UInt64; var event: String; var key: String; var cpu: UInt64? }

    static func marks(in dir: String, role: String) throws -> [Mark] {
        let files = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasPrefix(role + "-") && $0.hasSuffix(".trace") }
        #expect(files.count == 1, "\(role) trace files in \(dir): \(files)")
        guard let f = files.first else { return [] }
        return try String(contentsOfFile: dir + "/" + f, encoding: .utf8).split(separator: "\n").compactMap { line in
            let p = line.split(separator: " ").map(String.init)
            guard p.count >= 3, let t = UInt64(p[0]) else { return nil }
            return Mark(t: t, event: p[1], key: p[2], cpu: p.count > 3 ? UInt64(p[3]) : nil)
        }
    }

    /// The training micro-batch intervals of a trace: key `tE:S:MB` (a worker's `#task` dropped) → (begin, end) marks.
    static func intervals(_ marks: [Mark], begin: String, end: String) -> [String: (Mark, Mark)] {
        var open: [String: Mark] = [:], done: [String: (Mark, Mark)] = [:]
        for m in marks where m.key.hasPrefix("t") {
            let key = String(m.key.split(separator: "#")[0])
            if m.event == begin { open[key] = m }
            if m.event == end, let b = open.removeValue(forKey: key) {
                #expect(done[key] == nil, "\(key) computed twice")
                done[key] = (b, m)
            }
        }
        #expect(open.isEmpty, "micro-batches begun and never ended: \(open.keys.sorted())")
        return done
    }

    /// Checks the intervals: each step's micro-batches all present, thread CPU within wall time, at most `slots` at once.
    static func check(_ spans: [String: (Mark, Mark)], steps: Int, microBatches: Int, slots: Int) {
        let expected = Set((0..<steps).flatMap { s in (0..<microBatches).map { "t0:\(s):\($0)" } })
        #expect(Set(spans.keys) == expected)
        for (key, (b, e)) in spans {
            guard let cb = b.cpu, let ce = e.cpu else { Issue.record("\(key): no CPU reading"); continue }
            #expect(ce > cb, "\(key): the compute thread's CPU clock did not advance")
            #expect(ce - cb <= e.t - b.t, "\(key): \(ce - cb) ns of CPU in \(e.t - b.t) ns of wall time")
        }
        // The most micro-batches computing at any instant: +1 at a begin, -1 at an end (ends first on a tie).
        var edges: [(t: UInt64, delta: Int)] = []
        for (b, e) in spans.values { edges.append((b.t, 1)); edges.append((e.t, -1)) }
        edges.sort { a, b in a.t != b.t ? a.t < b.t : a.delta < b.delta }
        var running = 0, most = 0
        for edge in edges { running += edge.delta; most = max(most, running) }
        #expect(most >= 1 && most <= slots, "\(most) micro-batches computing at once on \(slots) slots")
    }

    /// Process CPU readings of the once-per-step mark `event`: one per step (at least one, `atLeast`), never
    /// decreasing in time order.
    static func checkStepCPU(_ marks: [Mark], event: String, steps: Int, atLeast: Bool = false) {
        let readings = marks.filter { $0.event == event }.sorted { $0.t < $1.t }
        #expect(atLeast ? readings.count >= steps : readings.count == steps, "\(event): \(readings.count) marks for \(steps) steps")
        #expect(readings.allSatisfy { $0.cpu != nil }, "\(event) without a CPU reading")
        let cpu = readings.compactMap(\.cpu)
        #expect(zip(cpu, cpu.dropFirst()).allSatisfy { $0 <= $1 }, "\(event): process CPU went backwards: \(cpu)")
    }

    @Test func standaloneTraceMarksEveryMicroBatchWithThreadCPUTime() throws {
        let dir = temporaryDirectory(), trace = dir + "/trace"
        try FileManager.default.createDirectory(atPath: trace, withIntermediateDirectories: true)
        let spec = try writeTinySpec(in: dir)   // batch 32 in micro-batches of 8: 4 per step
        let r = try Child(executable: Binaries.path("snn-coord"),
                          ["start", "--spec", spec, "--standalone", "--threads", "2", "--max-steps", "4", "--limit", "512",
                           "--seed", "7", "--quiet", "--db", dir + "/m.sqlite", "--checkpoint-dir", dir + "/ck"],
                          cwd: dir, environment: ["SNN_GAP_TRACE": trace]).wait(timeout: 180)
        #expect(r.status == 0, "\(r.stderr)")
        let marks = try Self.marks(in: trace, role: "standalone")
        Self.check(Self.intervals(marks, begin: "s.cbegin", end: "s.cend"), steps: 4, microBatches: 4, slots: 2)
        Self.checkStepCPU(marks, event: "s.step0", steps: 4)
        Self.checkStepCPU(marks, event: "s.step1", steps: 4)
    }

    @Test func workerTraceMarksEveryMicroBatchAndNeverExceedsItsSlots() throws {
        let dir = temporaryDirectory(), trace = dir + "/trace"
        try FileManager.default.createDirectory(atPath: trace, withIntermediateDirectories: true)
        let spec = try writeTinySpec(in: dir)
        let address = "tcp://127.0.0.1:\(freePort())", env = ["SNN_GAP_TRACE": trace]
        let coord = try Child(executable: Binaries.path("snn-coord"),
                              ["start", "--spec", spec, "--bind", address, "--min-workers", "1", "--max-steps", "4", "--limit", "512",
                               "--seed", "7", "--quiet", "--db", dir + "/m.sqlite", "--checkpoint-dir", dir + "/ck"],
                              cwd: dir, environment: env)
        let worker = try Child(executable: Binaries.path("snn-worker"),
                               ["join", address, "--threads", "2", "--limit", "512", "--quiet", "--give-up-after", "60"],
                               cwd: dir, environment: env)
        let c = coord.wait(timeout: 180), w = worker.wait(timeout: 60)
        #expect(c.status == 0, "\(c.stderr)")
        #expect(w.status == 0, "\(w.stderr)")
        let marks = try Self.marks(in: trace, role: "worker")
        Self.check(Self.intervals(marks, begin: "w.cbegin", end: "w.cend"), steps: 4, microBatches: 4, slots: 2)
        // A RESULT per step at least (one, the worker's sum, unless a held sum waited past a heartbeat), each with the
        // process's CPU clock.
        Self.checkStepCPU(marks.filter { $0.key.hasPrefix("t") }, event: "w.result", steps: 4, atLeast: true)
        Self.checkStepCPU(try Self.marks(in: trace, role: "coordinator"), event: "c.commit0", steps: 4)
    }
}
