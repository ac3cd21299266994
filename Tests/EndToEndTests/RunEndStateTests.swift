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
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET); addr.sin_port = 0; addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) } }
        _ = listen(fd, 1)
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        let port = Int(UInt16(bigEndian: addr.sin_port))
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
    /// the resumed run as duplicates.
    @Test func localWorkersExitWhenTheirCoordinatorIsKilled() throws {
        let dir = temporaryDirectory()
        let spec = try writeTinySpec(in: dir)
        let db = dir + "/m.sqlite"
        let coord = try Child("snn-coord", ["start", "--spec", spec, "--bind", "tcp://127.0.0.1:\(freePort())", "--local-workers", "2",
                                            "--limit", "3000", "--quiet", "--db", db, "--checkpoint-dir", dir + "/ck"], cwd: dir)
        #expect(waitUntil(90) { committedSteps(db: db) >= 1 }, "the run did not start: \(coord.stderr)")
        let workers = Self.children(of: coord.process.processIdentifier)
        #expect(workers.count == 2)
        coord.kill9()
        #expect(waitUntil(30) { workers.allSatisfy { !Self.isAlive($0) } }, "local workers outlived their coordinator")
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
