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

    @Option(name: .long, help: ArgumentHelp("With --energy: price only this epoch's counts (default: all epochs).", valueName: "n"))
    var epoch: Int?

    @Option(name: .long, help: ArgumentHelp("With --energy: the phases to price (training = train-forward, train-backward and optimizer).", valueName: "phase"))
    var phase: EnergyPhaseSelection = .all

    func validate() throws {
        if format == .prometheus && (runs || last != nil || energy) { throw ValidationError("--format prometheus prints one run's metrics: drop --runs, --last and --energy") }
        if let l = last, l < 1 { throw ValidationError("--last must be ≥ 1") }
        if let e = epoch, e < 0 { throw ValidationError("--epoch must be ≥ 0") }
        if !energy && (epoch != nil || phase != .all) { throw ValidationError("--epoch and --phase apply to --energy; add --energy") }
    }

    func run() throws {
        do {
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
        guard let stored = try store.loadLedger(run: runID, epoch: epoch) else {
            if let epoch { throw QueryError("run \(runID) has no event counts for epoch \(epoch) (see snn-coord query for its epochs)") }
            throw QueryError("run \(runID) has no event counts yet (they are stored at the end of each epoch)")
        }
        let record = try store.run(runID)
        var annMACs: Int64?
        var shapes: [LayerShape]?
        if let spec = try? RunSpec.decode(Data(record.specJSON.utf8), source: "run \(runID)"),
           let cfg = try? MethodFactory.networkConfig(spec) {
            annMACs = Network(cfg).annMACsPerSample
            shapes = Network(cfg).energyShapes
        }
        let report = stored.energyReport(profile: p, phases: phase.phases, annMacsPerSample: annMACs, shapes: shapes)
        return json ? report.json() : "run \(runID) (\(record.name), \(record.method))\n" + report.text()
    }
}

struct QueryError: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}
