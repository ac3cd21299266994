import Foundation
import Testing
import SNNCluster

/// Real coordinator and worker processes on loopback. Serialized: each test runs several processes on the
/// machine's cores, and their timing matters.
@Suite(.serialized) struct ClusterTests {
    /// Same seed, same steps: the parameter hash does not depend on how many workers there were (or none).
    @Test(arguments: ["bntt", "dsr", "ttfs", "ann"])
    func workerCountDoesNotChangeParameters(method: String) throws {
        let dir = temporaryDirectory()
        let spec = method == "dsr" ? try writeTinyDSRSpec(in: dir) : method == "ttfs" ? try writeTinyTTFSSpec(in: dir)
            : method == "ann" ? try writeTinyANNSpec(in: dir) : try writeTinySpec(in: dir)
        var digests: [String] = []
        for workers in [0, 1, 2, 3] {
            var args = ["start", "--spec", spec, "--max-steps", "5", "--limit", "512", "--seed", "7", "--quiet",
                        "--db", dir + "/m\(workers).sqlite", "--checkpoint-dir", dir + "/ck\(workers)"]
            args += workers == 0 ? ["--standalone"] : ["--local-workers", "\(workers)", "--bind", "tcp://127.0.0.1:\(freePort())"]
            let r = try run("snn-coord", args, cwd: dir, timeout: 120)
            #expect(r.status == 0, "\(workers) workers: \(r.stderr)")
            digests.append(digest(r.stdout) ?? "missing")
        }
        #expect(digests[0].count == 64)
        #expect(Set(digests).count == 1, "digests differ: \(digests)")
    }

    /// kill -9 of a worker in the middle of the run: the run completes with the undisturbed run's parameters,
    /// and a worker joining mid-run gets work. TTFS runs two epochs (rounding, clipping, L2-I and TKBN in the second).
    @Test(arguments: ["bntt", "ttfs"])
    func killedWorkerDoesNotChangeParametersAndNewWorkerGetsWork(method: String) throws {
        let dir = temporaryDirectory()
        let epochs = method == "ttfs" ? 2 : 1
        let spec = method == "ttfs" ? try writeTinyTTFSSpec(in: dir, epochs: epochs) : try writeTinySpec(in: dir)
        let common = ["--spec", spec, "--limit", "3000", "--seed", "3", "--quiet"]
        let reference = try referenceRun(common, dir: dir)
        #expect(reference.status == 0, "\(reference.stderr)")

        let port = freePort(), address = "tcp://127.0.0.1:\(port)", db = dir + "/m.sqlite"
        let coord = try Child("snn-coord", ["start", "--bind", address, "--min-workers", "2", "--db", db, "--checkpoint-dir", dir + "/ck"] + common, cwd: dir)
        let workerArgs = ["join", address, "--threads", "1", "--limit", "3000"]
        let w1 = try Child("snn-worker", workerArgs + ["--name", "doomed"])
        let w2 = try Child("snn-worker", workerArgs + ["--name", "steady"])
        #expect(waitUntil(60) { committedSteps(db: db) >= 3 }, "the run did not start: \(coord.stderr)")
        w1.kill9()
        let stepsAtKill = committedSteps(db: db)
        let w3 = try Child("snn-worker", workerArgs + ["--name", "latecomer"])
        let r = coord.wait(timeout: 180)
        w2.wait(timeout: 10); let late = w3.wait(timeout: 10)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(stepsAtKill < 94 * epochs, "the kill came after the run's end; make the run longer")
        #expect(digest(r.stdout) == digest(reference.stdout))
        // The latecomer did real work.
        let sent = late.stderr.split(separator: "\n").first { $0.contains("results sent") }
        #expect(sent != nil && !sent!.contains("; 0 results"), "latecomer: \(late.stderr)")
        let store = try MetricsStore.open(path: db, readOnly: true)
        let runID = try #require(try store.latestRun()).runID
        let events = try store.membership(run: runID).map(\.event)
        #expect(events.contains(.lost))
        #expect(events.filter { $0 == .joined }.count >= 3)
    }

    /// The coordinator is killed and restarted with --resume: training continues from its last checkpoint, the
    /// same worker processes reconnect by themselves, and the result equals the undisturbed run's. Also with rounded
    /// gradients and updates (`training.communication`): the carried rounding error travels in the checkpoint, and the
    /// workers get full values after the restart and rounded updates (WORK kind 3) again after that.
    @Test(arguments: [nil, #"{"gradientBits": 8, "updateBits": 6}"#])
    func coordinatorRestartResumesAndWorkersReconnect(communication: String?) throws {
        let dir = temporaryDirectory()
        let spec = try writeTinySpec(in: dir, communication: communication)
        let common = ["--spec", spec, "--limit", "3000", "--seed", "11", "--quiet"]
        let reference = try referenceRun(common, dir: dir)
        #expect(reference.status == 0, "\(reference.stderr)")

        let address = "tcp://127.0.0.1:\(freePort())", db = dir + "/m.sqlite", ck = dir + "/ck"
        let first = try Child("snn-coord", ["start", "--bind", address, "--min-workers", "2", "--db", db, "--checkpoint-dir", ck,
                                            "--checkpoint-every", "4"] + common, cwd: dir)
        let workerArgs = ["join", address, "--threads", "1", "--limit", "3000"]
        let w1 = try Child("snn-worker", workerArgs + ["--name", "a"])
        let w2 = try Child("snn-worker", workerArgs + ["--name", "b"])
        #expect(waitUntil(60) { FileManager.default.fileExists(atPath: ck + "/checkpoint.ckpt") && committedSteps(db: db) >= 10 },
                "no checkpoint: \(first.stderr)")
        first.kill9()
        let second = try Child("snn-coord", ["start", "--resume", ck + "/checkpoint.ckpt", "--bind", address, "--min-workers", "2",
                                             "--db", db, "--checkpoint-dir", ck, "--limit", "3000", "--quiet"], cwd: dir)
        let r = second.wait(timeout: 180)
        let a = w1.wait(timeout: 15), b = w2.wait(timeout: 15)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(digest(r.stdout) == digest(reference.stdout))
        for w in [a, b] {
            // Same process, two coordinators: it joined the first and, after the restart, the resumed one.
            #expect(w.status == 0, "\(w.stderr)")
            #expect(w.stderr.components(separatedBy: "joined run").count - 1 >= 2, "\(w.stderr)")
        }
    }

    /// CURVE with a ZAP allow-list: a worker whose key is not allowed never joins; an allowed one trains.
    @Test func workerWithoutAllowedKeyIsRefused() throws {
        let dir = temporaryDirectory()
        let spec = try writeTinySpec(in: dir)
        for k in ["coord", "good", "bad"] { #expect(try run("snn-coord", ["keygen", dir + "/\(k).key"]).status == 0) }
        let address = "tcp://127.0.0.1:\(freePort())", db = dir + "/m.sqlite"
        let coord = try Child("snn-coord", ["start", "--spec", spec, "--bind", address, "--key", dir + "/coord.key",
                                            "--allow", dir + "/good.key.pub", "--max-steps", "3", "--limit", "256", "--quiet",
                                            "--db", db, "--checkpoint-dir", dir + "/ck"], cwd: dir)
        let bad = try run("snn-worker", ["join", address, "--key", dir + "/bad.key", "--server-key", dir + "/coord.key.pub",
                                         "--limit", "256", "--give-up-after", "4", "--threads", "1"], timeout: 60)
        #expect(bad.status != 0)
        #expect(bad.stderr.contains("no coordinator answered"), "\(bad.stderr)")
        #expect(!bad.stderr.contains("joined run"))
        let good = try Child("snn-worker", ["join", address, "--key", dir + "/good.key", "--server-key", dir + "/coord.key.pub",
                                            "--limit", "256", "--threads", "1", "--quiet"])
        let r = coord.wait(timeout: 120)
        good.wait(timeout: 10)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(digest(r.stdout) != nil)
        let store = try MetricsStore.open(path: db, readOnly: true)
        let runID = try #require(try store.latestRun()).runID
        let members = try store.membership(run: runID)
        #expect(members.contains { $0.event == .refused && $0.detail.contains("CURVE") })
        #expect(members.contains { $0.event == .joined })
    }

    /// A worker holding different data (here: another --limit, so another fingerprint) is refused with the reason.
    @Test func workerWithOtherDataIsRefusedWithTheReason() throws {
        let dir = temporaryDirectory()
        let spec = try writeTinySpec(in: dir)
        let address = "tcp://127.0.0.1:\(freePort())", db = dir + "/m.sqlite"
        let coord = try Child("snn-coord", ["start", "--spec", spec, "--bind", address, "--max-steps", "2", "--limit", "256",
                                            "--quiet", "--db", db, "--checkpoint-dir", dir + "/ck"], cwd: dir)
        let other = try run("snn-worker", ["join", address, "--limit", "300", "--threads", "1", "--give-up-after", "20"], timeout: 60)
        #expect(other.status != 0)
        #expect(other.stderr.contains("dataset fingerprint mismatch"), "\(other.stderr)")
        let good = try Child("snn-worker", ["join", address, "--limit", "256", "--threads", "1", "--quiet"])
        #expect(coord.wait(timeout: 120).status == 0)
        good.wait(timeout: 10)
        let store = try MetricsStore.open(path: db, readOnly: true)
        let runID = try #require(try store.latestRun()).runID
        #expect(try store.membership(run: runID).contains { $0.event == .refused && $0.detail.contains("dataset") })
    }

    /// Malformed messages from a rogue peer are rejected with a reply and a log line; the run goes on unharmed.
    @Test func malformedMessagesAreRejectedAndTheRunGoesOn() throws {
        let dir = temporaryDirectory()
        let spec = try writeTinySpec(in: dir)
        let common = ["--spec", spec, "--limit", "1500", "--seed", "5"]
        let reference = try run("snn-coord", ["start", "--standalone", "--quiet", "--db", dir + "/ref.sqlite", "--checkpoint-dir", dir + "/ref"] + common, cwd: dir)
        let address = "tcp://127.0.0.1:\(freePort())", db = dir + "/m.sqlite"
        let coord = try Child("snn-coord", ["start", "--bind", address, "--local-workers", "1", "--db", db, "--checkpoint-dir", dir + "/ck"] + common, cwd: dir)
        #expect(waitUntil(60) { committedSteps(db: db) >= 2 })
        let ctx = try ZContext()
        let rogue = try ZSocket.dealer(ctx)
        try rogue.connect(address)
        let valid = try WireCodec.encode(.requestWork(WorkRequest(freeSlots: 1, knownParameterVersion: 0)), runID: nil).frames
        var header = valid[0]; header[4] = 99   // unsupported protocol version
        let attacks: [[[UInt8]]] = [
            [Array("garbage".utf8)],
            [header] + valid.dropFirst(),
            [Array(valid[0].prefix(10))],
            [valid[0], [UInt8](repeating: 0xFF, count: 64)],
        ]
        var replies = 0
        for frames in attacks {
            try rogue.sendMultipart(frames)
            if let reply = try rogue.receiveMultipart(timeoutMs: 5000), let m = try? WireCodec.decode(reply), m.kind == .error || m.kind == .refuse { replies += 1 }
        }
        rogue.close()
        let r = coord.wait(timeout: 180)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(replies == attacks.count)
        #expect(r.stderr.contains("rejected a malformed message"))
        #expect(digest(r.stdout) == digest(reference.stdout))
    }
}
