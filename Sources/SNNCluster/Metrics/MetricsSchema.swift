/// The metrics database schema, versioned with `PRAGMA user_version` (see `MetricsStore` for the tables).
enum MetricsSchema {
    /// Bumped whenever a table changes; `MetricsStore.open` refuses databases newer than this and migrates older ones.
    static let version = 2

    /// Times are REAL Unix seconds; accuracies are fractions; memory counters are 32-bit words; a non-finite
    /// REAL (a NaN loss) is stored as the text 'nan', 'inf' or '-inf'.
    static let create = """
    CREATE TABLE runs(
        run_id TEXT PRIMARY KEY, name TEXT NOT NULL, method TEXT NOT NULL, spec_json TEXT NOT NULL,
        seed INTEGER NOT NULL, started_at REAL NOT NULL, finished_at REAL, status TEXT NOT NULL,
        parameter_digest TEXT, build_id TEXT, dataset_fingerprint TEXT);
    CREATE TABLE steps(
        run_id TEXT NOT NULL, epoch INTEGER NOT NULL, step INTEGER NOT NULL, loss REAL, accuracy REAL,
        samples INTEGER NOT NULL, samples_per_sec REAL, lr REAL, wall_ms REAL, compute_ms REAL, codec_ms REAL,
        wire_ms REAL, wait_ms REAL, parameter_version INTEGER, workers INTEGER,
        PRIMARY KEY(run_id, epoch, step));
    CREATE TABLE evals(
        run_id TEXT NOT NULL, epoch INTEGER NOT NULL, split TEXT NOT NULL, loss REAL, accuracy REAL,
        samples INTEGER NOT NULL, spikes_per_sample REAL, exit_step REAL,
        PRIMARY KEY(run_id, epoch, split));
    CREATE TABLE layer_spikes(
        run_id TEXT NOT NULL, epoch INTEGER NOT NULL, split TEXT NOT NULL, layer INTEGER NOT NULL,
        name TEXT NOT NULL, spikes_per_sample REAL NOT NULL,
        PRIMARY KEY(run_id, epoch, split, layer));
    CREATE TABLE counters(
        run_id TEXT NOT NULL, epoch INTEGER NOT NULL, phase TEXT NOT NULL, layer INTEGER NOT NULL,
        name TEXT NOT NULL, t INTEGER NOT NULL,
        macs INTEGER NOT NULL, synaptic_ops INTEGER NOT NULL, neuron_updates INTEGER NOT NULL,
        spikes INTEGER NOT NULL, weight_reads INTEGER NOT NULL, membrane_reads INTEGER NOT NULL,
        membrane_writes INTEGER NOT NULL, saved_state_reads INTEGER NOT NULL, saved_state_writes INTEGER NOT NULL,
        samples INTEGER NOT NULL,
        PRIMARY KEY(run_id, epoch, phase, layer, t));
    CREATE TABLE wire(
        run_id TEXT NOT NULL, epoch INTEGER NOT NULL, kind TEXT NOT NULL, messages INTEGER NOT NULL,
        raw_bytes INTEGER NOT NULL, wire_bytes INTEGER NOT NULL,
        PRIMARY KEY(run_id, epoch, kind));
    CREATE TABLE membership(
        run_id TEXT NOT NULL, at REAL NOT NULL, worker_id TEXT NOT NULL, worker_name TEXT NOT NULL,
        event TEXT NOT NULL CHECK(event IN ('joined', 'lost', 'left', 'refused')), detail TEXT NOT NULL);
    CREATE INDEX membership_run ON membership(run_id, at);
    CREATE TABLE checkpoints(
        run_id TEXT NOT NULL, epoch INTEGER NOT NULL, step INTEGER NOT NULL, path TEXT NOT NULL,
        digest TEXT NOT NULL, at REAL NOT NULL,
        PRIMARY KEY(run_id, epoch, step));
    PRAGMA user_version = 1;
    """ + v2

    /// Version 2 (additive): one row per micro-batch hand-out, so a run's worker timeline can be drawn (who
    /// computed what, when; requeues after a death or a departure). `outcome`: done (its result arrived),
    /// requeued (its worker died or left first) or failed (the worker reported a compute error). And one row per
    /// spike raster (SPIKES message): the bit-packed spikes of one recorded test sample in one layer at one
    /// evaluation, with the bytes the message took on the wire.
    static let v2 = """
    CREATE TABLE IF NOT EXISTS micro_batches(
        run_id TEXT NOT NULL, epoch INTEGER NOT NULL, step INTEGER NOT NULL, micro_batch INTEGER NOT NULL,
        phase TEXT NOT NULL, worker_id TEXT NOT NULL, worker_name TEXT NOT NULL, assigned_at REAL NOT NULL,
        finished_at REAL NOT NULL, samples INTEGER NOT NULL,
        outcome TEXT NOT NULL CHECK(outcome IN ('done', 'requeued', 'failed')));
    CREATE INDEX IF NOT EXISTS micro_batches_run ON micro_batches(run_id, assigned_at);
    CREATE TABLE IF NOT EXISTS spike_rasters(
        run_id TEXT NOT NULL, epoch INTEGER NOT NULL, sample INTEGER NOT NULL, layer INTEGER NOT NULL,
        name TEXT NOT NULL, steps INTEGER NOT NULL, neurons INTEGER NOT NULL, spikes INTEGER NOT NULL,
        bits_base64 TEXT NOT NULL, wire_bytes INTEGER NOT NULL,
        PRIMARY KEY(run_id, epoch, sample, layer));
    PRAGMA user_version = 2;
    """

    /// ECC conversion sweeps (`snn-coord convert`): one row per (conversion, profile, T). Added without a version
    /// bump: created with IF NOT EXISTS when a conversion is first recorded, so older builds keep reading the file.
    static let conversions = """
    CREATE TABLE IF NOT EXISTS conversions(
        conversion_id TEXT NOT NULL, source TEXT NOT NULL, model_path TEXT NOT NULL, model_digest TEXT NOT NULL,
        timesteps INTEGER NOT NULL, thresholding REAL NOT NULL, bits INTEGER NOT NULL, profile TEXT NOT NULL,
        cnn_accuracy REAL NOT NULL, closed_accuracy REAL NOT NULL, closed_samples INTEGER NOT NULL,
        stepped_accuracy REAL, stepped_samples INTEGER NOT NULL, closed_spikes_per_sample REAL NOT NULL,
        stepped_spikes_per_sample REAL, sops_per_sample REAL NOT NULL, snn_j_per_inference REAL,
        cnn_j_per_inference REAL, at REAL NOT NULL,
        PRIMARY KEY(conversion_id, profile, timesteps));
    """
}
