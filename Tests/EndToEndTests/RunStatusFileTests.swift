import Foundation
import Testing
import SNNCluster

/// Issue 8, item 9: each run has its own status file (two coordinators on one `--db` do not share one), and a
/// run whose metrics writes are lost to a full disk ends "failed" with the reason and a non-zero exit.
@Suite struct RunStatusFileTests {
    /// Two coordinators waiting for workers on one metrics database each write `<db stem>.<run id>.status.json`;
    /// `snn-coord status` shows both runs (before: one `m.status.json` rewritten by both in turn).
    @Test func twoCoordinatorsOnOneDatabaseKeepTheirOwnStatusFiles() throws {
        let dir = temporaryDirectory()
        let spec = try writeTinySpec(in: dir)
        let db = dir + "/m.sqlite"
        let coords = try (0..<2).map { i in
            try Child("snn-coord", ["start", "--spec", spec, "--bind", "tcp://127.0.0.1:\(freePort())", "--limit", "256", "--quiet",
                                    "--db", db, "--checkpoint-dir", dir + "/ck\(i)"], cwd: dir)
        }
        defer { coords.forEach { $0.kill9() } }
        func runIDs() -> [String] {
            guard let store = try? MetricsStore.open(path: db, readOnly: true), let runs = try? store.runs() else { return [] }
            return runs.filter { $0.status == .running }.map(\.runID)
        }
        func statusFile(_ id: String) -> String { dir + "/m.\(id).status.json" }
        #expect(waitUntil(60) { runIDs().count == 2 && runIDs().allSatisfy { FileManager.default.fileExists(atPath: statusFile($0)) } },
                "\(runIDs()) \((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []) \(coords.map(\.stderr))")
        let ids = runIDs()
        #expect(Set(ids).count == 2)
        let pids = Set(coords.map { Int($0.process.processIdentifier) })
        var seenPids = Set<Int>()
        for id in ids {
            let snapshot = try StatusSnapshot.read(from: statusFile(id))
            #expect(snapshot.runID == id)
            seenPids.insert(snapshot.pid)
        }
        #expect(seenPids == pids)
        let all = try run("snn-coord", ["status", "--db", db])
        #expect(all.status == 0, "\(all.stderr)")
        for id in ids { #expect(all.stdout.contains("run \(id)  running"), "\(all.stdout)") }
        let one = try run("snn-coord", ["status", "--db", db, "--run", ids[1], "--format", "json"])
        #expect(one.status == 0 && one.stdout.contains("\"runID\" : \"\(ids[1])\"") && !one.stdout.contains(ids[0]), "\(one.stdout)")
    }

    /// The metrics database sits on a 4 MiB tmpfs. While the coordinator waits for workers the file system is
    /// filled; a worker with other data is refused, and recording that refusal fails (a lost write, reported at
    /// once). Space is freed, a proper worker trains the run to its end: the run is recorded "failed" with the
    /// lost write as its reason, and the coordinator exits non-zero (before: "completed", exit 0).
    @Test func aMetricsWriteLostToAFullDiskFailsTheRun() throws {
        let dir = temporaryDirectory()
        let disk = dir + "/disk"
        try FileManager.default.createDirectory(atPath: disk, withIntermediateDirectories: true)
        let mount = try run2("/bin/mount", ["-t", "tmpfs", "-o", "size=4m", "tmpfs", disk])
        guard mount.status == 0 else {
            print("RunStatusFileTests: skipped the full-disk test: cannot mount a tmpfs here (\(mount.stderr.trimmingCharacters(in: .whitespacesAndNewlines)))")
            return
        }
        defer { _ = try? run2("/bin/umount", ["-l", disk]) }
        let spec = try writeTinySpec(in: dir)
        let db = disk + "/m.sqlite", address = "tcp://127.0.0.1:\(freePort())"
        let coord = try Child("snn-coord", ["start", "--spec", spec, "--bind", address, "--limit", "256", "--quiet",
                                            "--db", db, "--checkpoint-dir", dir + "/ck"], cwd: dir)
        defer { if coord.process.isRunning { coord.kill9() } }
        #expect(waitUntil(60) { (try? MetricsStore.open(path: db, readOnly: true).latestRun()?.status) == .running }, "\(coord.stderr)")
        // Fill the file system (dd stops at ENOSPC).
        _ = try run2("/bin/dd", ["if=/dev/zero", "of=\(disk)/fill", "bs=64k"])
        let refused = try run("snn-worker", ["join", address, "--threads", "1", "--limit", "300", "--give-up-after", "5"], timeout: 60)
        #expect(refused.status != 0, "\(refused.stderr)")
        #expect(waitUntil(30) { coord.stderr.contains("metrics not recorded") }, "\(coord.stderr)")
        try FileManager.default.removeItem(atPath: disk + "/fill")
        let worker = try Child("snn-worker", ["join", address, "--threads", "1", "--limit", "256", "--give-up-after", "5"])
        let r = coord.wait(timeout: 180)
        worker.wait(timeout: 30)
        #expect(r.status != 0, "\(r.stderr)")
        #expect(r.stderr.contains("metrics write(s) to \(db) failed"), "\(r.stderr)")
        let store = try MetricsStore.open(path: db, readOnly: true)
        let runRecord = try #require(try store.latestRun())
        #expect(runRecord.status == .failed)
        #expect(try store.endReason(run: runRecord.runID)?.contains("metrics write(s) lost") == true)
        #expect(runRecord.parameterDigest != nil)
    }

    /// A system tool, its output collected.
    private func run2(_ path: String, _ args: [String]) throws -> ProcessResult {
        try Child(executable: path, args).wait(timeout: 60)
    }
}
