import Foundation
import SNNEnergy

extension MetricsStore {
    private static let runColumns = """
        run_id, name, method, spec_json, seed, started_at, finished_at, status, parameter_digest, build_id,
        dataset_fingerprint
        """

    private func runRecord(_ r: [SQLiteValue]) -> RunRecord {
        RunRecord(runID: r[0].string ?? "", name: r[1].string ?? "", method: r[2].string ?? "",
                  specJSON: r[3].string ?? "", seed: UInt64(bitPattern: r[4].int64 ?? 0),
                  startedAt: r[5].date ?? Date(timeIntervalSince1970: 0), finishedAt: r[6].date,
                  status: RunStatus(rawValue: r[7].string ?? "") ?? .failed, parameterDigest: r[8].string,
                  buildID: r[9].string, datasetFingerprint: r[10].string)
    }

    /// All runs, oldest first.
    public func runs() throws -> [RunRecord] {
        try locked { db in
            try db.query("SELECT \(Self.runColumns) FROM runs ORDER BY started_at, run_id").map(runRecord)
        }
    }

    /// The most recently started run, nil when there is none.
    public func latestRun() throws -> RunRecord? {
        try locked { db in
            try db.query("SELECT \(Self.runColumns) FROM runs ORDER BY started_at DESC, run_id DESC LIMIT 1").first.map(runRecord)
        }
    }

    /// One run; the error lists the known run ids when it does not exist.
    public func run(_ runID: String) throws -> RunRecord {
        let found = try locked { db in
            try db.query("SELECT \(Self.runColumns) FROM runs WHERE run_id = ?1", [.text(runID)]).first.map(runRecord)
        }
        if let found { return found }
        let known = try runs().map(\.runID)
        throw MetricsStoreError(path: path, message: "no run '\(runID)' (known: "
                                + (known.isEmpty ? "none" : known.joined(separator: ", ")) + ")")
    }

    private func stepRecord(_ r: [SQLiteValue]) -> StepRecord {
        StepRecord(epoch: r[0].int ?? 0, step: r[1].int ?? 0, loss: r[2].double, accuracy: r[3].double,
                   samples: r[4].int ?? 0, samplesPerSec: r[5].double, lr: r[6].double, wallMs: r[7].double,
                   computeMs: r[8].double, codecMs: r[9].double, wireMs: r[10].double, waitMs: r[11].double,
                   parameterVersion: r[12].int64, workers: r[13].int)
    }

    /// The run's steps in (epoch, step) order; only the last `last` when given.
    public func steps(run runID: String, last: Int? = nil) throws -> [StepRecord] {
        try locked { db in
            let cols = """
                epoch, step, loss, accuracy, samples, samples_per_sec, lr, wall_ms, compute_ms, codec_ms, wire_ms,
                wait_ms, parameter_version, workers
                """
            if let last {
                return try db.query("SELECT * FROM (SELECT \(cols) FROM steps WHERE run_id = ?1 ORDER BY epoch DESC, step DESC LIMIT ?2) ORDER BY epoch, step",
                                    [.text(runID), .int(Int64(max(0, last)))]).map(stepRecord)
            }
            return try db.query("SELECT \(cols) FROM steps WHERE run_id = ?1 ORDER BY epoch, step", [.text(runID)]).map(stepRecord)
        }
    }

    /// The run's evaluations in (epoch, split) order.
    public func evals(run runID: String) throws -> [EvalRecord] {
        try locked { db in
            try db.query("""
                SELECT epoch, split, loss, accuracy, samples, spikes_per_sample, exit_step FROM evals
                WHERE run_id = ?1 ORDER BY epoch, split
                """, [.text(runID)]).map {
                EvalRecord(epoch: $0[0].int ?? 0, split: $0[1].string ?? "", loss: $0[2].double, accuracy: $0[3].double,
                           samples: $0[4].int ?? 0, spikesPerSample: $0[5].double, exitStep: $0[6].double)
            }
        }
    }

    /// The run's membership events in time order.
    public func membership(run runID: String) throws -> [MembershipRecord] {
        try locked { db in
            try db.query("""
                SELECT at, worker_id, worker_name, event, detail FROM membership WHERE run_id = ?1 ORDER BY at, rowid
                """, [.text(runID)]).map {
                MembershipRecord(at: $0[0].date ?? Date(timeIntervalSince1970: 0), workerID: $0[1].string ?? "",
                                 workerName: $0[2].string ?? "", event: MembershipEvent(rawValue: $0[3].string ?? "") ?? .refused,
                                 detail: $0[4].string ?? "")
            }
        }
    }

    /// The run's checkpoints in (epoch, step) order.
    public func checkpoints(run runID: String) throws -> [CheckpointRecord] {
        try locked { db in
            try db.query("SELECT epoch, step, path, digest, at FROM checkpoints WHERE run_id = ?1 ORDER BY epoch, step",
                         [.text(runID)]).map {
                CheckpointRecord(epoch: $0[0].int ?? 0, step: $0[1].int ?? 0, path: $0[2].string ?? "",
                                 digest: $0[3].string ?? "", at: $0[4].date ?? Date(timeIntervalSince1970: 0))
            }
        }
    }

    /// Rebuilds the run's event ledger summed over all epochs (or one), so a stored run can be priced under
    /// any profile without re-running it. Nil when no counters were recorded.
    public func loadLedger(run runID: String, epoch: Int? = nil) throws -> StoredLedger? {
        let (rows, stepRows) = try locked { db in
            let where_ = epoch == nil ? "run_id = ?1" : "run_id = ?1 AND epoch = ?2"
            let args: [SQLiteValue] = epoch.map { [.text(runID), .int(Int64($0))] } ?? [.text(runID)]
            let rows = try db.query("""
                SELECT epoch, phase, layer, name, t, macs, synaptic_ops, neuron_updates, spikes, weight_reads,
                       membrane_reads, membrane_writes, saved_state_reads, saved_state_writes, samples
                FROM counters WHERE \(where_) ORDER BY epoch, phase, layer, t
                """, args)
            let steps = try db.query("SELECT epoch, count(*) FROM steps WHERE \(where_) GROUP BY epoch", args)
            return (rows, steps)
        }
        guard !rows.isEmpty else { return nil }
        var names: [Int: String] = [:]
        var timesteps = 1
        for r in rows {
            let layer = r[2].int ?? 0
            if names[layer] == nil { names[layer] = r[3].string ?? "layer \(layer)" }
            timesteps = max(timesteps, (r[4].int ?? 0) + 1)
        }
        let layerCount = (names.keys.max() ?? -1) + 1
        var ledger = EventLedger(layerNames: (0..<layerCount).map { names[$0] ?? "layer \($0)" }, timesteps: timesteps)
        var samplesByEpochPhase: [String: Int64] = [:]
        var samples: [Phase: Int64] = [:]
        var epochs = Set<Int>()
        for r in rows {
            guard let phase = Phase.allCases.first(where: { $0.name == r[1].string }) else {
                throw MetricsStoreError(path: path, message: "counters row has unknown phase '\(r[1].string ?? "")'")
            }
            let e = r[0].int ?? 0
            epochs.insert(e)
            ledger.record(phase, layer: r[2].int ?? 0, t: r[4].int ?? 0,
                          EventCounts(fields: (5...13).map { r[$0].int64 ?? 0 }))
            let key = "\(e)/\(phase.rawValue)"
            if samplesByEpochPhase[key] == nil {
                samplesByEpochPhase[key] = r[14].int64 ?? 0
                samples[phase, default: 0] += r[14].int64 ?? 0
            }
        }
        let trainingSteps = stepRows.filter { epochs.contains($0[0].int ?? -1) }.reduce(0) { $0 + ($1[1].int ?? 0) }
        return StoredLedger(ledger: ledger, samples: samples, epochs: epochs.sorted(), trainingSteps: trainingSteps)
    }

    /// Per-epoch aggregates and run totals of one run (see `RunSummary`).
    public func summary(run runID: String) throws -> RunSummary {
        let run = try run(runID)
        let steps = try steps(run: runID)
        let evals = try evals(run: runID)
        let members = try membership(run: runID)
        let checkpoints = try checkpoints(run: runID)
        let (spikeRows, counterRows, wireRows) = try locked { db in
            (try db.query("SELECT epoch, split, layer, name, spikes_per_sample FROM layer_spikes WHERE run_id = ?1 ORDER BY epoch, split, layer",
                          [.text(runID)]),
             try db.query("""
                SELECT epoch, phase, sum(macs), sum(synaptic_ops), sum(neuron_updates), sum(spikes), sum(weight_reads),
                       sum(membrane_reads), sum(membrane_writes), sum(saved_state_reads), sum(saved_state_writes), max(samples)
                FROM counters WHERE run_id = ?1 GROUP BY epoch, phase
                """, [.text(runID)]),
             try db.query("SELECT epoch, kind, messages, raw_bytes, wire_bytes FROM wire WHERE run_id = ?1 ORDER BY epoch, kind",
                          [.text(runID)]))
        }

        func phaseOrder(_ name: String) -> Int { Phase.allCases.first { $0.name == name }?.rawValue ?? 99 }
        var epochCounters: [Int: [PhaseCounters]] = [:]
        for r in counterRows {
            let pc = PhaseCounters(phase: r[1].string ?? "", samples: r[11].int64 ?? 0,
                                   counts: EventCounts(fields: (2...10).map { r[$0].int64 ?? 0 }))
            epochCounters[r[0].int ?? 0, default: []].append(pc)
        }
        var epochWire: [Int: [WireTotal]] = [:]
        for r in wireRows {
            epochWire[r[0].int ?? 0, default: []].append(WireTotal(kind: r[1].string ?? "", messages: r[2].int64 ?? 0,
                                                                  rawBytes: r[3].int64 ?? 0, wireBytes: r[4].int64 ?? 0))
        }
        var epochSpikes: [Int: [String: [LayerSpikes]]] = [:]
        for r in spikeRows {
            epochSpikes[r[0].int ?? 0, default: [:]][r[1].string ?? "", default: []]
                .append(LayerSpikes(layer: r[2].int ?? 0, name: r[3].string ?? "", spikesPerSample: r[4].double ?? 0))
        }

        let stepsByEpoch = Dictionary(grouping: steps, by: \.epoch)
        let evalsByEpoch = Dictionary(grouping: evals, by: \.epoch)
        var allEpochs = Set(stepsByEpoch.keys).union(evalsByEpoch.keys).union(epochCounters.keys)
        allEpochs.formUnion(epochWire.keys)
        allEpochs.formUnion(epochSpikes.keys)

        var epochs: [EpochSummary] = []
        for e in allEpochs.sorted() {
            let ss = stepsByEpoch[e] ?? []  // already in step order
            let samples = ss.reduce(Int64(0)) { $0 + Int64($1.samples) }
            let lossSteps = ss.filter { $0.loss != nil }
            let lossSamples = lossSteps.reduce(0.0) { $0 + Double($1.samples) }
            let meanLoss: Double? = lossSteps.isEmpty ? nil : lossSamples > 0
                ? lossSteps.reduce(0.0) { $0 + $1.loss! * Double($1.samples) } / lossSamples
                : lossSteps.reduce(0.0) { $0 + $1.loss! } / Double(lossSteps.count)
            func seconds(_ k: KeyPath<StepRecord, Double?>) -> Double { ss.reduce(0.0) { $0 + ($1[keyPath: k] ?? 0) } / 1000 }
            let wall = seconds(\.wallMs)
            let test = evalsByEpoch[e]?.first { $0.split == EvalRecord.testSplit }
            epochs.append(EpochSummary(
                epoch: e, steps: ss.count, samples: samples, meanLoss: meanLoss, lastAccuracy: ss.last?.accuracy,
                testAccuracy: test?.accuracy, testLoss: test?.loss,
                samplesPerSec: wall > 0 ? Double(samples) / wall : nil, wallSeconds: wall,
                computeSeconds: seconds(\.computeMs), codecSeconds: seconds(\.codecMs), wireSeconds: seconds(\.wireMs),
                waitSeconds: seconds(\.waitMs), parameterVersion: ss.last?.parameterVersion,
                evals: evalsByEpoch[e] ?? [], layerSpikes: epochSpikes[e] ?? [:],
                counters: (epochCounters[e] ?? []).sorted { phaseOrder($0.phase) < phaseOrder($1.phase) },
                wire: epochWire[e] ?? []))
        }

        var runCounters: [String: PhaseCounters] = [:]
        for pcs in epochCounters.values {
            for pc in pcs {
                var acc = runCounters[pc.phase] ?? PhaseCounters(phase: pc.phase, samples: 0, counts: EventCounts())
                acc.samples += pc.samples
                acc.counts += pc.counts
                runCounters[pc.phase] = acc
            }
        }
        var wireTotals: [String: (Int64, Int64, Int64)] = [:]
        for ws in epochWire.values {
            for w in ws {
                let a = wireTotals[w.kind] ?? (0, 0, 0)
                wireTotals[w.kind] = (a.0 + w.messages, a.1 + w.rawBytes, a.2 + w.wireBytes)
            }
        }
        var workers = WorkerCounts()
        for m in members {
            switch m.event {
            case .joined: workers.joined += 1
            case .lost: workers.lost += 1
            case .left: workers.left += 1
            case .refused: workers.refused += 1
            }
        }
        workers.distinctWorkers = Set(members.filter { $0.event != .refused }.map(\.workerID)).count
        let latestCheckpoint = checkpoints.last
        let digest = run.status != .running && run.parameterDigest != nil
            ? run.parameterDigest : (latestCheckpoint?.digest ?? run.parameterDigest)

        return RunSummary(
            run: run, epochs: epochs,
            counters: runCounters.values.sorted { phaseOrder($0.phase) < phaseOrder($1.phase) },
            wire: wireTotals.keys.sorted().map { k in
                let a = wireTotals[k]!
                return WireTotal(kind: k, messages: a.0, rawBytes: a.1, wireBytes: a.2)
            },
            workers: workers, latestParameterDigest: digest, latestCheckpoint: latestCheckpoint)
    }
}
