import Foundation
import Testing
import SNNCluster

/// Every run ends in a recorded state (issue 8, item 9): a coordinator that cannot bind its address fails
/// with one line and leaves the run "failed" in the metrics database, not "running".
@Suite struct RunEndStateTests {
    @Test func bindFailureRecordsTheRunAsFailed() throws {
        let dir = temporaryDirectory()
        let spec = try writeTinySpec(in: dir)
        // Hold the port with a plain listening socket so the coordinator's bind fails.
        let (fd, port) = loopbackSocket(listening: true)
        defer { close(fd) }
        let db = dir + "/m.sqlite"
        let r = try run("snn-coord", ["start", "--spec", spec, "--bind", "tcp://127.0.0.1:\(port)", "--limit", "256", "--quiet",
                                      "--db", db, "--checkpoint-dir", dir + "/ck"], cwd: dir, timeout: 60)
        #expect(r.status == 1)
        #expect(r.stderr.contains("cannot listen on"), "\(r.stderr)")
        let store = try MetricsStore.open(path: db, readOnly: true)
        let run = try #require(try store.latestRun())
        #expect(run.status == .failed)
        #expect(run.finishedAt != nil)
    }

    /// Local workers of a coordinator killed with -9 exit by themselves (issue 8, item 12), instead of rejoining
    /// the resumed run as duplicates. The coordinator's ipc:// directory (in $TMPDIR) is what kill -9 leaves behind.
    @Test func localWorkersExitWhenTheirCoordinatorIsKilled() throws {
        let dir = temporaryDirectory(), tmp = dir + "/t"
        try FileManager.default.createDirectory(atPath: tmp, withIntermediateDirectories: true)
        let spec = try writeTinySpec(in: dir)
        let db = dir + "/m.sqlite"
        let coord = try Child(executable: Binaries.path("snn-coord"),
                              ["start", "--spec", spec, "--bind", "tcp://127.0.0.1:\(freePort())", "--local-workers", "2",
                               "--limit", "3000", "--quiet", "--db", db, "--checkpoint-dir", dir + "/ck"], cwd: dir, environment: ["TMPDIR": tmp])
        #expect(waitUntil(90) { committedSteps(db: db) >= 1 }, "the run did not start: \(coord.stderr)")
        let workers = Self.children(of: coord.process.processIdentifier)
        #expect(workers.count == 2)
        for w in workers {   // started with the private socket's address
            let argv = ((try? String(contentsOfFile: "/proc/\(w)/cmdline", encoding: .utf8)) ?? "").split(separator: "\0")
            #expect(argv.count > 2 && argv[1] == "join" && argv[2].hasPrefix("ipc://" + tmp + "/snn-coord-"), "\(argv)")
        }
        coord.kill9()
        #expect(waitUntil(30) { workers.allSatisfy { !Self.isAlive($0) } }, "local workers outlived their coordinator")
        let stale = try FileManager.default.contentsOfDirectory(atPath: tmp).filter { $0.hasPrefix("snn-coord-") }
        #expect(stale.count == 1, "the README says kill -9 leaves one snn-coord-XXXXXX directory: \(stale)")
    }

    /// A micro-batch that crashes every worker given it (issue 8, item 8): each of the 3 local workers aborts on
    /// step 1's first micro-batch (test fault injection `SNN_TEST_CRASH_ON`); after the third holder is declared
    /// dead the run fails with the reason, recorded, instead of the coordinator waiting with no workers.
    @Test func aMicroBatchThatKillsEveryWorkerFailsTheRun() throws {
        let dir = temporaryDirectory()
        let spec = try writeTinySpec(in: dir)
        let db = dir + "/m.sqlite"
        let coord = try Child(executable: Binaries.path("snn-coord"),
                              ["start", "--spec", spec, "--bind", "tcp://127.0.0.1:\(freePort())", "--local-workers", "3",
                               "--limit", "512", "--quiet", "--db", db, "--checkpoint-dir", dir + "/ck"],
                              cwd: dir, environment: ["SNN_TEST_CRASH_ON": "0:1:0"])
        let r = coord.wait(timeout: 180)
        #expect(r.status == 1, "\(r.stderr.suffix(2000))")
        #expect(r.stderr.contains("died or fell silent") && r.stderr.contains("aborting the run"), "\(r.stderr.suffix(2000))")
        let store = try MetricsStore.open(path: db, readOnly: true)
        let run = try #require(try store.latestRun())
        #expect(run.status == .failed)
        #expect(try store.endReason(run: run.runID)?.contains("died or fell silent") == true)
        #expect(committedSteps(db: db) == 1)
    }

    /// A coordinator killed with -9 cannot record its end; the next coordinator started on the same metrics
    /// database records that run "failed" with the reason (its status file's pid is gone), instead of it staying
    /// "running" for ever (issue 8, item 9).
    @Test func aKilledCoordinatorsRunIsRecordedFailedByTheNextStart() throws {
        let dir = temporaryDirectory()
        let spec = try writeTinySpec(in: dir)
        let db = dir + "/m.sqlite"
        let first = try Child("snn-coord", ["start", "--spec", spec, "--bind", "tcp://127.0.0.1:\(freePort())", "--limit", "256",
                                            "--quiet", "--db", db, "--checkpoint-dir", dir + "/ck1"], cwd: dir)
        func runs() -> [RunRecord] { ((try? MetricsStore.open(path: db, readOnly: true).runs()) ?? []) ?? [] }
        #expect(waitUntil(60) { runs().first.map { FileManager.default.fileExists(atPath: dir + "/m.\($0.runID).status.json") } ?? false },
                "\(first.stderr)")
        let killed = try #require(runs().first).runID
        first.kill9()
        #expect(runs().first?.status == .running)
        let second = try Child("snn-coord", ["start", "--spec", spec, "--bind", "tcp://127.0.0.1:\(freePort())", "--limit", "256",
                                             "--quiet", "--db", db, "--checkpoint-dir", dir + "/ck2"], cwd: dir)
        defer { second.kill9() }
        #expect(waitUntil(60) { runs().count == 2 }, "\(second.stderr)")
        let record = try #require(runs().first { $0.runID == killed })
        #expect(record.status == .failed)
        #expect(record.finishedAt != nil)
        let reason = try MetricsStore.open(path: db, readOnly: true).endReason(run: killed)
        #expect(reason?.contains("ended without recording an end") == true, "\(reason ?? "nil")")
        #expect(runs().first { $0.runID != killed }?.status == .running)
    }

    /// Pids whose parent is `pid` (from /proc).
    static func children(of pid: Int32) -> [Int32] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { Int32($0) }.filter { p in
            guard let stat = try? String(contentsOfFile: "/proc/\(p)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { return false }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            return fields.count > 2 && Int32(fields[1]) == pid
        }
    }

    /// Running (not gone, not a zombie waiting to be reaped).
    static func isAlive(_ pid: Int32) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8), let close = stat.lastIndex(of: ")") else { return false }
        let state = stat[stat.index(after: close)...].split(separator: " ").first
        return state != "Z" && state != "X"
    }
}
