import Foundation

/// What became of one micro-batch hand-out (`micro_batches.outcome`).
public enum MicroBatchOutcome: String, Sendable, Codable, CaseIterable {
    /// Its result arrived.
    case done
    /// Its worker died or left before answering; the micro-batch went back to the queue.
    case requeued
    /// The worker reported a compute error for it.
    case failed
}

/// One micro-batch handed to one worker, from hand-out to result (or requeue): a bar of the worker timeline.
/// Times are wall-clock dates; `phase` is "train" or "evaluate".
public struct MicroBatchRecord: Sendable, Codable, Equatable {
    public var epoch: Int
    public var step: Int
    public var microBatch: Int
    public var phase: String
    public var workerID: String
    public var workerName: String
    public var assignedAt: Date
    public var finishedAt: Date
    public var samples: Int
    public var outcome: MicroBatchOutcome

    public init(epoch: Int, step: Int, microBatch: Int, phase: String, workerID: String, workerName: String,
                assignedAt: Date, finishedAt: Date, samples: Int, outcome: MicroBatchOutcome) {
        self.epoch = epoch; self.step = step; self.microBatch = microBatch; self.phase = phase
        self.workerID = workerID; self.workerName = workerName; self.assignedAt = assignedAt
        self.finishedAt = finishedAt; self.samples = samples; self.outcome = outcome
    }

    /// Seconds from hand-out to result.
    public var duration: TimeInterval { finishedAt.timeIntervalSince(assignedAt) }
}

extension MetricsStore {
    /// Appends micro-batch hand-outs in one transaction (the coordinator buffers them and flushes per step).
    public func recordMicroBatches(_ runID: String, _ records: [MicroBatchRecord]) throws {
        guard !records.isEmpty else { return }
        guard !isReadOnly else { throw MetricsStoreError(path: path, message: "opened read-only; cannot record") }
        try locked { db in
            try db.transaction {
                for r in records {
                    try db.run("""
                        INSERT INTO micro_batches(run_id, epoch, step, micro_batch, phase, worker_id, worker_name,
                            assigned_at, finished_at, samples, outcome) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
                        """, [.text(runID), .int(Int64(r.epoch)), .int(Int64(r.step)), .int(Int64(r.microBatch)),
                              .text(r.phase), .text(r.workerID), .text(r.workerName), SQLiteValue(r.assignedAt),
                              SQLiteValue(r.finishedAt), .int(Int64(r.samples)), .text(r.outcome.rawValue)])
                }
            }
        }
    }

    /// The run's micro-batch hand-outs in hand-out order; empty for a version-1 database (no such table).
    public func microBatches(run runID: String) throws -> [MicroBatchRecord] {
        try locked { db in
            let has = try !db.query("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'micro_batches'").isEmpty
            guard has else { return [] }
            return try db.query("""
                SELECT epoch, step, micro_batch, phase, worker_id, worker_name, assigned_at, finished_at, samples, outcome
                FROM micro_batches WHERE run_id = ?1 ORDER BY assigned_at, rowid
                """, [.text(runID)]).map {
                MicroBatchRecord(epoch: $0[0].int ?? 0, step: $0[1].int ?? 0, microBatch: $0[2].int ?? 0,
                                 phase: $0[3].string ?? "", workerID: $0[4].string ?? "", workerName: $0[5].string ?? "",
                                 assignedAt: $0[6].date ?? Date(timeIntervalSince1970: 0),
                                 finishedAt: $0[7].date ?? Date(timeIntervalSince1970: 0), samples: $0[8].int ?? 0,
                                 outcome: MicroBatchOutcome(rawValue: $0[9].string ?? "") ?? .failed)
            }
        }
    }

    /// The spikes-per-sample rows of one split, in (epoch, layer) order.
    public func layerSpikes(run runID: String, split: String = EvalRecord.testSplit) throws -> [(epoch: Int, spikes: LayerSpikes)] {
        try locked { db in
            try db.query("SELECT epoch, layer, name, spikes_per_sample FROM layer_spikes WHERE run_id = ?1 AND split = ?2 ORDER BY epoch, layer",
                         [.text(runID), .text(split)]).map {
                (epoch: $0[0].int ?? 0, spikes: LayerSpikes(layer: $0[1].int ?? 0, name: $0[2].string ?? "", spikesPerSample: $0[3].double ?? 0))
            }
        }
    }
}

/// The coordinator's buffer of open and finished micro-batch hand-outs. The shell calls `assigned` when it
/// sends WORK, `finished` when a RESULT arrives, `requeued` when a worker dies or leaves, and `drain` once per
/// committed step to write the finished ones in one transaction. Single-threaded (the coordinator loop).
public final class MicroBatchTimeline {
    private struct Open { var worker: String; var name: String; var at: Date; var samples: Int }
    private var open: [WorkKey: Open] = [:]
    private var finished: [MicroBatchRecord] = []

    public init() {}

    public func assigned(_ key: WorkKey, worker: String, name: String, samples: Int, at: Date = Date()) {
        open[key] = Open(worker: worker, name: name, at: at, samples: samples)
    }

    public func finished(_ key: WorkKey, worker: String, outcome: MicroBatchOutcome = .done, at: Date = Date()) {
        guard let o = open[key], o.worker == worker else { return }
        open[key] = nil
        finished.append(record(key, o, outcome: outcome, at: at))
    }

    /// Closes the given keys of `worker` as requeued (its death or departure sent them back to the queue).
    public func requeued(_ keys: [WorkKey], worker: String, at: Date = Date()) {
        for k in keys { finished(k, worker: worker, outcome: .requeued, at: at) }
    }

    /// The finished hand-outs since the last drain.
    public func drain() -> [MicroBatchRecord] {
        defer { finished.removeAll(keepingCapacity: true) }
        return finished
    }

    private func record(_ k: WorkKey, _ o: Open, outcome: MicroBatchOutcome, at: Date) -> MicroBatchRecord {
        MicroBatchRecord(epoch: k.epoch, step: k.step, microBatch: k.microBatch, phase: k.phase.description,
                         workerID: o.worker, workerName: o.name, assignedAt: o.at, finishedAt: at, samples: o.samples,
                         outcome: outcome)
    }
}
