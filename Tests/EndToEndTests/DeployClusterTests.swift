import Foundation
import Testing
import SNNCluster

/// The recipes run for real where this machine can run them (as root, which CI is): a one-node Slurm cluster
/// runs cluster/deploy/slurm.sbatch, and network namespaces stand in for hosts joined by a real (virtual) link.
/// Verdicts are parameter digests and recorded membership events, never durations.
@Suite(.serialized) struct DeployClusterTests {
    /// The standalone digest of the tiny BNTT spec for `args` (the reference every deployment must reproduce).
    static func standaloneDigest(spec: String, dir: String, _ args: [String]) throws -> String {
        let r = try run("snn-coord", ["start", "--standalone", "--spec", spec, "--quiet", "--db", dir + "/ref.sqlite",
                                      "--checkpoint-dir", dir + "/ref"] + args, cwd: dir)
        #expect(r.status == 0, "\(r.stderr)")
        return digest(r.stdout) ?? "missing"
    }

    @Test(.enabled(if: Host.isRoot && Host.has("munged", "slurmctld", "slurmd", "sbatch"),
                   "needs root and Debian's slurm-wlm + munge (scripts/test installs them when run as root)"))
    func slurmBatchScriptGivesTheStandaloneDigest() throws {
        let dir = temporaryDirectory()
        let spec = try writeTinySpec(in: dir)
        let args = ["--seed", "7", "--max-steps", "4", "--limit", "512"]
        let reference = try Self.standaloneDigest(spec: spec, dir: dir, args)
        let port = freePort(), job = dir + "/job"
        let r = try runTool(repositoryRoot + "/cluster/deploy/slurm-local",
                            ["--nodes=1", "--ntasks-per-node=3", "--cpus-per-task=1", repositoryRoot + "/cluster/deploy/slurm.sbatch"],
                            cwd: dir,
                            environment: ["SNN_BIN": Binaries.directory.path, "SNN_SPEC": spec, "SNN_JOB_DIR": job,
                                          "SNN_PORT": "\(port)", "SNN_COORD_HOST": "127.0.0.1", "SNN_BIND": "tcp://127.0.0.1:\(port)",
                                          "SNN_COORD_ARGS": args.joined(separator: " "), "SNN_WORKER_ARGS": "--limit 512",
                                          "SLURM_LOCAL_TIMEOUT": "400"],
                            timeout: 480)
        #expect(r.status == 0, "slurm-local: \(r.stdout)\n\(r.stderr)")
        let out = (try? String(contentsOfFile: job + "/coordinator.out", encoding: .utf8)) ?? ""
        #expect(digest(out) == reference, "job output: \(r.stdout)")
        // CURVE was on, with the job's own keys, and both worker tasks trained.
        #expect(r.stdout.contains("(CURVE, 2 allowed worker keys)"), "\(r.stdout)")
        let store = try MetricsStore.open(path: job + "/metrics.sqlite", readOnly: true)
        let run = try #require(try store.latestRun())
        let joined = try store.membership(run: run.runID).filter { $0.event == .joined }.map(\.workerName)
        #expect(Set(joined) == ["slurm-task-1", "slurm-task-2"])
        print("slurm: digest \(reference) standalone = sbatch job")
    }

    @Test(.enabled(if: Host.isRoot && Host.has("ip"), "needs root and iproute2 (network namespaces)"))
    func namespaceHostsGiveTheStandaloneDigest() throws {
        let dir = temporaryDirectory()
        let spec = try writeTinySpec(in: dir)
        let args = ["--seed", "5", "--max-steps", "6", "--limit", "512"]
        let reference = try Self.standaloneDigest(spec: spec, dir: dir, args)
        let net = try NamespaceCluster(workers: 2, dir: dir)
        defer { net.tearDown() }
        let db = dir + "/m.sqlite"
        let coord = try net.startCoordinator(spec: spec, db: db, args + ["--quiet"])
        let workers = try (1...2).map { try net.startWorker($0, ["--limit", "512"]) }
        let r = coord.wait(timeout: 300)
        for w in workers { w.wait(timeout: 30) }
        #expect(r.status == 0, "\(r.stderr)")
        #expect(digest(r.stdout) == reference)
        print("netns: digest \(reference) standalone = coordinator + 2 workers in namespaces (CURVE)")
    }

    /// One worker's link goes down while it holds a micro-batch and comes back later: the coordinator declares it
    /// dead, its micro-batches go to the other worker (the step completes), the worker rejoins after the link
    /// returns, and the parameters equal the undisturbed run's. The cut is made while host-1 is computing (its
    /// CPU time advancing); should it still fall between two of its micro-batches (nothing to requeue), the link
    /// is cut again after the rejoin, up to three times.
    @Test(.enabled(if: Host.isRoot && Host.has("ip"), "needs root and iproute2 (network namespaces)"))
    func cutLinkMidRunChangesNothingAndTheWorkerRejoins() throws {
        let dir = temporaryDirectory()
        let spec = try writeTinySpec(in: dir)
        let limit = 6000, totalSteps = limit / 32
        let args = ["--seed", "3", "--limit", "\(limit)"]
        let reference = try Self.standaloneDigest(spec: spec, dir: dir, args)
        let net = try NamespaceCluster(workers: 2, dir: dir)
        defer { net.tearDown() }
        let db = dir + "/m.sqlite"
        let coord = try net.startCoordinator(spec: spec, db: db, args + ["--quiet"])
        let workers = try (1...2).map { try net.startWorker($0, ["--limit", "\(limit)"]) }

        #expect(waitUntil(120) { committedSteps(db: db) >= 3 }, "the run did not start: \(coord.stderr)")
        let store = try MetricsStore.open(path: db, readOnly: true)
        let runID = try #require(try store.latestRun()).runID
        func events(_ e: MembershipEvent) -> [MembershipRecord] {
            ((try? store.membership(run: runID)) ?? []).filter { $0.event == e && $0.workerName == "host-1" }
        }
        func reassigned(_ r: MembershipRecord) -> Int { Int(r.detail.split(separator: " ").first ?? "") ?? 0 }

        struct Cut { var at: Date; var step: Int; var lost: MembershipRecord; var rejoinedAt: Date? }
        var cuts: [Cut] = []
        while cuts.count < 3 && coord.process.isRunning && (cuts.last.map { reassigned($0.lost) == 0 } ?? true) {
            // Cut while host-1 computes (its CPU time moves over 0.2 s; bounded wait, then cut anyway).
            _ = waitUntil(30) {
                guard let a = cpuTicks(pid: workers[0].process.processIdentifier) else { return true }
                Thread.sleep(forTimeInterval: 0.2)
                return (cpuTicks(pid: workers[0].process.processIdentifier) ?? a) - a >= 2
            }
            let lostBefore = events(.lost).count, joinedBefore = events(.joined).count
            try net.setLink(worker: 1, up: false)
            let at = Date(), step = committedSteps(db: db)
            // Declared dead while cut off (bounded wait; the coordinator's deadline is 3 s of silence).
            let declared = waitUntil(120) { events(.lost).count > lostBefore }
            try net.setLink(worker: 1, up: true)
            guard declared, let lost = events(.lost).last else {
                Issue.record("host-1 was never declared dead after cut \(cuts.count + 1): \(coord.stderr)"); break
            }
            var cut = Cut(at: at, step: step, lost: lost, rejoinedAt: nil)
            if waitUntil(120, { events(.joined).count > joinedBefore || !coord.process.isRunning }) {
                cut.rejoinedAt = events(.joined).count > joinedBefore ? events(.joined).last?.at : nil
            }
            cuts.append(cut)
        }
        let r = coord.wait(timeout: 600)
        for w in workers { w.wait(timeout: 60) }
        #expect(r.status == 0, "\(r.stderr)")
        #expect(digest(r.stdout) == reference)
        #expect(cuts.allSatisfy { $0.step < totalSteps }, "a cut came after the run's end; make the run longer")
        #expect(cuts.allSatisfy { $0.rejoinedAt != nil }, "host-1 did not rejoin after the link came back: \(coord.stderr)")

        // Requeues as the metrics database recorded them: host-1's hand-outs that ended `requeued` are the ones its
        // deaths sent back (as many as the lost events counted), at least one cut caught it holding work, and every
        // requeued micro-batch was later done by a live worker (its step completed).
        let handOuts = try store.microBatches(run: runID)
        let requeued = handOuts.filter { $0.workerName == "host-1" && $0.outcome == .requeued }
        #expect(requeued.count == cuts.map { reassigned($0.lost) }.reduce(0, +))
        #expect(!requeued.isEmpty, "no cut found host-1 holding a micro-batch (\(cuts.count) tries)")
        for q in requeued {
            let redone = handOuts.first { $0.outcome == .done && $0.epoch == q.epoch && $0.step == q.step
                && $0.microBatch == q.microBatch && $0.phase == q.phase && $0.finishedAt >= q.finishedAt }
            #expect(redone != nil, "requeued micro-batch \(q.epoch)/\(q.step)/\(q.microBatch) (\(q.phase)) was never done")
            if let redone { print("netns cut link: micro-batch \(q.phase) \(q.epoch)/\(q.step)/\(q.microBatch) requeued from host-1, redone by \(redone.workerName)") }
        }
        // Host-1 took work again after rejoining.
        let worksAgain = handOuts.contains { $0.workerName == "host-1" && $0.outcome == .done && $0.assignedAt > (cuts.last?.rejoinedAt ?? .distantFuture) }
        for (i, c) in cuts.enumerated() {
            print("netns cut link \(i + 1): cut at step \(c.step) of \(totalSteps); declared dead "
                  + String(format: "%.1f s", c.lost.at.timeIntervalSince(c.at)) + " after the cut (\(c.lost.detail)); rejoined "
                  + (c.rejoinedAt.map { String(format: "%.1f s", $0.timeIntervalSince(c.lost.at)) + " after that" } ?? "never"))
        }
        print("netns cut link: \(requeued.count) requeued hand-out(s) in micro_batches; host-1 joined \(events(.joined).count) times, "
              + "computed after its last rejoin: \(worksAgain); digest \(reference) = standalone")
    }
}

/// A coordinator and N worker "hosts", each in its own network namespace, joined by veth pairs to a bridge in the
/// coordinator's namespace (10.77.0.0/24 exists only inside these namespaces). CURVE keys for every host.
final class NamespaceCluster {
    let prefix: String
    let workers: Int
    let keys: String
    var children: [Child] = []

    /// Namespaces and root-namespace links made so far (what tearDown removes: never another run's).
    private var namespaces: [String] = [], rootLinks: [String] = []

    init(workers: Int, dir: String) throws {
        // Unique per run (parallel runs, other suites): "n" + 8 random hex digits; link names stay within 15 bytes.
        prefix = "n" + String(UInt32.random(in: .min ... .max), radix: 16).leftPadded(to: 8)
        self.workers = workers
        keys = dir + "/keys"
        try FileManager.default.createDirectory(atPath: keys, withIntermediateDirectories: true)
        do {
            try addNamespace("\(prefix)c")
            try ip("-n", "\(prefix)c", "link", "add", "br0", "type", "bridge")
            try ip("-n", "\(prefix)c", "addr", "add", "10.77.0.1/24", "dev", "br0")
            try ip("-n", "\(prefix)c", "link", "set", "br0", "up")
            try ip("-n", "\(prefix)c", "link", "set", "lo", "up")
            for i in 1...workers {
                try addNamespace("\(prefix)w\(i)")
                try ip("link", "add", "\(prefix)v\(i)", "type", "veth", "peer", "name", "\(prefix)p\(i)")
                rootLinks.append("\(prefix)v\(i)")
                try ip("link", "set", "\(prefix)v\(i)", "netns", "\(prefix)w\(i)")
                try ip("link", "set", "\(prefix)p\(i)", "netns", "\(prefix)c")
                rootLinks.removeLast()
                try ip("-n", "\(prefix)c", "link", "set", "\(prefix)p\(i)", "master", "br0", "up")
                try ip("-n", "\(prefix)w\(i)", "addr", "add", "10.77.0.\(i + 1)/24", "dev", "\(prefix)v\(i)")
                try ip("-n", "\(prefix)w\(i)", "link", "set", "\(prefix)v\(i)", "up")
                try ip("-n", "\(prefix)w\(i)", "link", "set", "lo", "up")
            }
        } catch { tearDown(); throw error }
        var allowed = ""
        for name in ["coord"] + (1...workers).map({ "w\($0)" }) {
            let r = try run("snn-coord", ["keygen", "\(keys)/\(name).key"])
            guard r.status == 0 else { tearDown(); throw DeployTestError("keygen: \(r.stderr)") }
            if name != "coord" { allowed += try String(contentsOfFile: "\(keys)/\(name).key.pub", encoding: .utf8) }
        }
        try allowed.write(toFile: "\(keys)/allowed.pub", atomically: true, encoding: .utf8)
    }

    private func addNamespace(_ name: String) throws {
        try ip("netns", "add", name)
        namespaces.append(name)
    }

    private func inNamespace(_ ns: String, _ binary: String, _ args: [String]) throws -> Child {
        let c = try Child(executable: Host.tool("ip")!, ["netns", "exec", ns, Binaries.path(binary)] + args)
        children.append(c)
        return c
    }

    func startCoordinator(spec: String, db: String, _ args: [String]) throws -> Child {
        try inNamespace("\(prefix)c", "snn-coord", ["start", "--spec", spec, "--bind", "tcp://10.77.0.1:5555",
                                                     "--min-workers", "\(workers)", "--key", "\(keys)/coord.key",
                                                     "--allow", "\(keys)/allowed.pub", "--db", db,
                                                     "--checkpoint-dir", db + ".ck"] + args)
    }

    func startWorker(_ i: Int, _ args: [String]) throws -> Child {
        try inNamespace("\(prefix)w\(i)", "snn-worker", ["join", "tcp://10.77.0.1:5555", "--name", "host-\(i)", "--threads", "1",
                                                          "--key", "\(keys)/w\(i).key", "--server-key", "\(keys)/coord.key.pub",
                                                          "--give-up-after", "120"] + args)
    }

    /// Takes worker `i`'s end of its link down or up (inside its namespace: the cable is pulled at the host).
    func setLink(worker i: Int, up: Bool) throws {
        try ip("-n", "\(prefix)w\(i)", "link", "set", "\(prefix)v\(i)", up ? "up" : "down")
    }

    /// Kills everything started inside the namespaces and deletes the namespaces and links this cluster made
    /// (safe to call more than once; deleting a namespace deletes the veth ends inside it).
    func tearDown() {
        for c in children where c.process.isRunning { kill(c.process.processIdentifier, SIGKILL); c.process.waitUntilExit() }
        children.removeAll()
        let tool = Host.tool("ip") ?? "/usr/sbin/ip"
        for link in rootLinks { _ = try? runTool(tool, ["link", "del", link], timeout: 30) }
        for ns in namespaces.reversed() { _ = try? runTool(tool, ["netns", "del", ns], timeout: 30) }
        rootLinks.removeAll(); namespaces.removeAll()
    }
}

extension String {
    func leftPadded(to n: Int) -> String { count >= n ? self : String(repeating: "0", count: n - count) + self }
}
