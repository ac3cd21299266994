import ArgumentParser
import Foundation
import SNNCluster
import SNNCommandLine
import SNNEnergy
import SNNMethods
import SNNModel
import SNNReport

struct Query: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show a run's aggregated metrics (works whether or not the coordinator is running).",
        discussion: """
        Per epoch: loss, accuracy, test accuracy, samples/s, spikes per sample per layer; per run: event counters, \
        wire bytes raw vs compressed, workers joined/lost, the SHA-256 of the latest parameters.
        With --energy the stored event counts are priced under a hardware profile (re-scoring needs no re-run):
          snn-coord query --energy --profile loihi2018
        """)

    @OptionGroup var database: MetricsDatabaseOption

    @Option(name: .customLong("run"), help: ArgumentHelp("Run id (default: the latest run).", valueName: "id"))
    var runID: String?

    @Option(name: .long, help: "Output format.")
    var format: QueryOutputFormat = .table

    @Option(name: .long, parsing: .unconditional, help: ArgumentHelp("Also list the last N steps.", valueName: "n"))
    var last: Int?

    @Flag(name: .long, help: "List all runs in the database.")
    var runs = false

    @Flag(name: .long, help: "Refresh every 2 seconds until interrupted.")
    var watch = false

    @Option(name: .long, help: ArgumentHelp("Show an ECC conversion's T table (an id from snn-coord convert, or latest).", valueName: "id"))
    var conversion: String?

    @Flag(name: .long, help: "Price the run's event counts under a hardware profile.")
    var energy = false

    @OptionGroup(title: "Energy profile") var energyProfile: EnergyProfileOptions

    /// Parsed by `checkOptions()` (not by the argument parser), so a bad value is one line naming it, like every other.
    @Option(name: .long, parsing: .unconditional, help: ArgumentHelp("With --energy: price only this epoch's counts, numbered from 1 as the summary shows them (default: all epochs).", valueName: "n"))
    var epoch: String?

    @Option(name: .long, help: ArgumentHelp("With --energy: the phases to price (training, or train = train-forward, train-backward and optimizer).", valueName: "phase"))
    var phase: EnergyPhaseSelection = .all

    /// Checks how the options combine; a bad value is one line on stderr naming it and the fix, exit status 1.
    func checkOptions() throws {
        if format == .prometheus && (runs || last != nil || energy) { throw QueryError("--format prometheus prints one run's metrics: drop --runs, --last and --energy") }
        if let l = last, l < 1 { throw QueryError("--last must be ≥ 1") }
        if let e = epoch, Int(e).map({ $0 < 1 }) ?? true { throw QueryError("--epoch must be an epoch number ≥ 1 (got '\(e)'; snn-coord query lists the run's epochs)") }
        if !energy && (epoch != nil || phase != .all) { throw QueryError("--epoch and --phase apply to --energy; add --energy") }
        if energy && format == .csv { throw QueryError("--energy prints a table or JSON: use --format table or --format json (got csv)") }
    }

    /// `--epoch` as a number, 1-based as the summary prints epochs (valid after `checkOptions()`).
    var epochNumber: Int? { epoch.flatMap { Int($0) } }

    func run() throws {
        do {
            try checkOptions()
            repeat {
                let out = try render()
                if watch { print("\u{1B}[2J\u{1B}[H", terminator: "") }
                print(out)
                fflush(nil)
                if watch { Thread.sleep(forTimeInterval: 2) }
            } while watch
        } catch let e as ExitCode { throw e } catch {
            FileHandle.standardError.write("snn-coord query: \(error)\n".data(using: .utf8)!)
            throw ExitCode.failure
        }
    }

    var db: String { database.path }
    var profile: String { energyProfile.profile }
    var profiles: String? { energyProfile.profiles }

    func render() throws -> String {
        guard FileManager.default.fileExists(atPath: db) else {
            throw QueryError("\(db): no metrics database here; pass --db PATH (runs write runs/metrics.sqlite by default)")
        }
        let store = try MetricsStore.open(path: db, readOnly: true)
        let fmt: QueryFormat = switch format {
        case .json: .json
        case .csv: .csv
        case .table, .prometheus: .table
        }
        if runs { return renderRuns(try store.runs(), format: fmt) }
        if let conversion {
            let rows = try store.conversions(id: conversion == "latest" ? nil : conversion)
            guard !rows.isEmpty else { throw QueryError("\(db): no conversion '\(conversion)' (run snn-coord convert first)") }
            return renderConversionTable(rows)
        }
        let id: String
        if let runID { id = runID } else {
            guard let latest = try store.latestRun() else { throw QueryError("\(db): holds no runs yet") }
            id = latest.runID
        }
        if format == .prometheus {
            // The same exposition `snn-coord start --metrics-port` serves at /metrics, energy under --profile.
            let p = try SNNEnergyProfileRef.load(profile, extraDirectory: profiles)
            return PrometheusExposition.render(try RunReportData.load(store: store, runID: id, profile: p.profile, profileName: p.name))
                .trimmingCharacters(in: .newlines)
        }
        if energy { return try energyReport(store: store, runID: id, json: fmt == .json) }
        var out = renderSummary(try store.summary(run: id), format: fmt)
        if let last { out += "\n" + renderSteps(try store.steps(run: id, last: last), format: fmt) }
        return out
    }

    func energyReport(store: MetricsStore, runID: String, json: Bool) throws -> String {
        let catalog = try ProfileCatalog.load(extraDirectory: profiles.map { URL(fileURLWithPath: $0) })
        for bad in catalog.skipped {
            FileHandle.standardError.write("snn-coord query: warning: skipped \(bad)\n".data(using: .utf8)!)
        }
        let p = try catalog.profile(named: profile)
        let epoch = epochNumber
        // The store numbers epochs from 0; the summary (and --epoch) from 1.
        guard let stored = try store.loadLedger(run: runID, epoch: epoch.map { $0 - 1 }) else {
            if let epoch { throw QueryError("run \(runID) has no event counts for epoch \(epoch) (see snn-coord query for its epochs)") }
            throw QueryError("run \(runID) has no event counts yet (they are stored at the end of each epoch)")
        }
        let record = try store.run(runID)
        var annMACs: Int64?
        var shapes: [LayerShape]?
        var microBatches = 0
        if let spec = try? RunSpec.decode(Data(record.specJSON.utf8), source: "run \(runID)") {
            if let cfg = try? MethodFactory.networkConfig(spec) {
                annMACs = Network(cfg).annMACsPerSample
                shapes = Network(cfg).energyShapes
            }
            microBatches = try store.microBatchCount(run: runID, epochs: stored.epochs, microBatch: spec.training.microBatch)
        }
        let report = stored.energyReport(profile: p, phases: phase.phases, annMacsPerSample: annMACs, shapes: shapes,
                                         microBatches: microBatches)
        return json ? report.json() : "run \(runID) (\(record.name), \(record.method))\n" + report.text()
    }
}

struct QueryError: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}
