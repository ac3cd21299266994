import ArgumentParser
import Foundation
import SNNCluster
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

    @Option(name: .long, help: ArgumentHelp("Metrics database.", valueName: "path"))
    var db = "runs/metrics.sqlite"

    @Option(name: .long, help: ArgumentHelp("Output file (default runs/report-RUN.html next to --db).", valueName: "file.html"))
    var out: String?

    @Option(name: .long, help: ArgumentHelp("Energy profile for the energy charts.", valueName: "name"))
    var profile: String = ProfileCatalog.defaultProfileName

    @Option(name: .long, help: ArgumentHelp("Directory of extra energy profile files (*.json).", valueName: "dir"))
    var profiles: String?

    func run() throws {
        do {
            guard FileManager.default.fileExists(atPath: db) else {
                throw ReportError("\(db): no metrics database here; pass --db PATH (runs write runs/metrics.sqlite by default)")
            }
            let p = try SNNEnergyProfileRef.load(profile, extraDirectory: profiles)
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
