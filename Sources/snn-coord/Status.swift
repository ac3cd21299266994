import ArgumentParser
import Foundation
import SNNCluster
import SNNCommandLine

struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show the live workers, their throughput and last heartbeat, and the current step.",
        discussion: """
            Reads the status file each running coordinator rewrites every second next to its --db \
            (<db without extension>.<run id>.status.json, one per run). Without --run it shows every run the \
            database lists as running, or the latest run when none is.
            """)

    @OptionGroup var database: MetricsDatabaseOption

    @Option(name: .customLong("run"), help: ArgumentHelp("The run to show (default: every running run).", valueName: "id"))
    var runID: String?

    @Option(name: .long, help: "Output format.")
    var format: StatusOutputFormat = .table

    var db: String { database.path }

    func run() throws {
        let runIDs: [String]
        do {
            runIDs = try chosenRuns()
        } catch {
            FileHandle.standardError.write("snn-coord status: \(error)\n".data(using: .utf8)!)
            throw ExitCode.failure
        }
        for (i, id) in runIDs.enumerated() {
            if i > 0 && format == .table { print("") }
            try show(path: statusPath(db: db, runID: id))
        }
    }

    /// `--run`, else the runs the database lists as running (oldest first), else the latest run.
    private func chosenRuns() throws -> [String] {
        if let runID { return [runID] }
        let store = try MetricsStore.open(path: db, readOnly: true)
        let running = try store.runs().filter { $0.status == .running }.map(\.runID)
        if !running.isEmpty { return running }
        guard let latest = try store.latestRun() else { throw ValidationErrorLine("\(db) holds no run yet") }
        return [latest.runID]
    }

    private func show(path: String) throws {
        do {
            let s = try StatusSnapshot.read(from: path)
            if format == .json {
                let enc = JSONEncoder(); enc.outputFormatting = [.prettyPrinted, .sortedKeys]
                print(String(decoding: try enc.encode(s), as: UTF8.self)); return
            }
            let age = Date().timeIntervalSince1970 - s.updatedAt
            // Alive = the process still exists (same host) and rewrote the file recently.
            let live = !s.finished && age < 5 && kill(Int32(s.pid), 0) == 0
            print("run \(s.runID)  \(live ? "running (pid \(s.pid))" : s.finished ? "finished" : "not running (last status \(Int(age)) s ago)")")
            print("epoch \(min(s.epoch + 1, s.epochs))/\(s.epochs)  step \(s.step)/\(s.stepsPerEpoch)  parameter version \(s.parameterVersion)  \(String(format: "%.0f", s.samplesPerSecond)) samples/s  pending \(s.pending)  in flight \(s.inFlight)")
            if s.workers.isEmpty { print("no live workers"); return }
            print("worker                                 name            in flight  micro-batches    samples/s  last heard")
            for w in s.workers {
                print(w.id.padding(toLength: 38, withPad: " ", startingAt: 0) + " " + w.name.padding(toLength: 15, withPad: " ", startingAt: 0)
                      + String(format: " %9d  %13d  %11.0f  %7.1f s ago", w.inFlight, w.completedMicroBatches, w.samplesPerSecond, w.secondsSinceSeen))
            }
        } catch {
            FileHandle.standardError.write("snn-coord status: \(error)\n".data(using: .utf8)!)
            throw ExitCode.failure
        }
    }
}
