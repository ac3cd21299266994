import ArgumentParser
import Foundation
import SNNCluster
import SNNCommandLine
import SNNEnergy
import SNNReport

struct Report: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a run's report: one self-contained HTML file of charts.",
        discussion: """
        Loss and accuracy per step and per epoch, throughput, the per-worker micro-batch timeline (deaths, \
        requeues, joins, stragglers), spikes per sample per layer over epochs, the energy per layer and phase \
        under --profile beside the equivalent ANN, and wire bytes per message kind. Inline SVG and CSS: the file \
        opens offline in any browser. Epochs are numbered from 1.
        """)

    @Argument(help: ArgumentHelp("Run id (default: the latest run).", valueName: "run"))
    var runID: String?

    @OptionGroup var database: MetricsDatabaseOption

    @Option(name: .long, help: ArgumentHelp("Output file (default runs/report-RUN.html next to --db).", valueName: "file.html"))
    var out: String?

    /// Prices the energy charts.
    @OptionGroup(title: "Energy profile") var energyProfile: EnergyProfileOptions

    var db: String { database.path }

    func run() throws {
        do {
            guard FileManager.default.fileExists(atPath: db) else {
                throw ReportError("\(db): no metrics database here; pass --db PATH (runs write runs/metrics.sqlite by default)")
            }
            let p = try SNNEnergyProfileRef.load(energyProfile.profile, extraDirectory: energyProfile.profiles)
            let store = try MetricsStore.open(path: db, readOnly: true)
            let data = try RunReportData.load(store: store, runID: runID, profile: p.profile, profileName: p.name)
            let path = out ?? ((db as NSString).deletingLastPathComponent as NSString)
                .appendingPathComponent("report-\(data.run.runID).html")
            let html = ReportPage.render(data)
            let dir = (path as NSString).deletingLastPathComponent
            if !dir.isEmpty { try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) }
            do { try Data(html.utf8).write(to: URL(fileURLWithPath: path), options: .atomic) } catch {
                throw ReportError("\(path): cannot write the report (\(error.localizedDescription)); pass a writable --out FILE.html")
            }
            print(path)
        } catch {
            FileHandle.standardError.write("snn-coord report: \(error)\n".data(using: .utf8)!)
            throw ExitCode.failure
        }
    }
}
