import Foundation
import SNNEnergy

/// The run metrics database (SQLite, WAL mode): what `snn-coord start` writes and `snn-coord query` reads,
/// whether or not the coordinator is running.
///
/// Schema version 1 (`PRAGMA user_version`; times are REAL Unix seconds, accuracies fractions 0...1,
/// memory counters 32-bit words, a non-finite REAL stored as the text 'nan' / 'inf' / '-inf'):
/// - `runs(run_id PK, name, method, spec_json, seed, started_at, finished_at, status, parameter_digest,
///   build_id, dataset_fingerprint)` — one row per run; `beginRun` on an existing id resumes it.
/// - `steps(run_id, epoch, step, loss, accuracy, samples, samples_per_sec, lr, wall_ms, compute_ms, codec_ms,
///   wire_ms, wait_ms, parameter_version, workers, PK(run_id, epoch, step))` — INSERT OR REPLACE, so a resumed
///   run re-committing a step replaces it instead of duplicating it.
/// - `evals(run_id, epoch, split, loss, accuracy, samples, spikes_per_sample, exit_step, PK(run_id, epoch, split))`.
/// - `layer_spikes(run_id, epoch, split, layer, name, spikes_per_sample, PK(run_id, epoch, split, layer))`.
/// - `counters(run_id, epoch, phase, layer, name, t, macs, synaptic_ops, neuron_updates, spikes, weight_reads,
///   membrane_reads, membrane_writes, saved_state_reads, saved_state_writes, samples, PK(run_id, epoch, phase,
///   layer, t))` — an `EventLedger` per run/epoch/phase (phase by `Phase.name`), every cell of the phase, with
///   the number of samples the phase's counts cover repeated on each row. Replaced, not added, when re-recorded.
/// - `wire(run_id, epoch, kind, messages, raw_bytes, wire_bytes, PK(run_id, epoch, kind))` — accumulated by `addWire`.
/// - `membership(run_id, at, worker_id, worker_name, event ∈ joined|lost|left|refused, detail)` — append-only.
/// - `checkpoints(run_id, epoch, step, path, digest, at, PK(run_id, epoch, step))`.
/// - v2: `micro_batches(run_id, epoch, step, micro_batch, phase, worker_id, worker_name, assigned_at, finished_at,
///   samples, outcome ∈ done|requeued|failed)` — append-only, one row per hand-out (see `MicroBatchRecord`).
///
/// Concurrency: one writer process (the coordinator) and any number of readers (`query`); WAL lets readers
/// see the last committed state while the writer works, and a 5 s busy timeout covers checkpoint moments.
/// Within a process the store is `Sendable`: every call takes an internal lock around its one connection.
public final class MetricsStore: @unchecked Sendable {
    /// The database file.
    public let path: String
    /// True when opened with `readOnly: true`; every write then fails with a clear error.
    public let isReadOnly: Bool
    private let lock = NSLock()
    private let db: SQLiteDatabase

    private init(path: String, readOnly: Bool, db: SQLiteDatabase) {
        self.path = path; self.isReadOnly = readOnly; self.db = db
    }

    /// Opens the database at `path`. Writable: creates missing parent directories, the file and the schema.
    /// Read-only: the file must exist (the error says so when it does not).
    public static func open(path: String, readOnly: Bool = false) throws -> MetricsStore {
        let fm = FileManager.default
        if readOnly {
            guard fm.fileExists(atPath: path) else {
                throw MetricsStoreError(path: path, message: "does not exist (has a run been started with this metrics path?)")
            }
        } else {
            let dir = URL(fileURLWithPath: path).deletingLastPathComponent().path
            do { try fm.createDirectory(atPath: dir, withIntermediateDirectories: true) } catch {
                throw MetricsStoreError(path: path, message: "cannot create its directory '\(dir)' (choose a writable metrics path)")
            }
        }
        let db = try SQLiteDatabase(path: path, readOnly: readOnly)
        if !readOnly { try createSchemaIfNew(db); try addEndReasonColumn(db) }
        let version = try db.query("PRAGMA user_version").first?.first?.int ?? 0
        if version > MetricsSchema.version {
            throw MetricsStoreError(path: path, message: "schema version \(version) is newer than this build reads "
                                    + "(\(MetricsSchema.version)); use a newer snn-coord")
        }
        if version == 0 {
            let tables = try db.query("SELECT count(*) FROM sqlite_master").first?.first?.int ?? 0
            guard tables == 0 else {
                throw MetricsStoreError(path: path, message: "is an SQLite database but not a metrics database (no schema version)")
            }
            guard !readOnly else {
                throw MetricsStoreError(path: path, message: "is empty (no run has been recorded yet)")
            }
            try db.transaction { try db.execute(MetricsSchema.create) }
        } else if version < 2 && !readOnly {
            // Additive migration: v1 databases gain the micro_batches table; their rows stay as they are.
            try db.transaction { try db.execute(MetricsSchema.v2) }
        }
        return MetricsStore(path: path, readOnly: readOnly, db: db)
    }

    /// Two coordinators may create one new database at once. The check and the creation happen under the write
    /// lock, so the second sees the first's schema instead of creating it again ("table already exists") or
    /// calling the half-made file foreign. A file that already has tables is left to `open`'s checks.
    static func createSchemaIfNew(_ db: SQLiteDatabase) throws {
        try db.transaction {
            guard (try db.query("PRAGMA user_version").first?.first?.int ?? 0) == 0,
                  (try db.query("SELECT count(*) FROM sqlite_master").first?.first?.int ?? 0) == 0 else { return }
            try db.execute(MetricsSchema.create)
        }
    }

    /// `runs.end_reason` (added within schema 1; older files lack it): why a run ended other than "completed".
    static func addEndReasonColumn(_ db: SQLiteDatabase) throws {
        try db.transaction {
            guard (try db.query("PRAGMA user_version").first?.first?.int ?? 0) > 0 else { return }
            let columns = try db.query("PRAGMA table_info(runs)").compactMap { $0[1].string }
            if !columns.contains("end_reason") { try db.execute("ALTER TABLE runs ADD COLUMN end_reason TEXT") }
        }
    }

    /// Why the run ended (failed/stopped/interrupted), or nil.
    public func endReason(run runID: String) throws -> String? {
        let columns = try locked { db in try db.query("PRAGMA table_info(runs)").compactMap { $0[1].string } }
        guard columns.contains("end_reason") else { return nil }
        return try locked { db in try db.query("SELECT end_reason FROM runs WHERE run_id = ?1", [.text(runID)]).first?.first?.string }
    }

    /// Runs `body` with the connection under the lock.
    func locked<T>(_ body: (SQLiteDatabase) throws -> T) throws -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body(db)
    }

    private func write<T>(_ body: (SQLiteDatabase) throws -> T) throws -> T {
        guard !isReadOnly else { throw MetricsStoreError(path: path, message: "opened read-only; cannot record") }
        return try locked { db in try db.transaction { try body(db) } }
    }

    // MARK: - Writing

    /// Records the start of a run. Returns true for a new run; for an existing `runID` (a resumed run) it keeps
    /// the stored row, sets the status back to running and clears `finished_at`, and returns false.
    @discardableResult
    public func beginRun(_ run: RunRecord) throws -> Bool {
        try write { db in
            let exists = try !db.query("SELECT 1 FROM runs WHERE run_id = ?1", [.text(run.runID)]).isEmpty
            if exists {
                try db.run("UPDATE runs SET status = 'running', finished_at = NULL WHERE run_id = ?1", [.text(run.runID)])
                return false
            }
            try db.run("""
                INSERT INTO runs(run_id, name, method, spec_json, seed, started_at, finished_at, status,
                                 parameter_digest, build_id, dataset_fingerprint)
                VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
                """, [.text(run.runID), .text(run.name), .text(run.method), .text(run.specJSON),
                      .int(Int64(bitPattern: run.seed)), SQLiteValue(run.startedAt), SQLiteValue(run.finishedAt),
                      .text(run.status.rawValue), SQLiteValue(run.parameterDigest), SQLiteValue(run.buildID),
                      SQLiteValue(run.datasetFingerprint)])
            return true
        }
    }

    /// Records the end of a run with the digest of its final parameters.
    public func finishRun(_ runID: String, digest: String?, status: RunStatus, at: Date, reason: String? = nil) throws {
        try write { db in
            try db.run("UPDATE runs SET finished_at = ?2, status = ?3, parameter_digest = coalesce(?4, parameter_digest) WHERE run_id = ?1",
                       [.text(runID), SQLiteValue(at), .text(status.rawValue), SQLiteValue(digest)])
            try db.run("UPDATE runs SET end_reason = ?2 WHERE run_id = ?1", [.text(runID), SQLiteValue(reason)])
            guard sqlite3Changes(db) == 1 else {
                throw MetricsStoreError(path: path, message: "cannot finish run '\(runID)': it was never begun")
            }
        }
    }

    /// Records one committed step (idempotent: re-recording the same (run, epoch, step) replaces the row).
    public func recordStep(_ runID: String, _ s: StepRecord) throws {
        try write { db in
            try db.run("""
                INSERT OR REPLACE INTO steps(run_id, epoch, step, loss, accuracy, samples, samples_per_sec, lr, wall_ms,
                    compute_ms, codec_ms, wire_ms, wait_ms, parameter_version, workers)
                VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)
                """, [.text(runID), .int(Int64(s.epoch)), .int(Int64(s.step)), SQLiteValue(s.loss),
                      SQLiteValue(s.accuracy), .int(Int64(s.samples)), SQLiteValue(s.samplesPerSec), SQLiteValue(s.lr),
                      SQLiteValue(s.wallMs), SQLiteValue(s.computeMs), SQLiteValue(s.codecMs), SQLiteValue(s.wireMs),
                      SQLiteValue(s.waitMs), SQLiteValue(s.parameterVersion), SQLiteValue(s.workers)])
        }
    }

    /// Records one evaluation (replaces an earlier one of the same run, epoch and split).
    public func recordEval(_ runID: String, _ e: EvalRecord) throws {
        try write { db in
            try db.run("""
                INSERT OR REPLACE INTO evals(run_id, epoch, split, loss, accuracy, samples, spikes_per_sample, exit_step)
                VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
                """, [.text(runID), .int(Int64(e.epoch)), .text(e.split), SQLiteValue(e.loss), SQLiteValue(e.accuracy),
                      .int(Int64(e.samples)), SQLiteValue(e.spikesPerSample), SQLiteValue(e.exitStep)])
        }
    }

    /// Records mean spikes per sample for each layer on one split after an epoch (replacing earlier values).
    public func recordLayerSpikes(_ runID: String, epoch: Int, split: String, _ layers: [LayerSpikes]) throws {
        try write { db in
            for l in layers {
                try db.run("""
                    INSERT OR REPLACE INTO layer_spikes(run_id, epoch, split, layer, name, spikes_per_sample)
                    VALUES(?1, ?2, ?3, ?4, ?5, ?6)
                    """, [.text(runID), .int(Int64(epoch)), .text(split), .int(Int64(l.layer)), .text(l.name),
                          SQLiteValue(l.spikesPerSample)])
            }
        }
    }

    /// Stores an epoch's event ledger: for every phase named in `samples` or holding any non-zero count, every
    /// (layer, t) cell plus the number of samples that phase's counts cover. Re-recording an epoch's phase
    /// replaces it (record the epoch's cumulative ledger, not deltas).
    public func recordLedger(_ runID: String, epoch: Int, ledger: EventLedger, samples: [Phase: Int64]) throws {
        try write { db in
            for phase in Phase.allCases {
                let used = samples[phase] != nil
                    || ledger.total(phase).fields.contains { $0 != 0 }
                guard used else { continue }
                try db.run("DELETE FROM counters WHERE run_id = ?1 AND epoch = ?2 AND phase = ?3",
                           [.text(runID), .int(Int64(epoch)), .text(phase.name)])
                for l in ledger.layerNames.indices {
                    for t in 0..<ledger.timesteps {
                        let f = ledger[phase, l, t].fields
                        try db.run("""
                            INSERT INTO counters(run_id, epoch, phase, layer, name, t, macs, synaptic_ops, neuron_updates,
                                spikes, weight_reads, membrane_reads, membrane_writes, saved_state_reads,
                                saved_state_writes, samples)
                            VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)
                            """, [.text(runID), .int(Int64(epoch)), .text(phase.name), .int(Int64(l)),
                                  .text(ledger.layerNames[l]), .int(Int64(t))] + f.map { .int($0) }
                                + [.int(samples[phase] ?? 0)])
                    }
                }
            }
        }
    }

    /// Adds wire traffic of one message kind to the epoch's totals (accumulates; not idempotent).
    public func addWire(_ runID: String, epoch: Int, kind: String, messages: Int64, rawBytes: Int64, wireBytes: Int64) throws {
        try write { db in
            try db.run("""
                INSERT INTO wire(run_id, epoch, kind, messages, raw_bytes, wire_bytes) VALUES(?1, ?2, ?3, ?4, ?5, ?6)
                ON CONFLICT(run_id, epoch, kind) DO UPDATE SET messages = messages + excluded.messages,
                    raw_bytes = raw_bytes + excluded.raw_bytes, wire_bytes = wire_bytes + excluded.wire_bytes
                """, [.text(runID), .int(Int64(epoch)), .text(kind), .int(messages), .int(rawBytes), .int(wireBytes)])
        }
    }

    /// Appends a worker membership event.
    public func recordMembership(_ runID: String, _ m: MembershipRecord) throws {
        try write { db in
            try db.run("""
                INSERT INTO membership(run_id, at, worker_id, worker_name, event, detail) VALUES(?1, ?2, ?3, ?4, ?5, ?6)
                """, [.text(runID), SQLiteValue(m.at), .text(m.workerID), .text(m.workerName), .text(m.event.rawValue),
                      .text(m.detail)])
        }
    }

    /// Records a checkpoint written (replacing an earlier record of the same run, epoch and step).
    public func recordCheckpoint(_ runID: String, _ c: CheckpointRecord) throws {
        try write { db in
            try db.run("""
                INSERT OR REPLACE INTO checkpoints(run_id, epoch, step, path, digest, at) VALUES(?1, ?2, ?3, ?4, ?5, ?6)
                """, [.text(runID), .int(Int64(c.epoch)), .int(Int64(c.step)), .text(c.path), .text(c.digest),
                      SQLiteValue(c.at)])
        }
    }

    private func sqlite3Changes(_ db: SQLiteDatabase) -> Int {
        (try? db.query("SELECT changes()").first?.first?.int) ?? 0
    }
}
