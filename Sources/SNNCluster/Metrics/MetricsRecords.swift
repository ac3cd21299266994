import Foundation

/// Where a run stands. Stored as its raw value in `runs.status`.
public enum RunStatus: String, Sendable, Codable, CaseIterable {
    case running, completed, failed, stopped
    /// The process was ended before it could checkpoint (a second SIGINT/SIGTERM while stopping).
    case interrupted
}

/// A worker membership event (`membership.event`).
public enum MembershipEvent: String, Sendable, Codable, CaseIterable {
    /// Registered and got work.
    case joined
    /// Declared dead: silent past its heartbeat deadline.
    case lost
    /// Left cleanly.
    case left
    /// Turned away (bad key, wrong protocol version, ...); `detail` says why.
    case refused
}

/// One training run (`runs` row).
public struct RunRecord: Sendable, Codable, Equatable {
    public var runID: String
    public var name: String
    public var method: String
    /// The effective run spec, as JSON, so a stored run says exactly what it trained.
    public var specJSON: String
    public var seed: UInt64
    public var startedAt: Date
    public var finishedAt: Date?
    public var status: RunStatus
    /// Digest of the final parameters (set by `finishRun`).
    public var parameterDigest: String?
    /// Identifies the binary that ran (e.g. git commit + target CPU).
    public var buildID: String?
    public var datasetFingerprint: String?

    public init(runID: String, name: String, method: String, specJSON: String, seed: UInt64, startedAt: Date,
                finishedAt: Date? = nil, status: RunStatus = .running, parameterDigest: String? = nil,
                buildID: String? = nil, datasetFingerprint: String? = nil) {
        self.runID = runID; self.name = name; self.method = method; self.specJSON = specJSON; self.seed = seed
        self.startedAt = startedAt; self.finishedAt = finishedAt; self.status = status
        self.parameterDigest = parameterDigest; self.buildID = buildID; self.datasetFingerprint = datasetFingerprint
    }
}

/// One committed optimizer step (`steps` row). Times are milliseconds of wall clock for the whole step,
/// split into compute (workers' forward/backward, per slot), codec (the coordinator's encode and decode), wire (an
/// estimate per RESULT: from its first micro-batch's assignment to its arrival, less its compute as the worker's
/// slots ran it; it also holds the worker's own encode and any wait for a core or a later item) and wait (idle for
/// stragglers); accuracy is a fraction in 0...1.
public struct StepRecord: Sendable, Codable, Equatable {
    public var epoch: Int
    public var step: Int
    public var loss: Double?
    public var accuracy: Double?
    public var samples: Int
    public var samplesPerSec: Double?
    public var lr: Double?
    public var wallMs: Double?
    public var computeMs: Double?
    public var codecMs: Double?
    public var wireMs: Double?
    public var waitMs: Double?
    public var parameterVersion: Int64?
    public var workers: Int?

    public init(epoch: Int, step: Int, loss: Double? = nil, accuracy: Double? = nil, samples: Int,
                samplesPerSec: Double? = nil, lr: Double? = nil, wallMs: Double? = nil, computeMs: Double? = nil,
                codecMs: Double? = nil, wireMs: Double? = nil, waitMs: Double? = nil,
                parameterVersion: Int64? = nil, workers: Int? = nil) {
        self.epoch = epoch; self.step = step; self.loss = loss; self.accuracy = accuracy; self.samples = samples
        self.samplesPerSec = samplesPerSec; self.lr = lr; self.wallMs = wallMs; self.computeMs = computeMs
        self.codecMs = codecMs; self.wireMs = wireMs; self.waitMs = waitMs
        self.parameterVersion = parameterVersion; self.workers = workers
    }
}

/// One evaluation of a split after an epoch (`evals` row). `exitStep` is the (mean) time step at which
/// early-exit inference stopped; nil when inference ran all steps.
public struct EvalRecord: Sendable, Codable, Equatable {
    public var epoch: Int
    public var split: String
    public var loss: Double?
    public var accuracy: Double?
    public var samples: Int
    public var spikesPerSample: Double?
    public var exitStep: Double?

    /// The split name the summary reads as "test".
    public static let testSplit = "test"

    public init(epoch: Int, split: String, loss: Double? = nil, accuracy: Double? = nil, samples: Int,
                spikesPerSample: Double? = nil, exitStep: Double? = nil) {
        self.epoch = epoch; self.split = split; self.loss = loss; self.accuracy = accuracy; self.samples = samples
        self.spikesPerSample = spikesPerSample; self.exitStep = exitStep
    }
}

/// Mean spikes per sample of one layer (`layer_spikes` row, keyed by run, epoch, split, layer).
public struct LayerSpikes: Sendable, Codable, Equatable {
    public var layer: Int
    public var name: String
    public var spikesPerSample: Double

    public init(layer: Int, name: String, spikesPerSample: Double) {
        self.layer = layer; self.name = name; self.spikesPerSample = spikesPerSample
    }
}

/// One worker membership event (`membership` row).
public struct MembershipRecord: Sendable, Codable, Equatable {
    public var at: Date
    public var workerID: String
    public var workerName: String
    public var event: MembershipEvent
    public var detail: String

    public init(at: Date, workerID: String, workerName: String, event: MembershipEvent, detail: String = "") {
        self.at = at; self.workerID = workerID; self.workerName = workerName; self.event = event; self.detail = detail
    }
}

/// One checkpoint written (`checkpoints` row).
public struct CheckpointRecord: Sendable, Codable, Equatable {
    public var epoch: Int
    public var step: Int
    public var path: String
    public var digest: String
    public var at: Date

    public init(epoch: Int, step: Int, path: String, digest: String, at: Date) {
        self.epoch = epoch; self.step = step; self.path = path; self.digest = digest; self.at = at
    }
}

/// Bytes of one message kind: raw (before the codec) and on the wire (after), with the ratio raw ÷ wire.
public struct WireTotal: Sendable, Codable, Equatable {
    public let kind: String
    public let messages: Int64
    public let rawBytes: Int64
    public let wireBytes: Int64
    /// Compression ratio raw ÷ wire (nil when nothing went on the wire); 2.0 = halved. Stored so JSON carries it.
    public let ratio: Double?

    public init(kind: String, messages: Int64, rawBytes: Int64, wireBytes: Int64) {
        self.kind = kind; self.messages = messages; self.rawBytes = rawBytes; self.wireBytes = wireBytes
        self.ratio = wireBytes > 0 ? Double(rawBytes) / Double(wireBytes) : nil
    }
}
