import Foundation
import SNNCluster
import SNNEnergy
import SNNMethods
import SNNModel

/// Everything the report, the live page and the Prometheus exposition show about one run, read from the
/// metrics database in one go. Epochs are stored 0-based; everything shown to users numbers them from 1.
public struct RunReportData: Sendable {
    public var summary: RunSummary
    public var steps: [StepRecord]
    public var membership: [MembershipRecord]
    public var microBatches: [MicroBatchRecord]
    public var layerSpikes: [(epoch: Int, spikes: LayerSpikes)]
    /// Spike rasters the workers sent (SPIKES), all epochs.
    public var rasters: [SpikeRasterRecord] = []
    /// The run's counts priced under `profileName`; nil before the first epoch's counters are stored.
    public var energy: EnergyReport?
    public var profileName: String
    /// Why `energy` is nil when it is not simply "no counters yet" (e.g. an unknown profile).
    public var energyNote: String?

    public var run: RunRecord { summary.run }

    /// Reads run `runID` (default: the latest) from `store` and prices its counts under `profile`.
    public static func load(store: MetricsStore, runID: String?, profile: EnergyProfile, profileName: String) throws -> RunReportData {
        let id: String
        if let runID { id = runID } else {
            guard let latest = try store.latestRun() else {
                throw ReportError("\(store.path): holds no runs yet; start one with `snn-coord start`")
            }
            id = latest.runID
        }
        let summary = try store.summary(run: id)
        var energy: EnergyReport?
        var note: String?
        if let stored = try store.loadLedger(run: id) {
            let microBatch = (try? RunSpec.decode(Data(summary.run.specJSON.utf8), source: "stored spec"))?.training.microBatch ?? 0
            energy = stored.energyReport(profile: profile, annMacsPerSample: annMACsPerSample(specJSON: summary.run.specJSON),
                                         shapes: energyShapes(specJSON: summary.run.specJSON),
                                         microBatches: try store.microBatchCount(run: id, epochs: stored.epochs, microBatch: microBatch))
        } else {
            note = "no event counts yet (they are stored at the end of each epoch)"
        }
        return RunReportData(summary: summary, steps: try store.steps(run: id), membership: try store.membership(run: id),
                             microBatches: try store.microBatches(run: id), layerSpikes: try store.layerSpikes(run: id),
                             rasters: try store.rasters(run: id), energy: energy, profileName: profileName, energyNote: note)
    }

    /// MACs per sample of the same-topology non-spiking network, from the stored spec (nil if it does not parse).
    public static func annMACsPerSample(specJSON: String) -> Int64? {
        guard let spec = try? RunSpec.decode(Data(specJSON.utf8), source: "stored spec"),
              let cfg = try? MethodFactory.networkConfig(spec) else { return nil }
        return Network(cfg).annMACsPerSample
    }

    /// The energy model's layer shapes of the stored spec's network (nil if it does not parse).
    public static func energyShapes(specJSON: String) -> [LayerShape]? {
        guard let spec = try? RunSpec.decode(Data(specJSON.utf8), source: "stored spec"),
              let cfg = try? MethodFactory.networkConfig(spec) else { return nil }
        return Network(cfg).energyShapes
    }

    /// Workers whose latest (non-refused) membership event is `joined`; 0 once the run is no longer running.
    public var workersAlive: Int {
        guard run.status == .running else { return 0 }
        var last: [String: MembershipEvent] = [:]
        for m in membership where m.event != .refused { last[m.workerID] = m.event }
        return last.values.filter { $0 == .joined }.count
    }

    public var requeuedMicroBatches: Int { microBatches.filter { $0.outcome == .requeued }.count }
}

/// A report error a user can fix; `description` is the whole line.
public struct ReportError: Error, CustomStringConvertible {
    public let description: String
    public init(_ d: String) { description = d }
}
