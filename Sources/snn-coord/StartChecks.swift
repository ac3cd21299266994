import ArgumentParser
import Foundation
import SNNCluster
import SNNCore
import SNNModel

extension Start {
    /// Option values that parse but cannot work (issue 8 item 12): refused before anything starts.
    func validateRanges() throws {
        if let c = checkpointEvery, c < 1 { throw ValidationError("--checkpoint-every must be ≥ 1 (checkpoints are always written at each epoch's end)") }
        if standalone && localWorkers > 0 { throw ValidationError("--local-workers starts cluster workers; it cannot be combined with --standalone (use --threads)") }
        if let port = bind.split(separator: ":").last.flatMap({ Int($0) }), !(0...65535).contains(port) {
            throw ValidationError("--bind \(bind): port \(port) is outside 0–65535")
        }
    }

    /// The session for this invocation, restored from `checkpoint` when resuming. It records which data it
    /// trains on (so checkpoints carry it) and refuses a checkpoint that was trained on other data: resuming
    /// with another `--limit` or other files would silently continue the run on different samples.
    func makeSession(setup: RunSetup, resuming checkpoint: Checkpoint?) throws -> TrainingSession {
        let session = TrainingSession(method: setup.method, settings: setup.settings,
                                      trainCount: setup.train.count, testCount: setup.test.count)
        session.dataFingerprint = BuildIdentity.dataFingerprint(train: setup.train, test: setup.test)
        session.dataLimit = limit
        // Workers wait for the next parameters while the coordinator commits, so the commit may use every core here
        // (the standalone trainer sets its --threads instead).
        session.reductionThreads = min(8, AvailableCores.count)
        if let checkpoint {
            if let recorded = checkpoint.dataFingerprint, recorded != session.dataFingerprint {
                let was = checkpoint.limit.map { "--limit \($0)" } ?? "no --limit"
                let now = limit.map { "--limit \($0)" } ?? "no --limit"
                throw ValidationErrorLine("run \(checkpoint.runID) was trained on other data (\(was), fingerprint \(recorded.prefix(12))…) than this invocation's (\(now), \(session.dataFingerprint!.prefix(12))…): resume with the same --data and \(was)")
            }
            try session.restore(checkpoint)
        }
        return session
    }

    /// Fails now, before any training, when checkpoints cannot be written to `dir` (a run that trains for an
    /// hour and then cannot save is worse than one that never starts).
    func checkCheckpointDirectory(_ dir: String) throws {
        let fm = FileManager.default
        do { try fm.createDirectory(atPath: dir, withIntermediateDirectories: true) } catch {
            throw ValidationErrorLine("--checkpoint-dir \(dir): cannot create the directory (\(Self.reason(error))); choose a writable directory")
        }
        let probe = dir + "/.write-probe-\(getpid())"
        guard fm.createFile(atPath: probe, contents: Data("probe".utf8)) else {
            throw ValidationErrorLine("--checkpoint-dir \(dir): cannot write there (\(String(cString: strerror(errno)))); choose a writable directory")
        }
        try? fm.removeItem(atPath: probe)
    }

    static func reason(_ error: Error) -> String {
        ((error as NSError).userInfo[NSUnderlyingErrorKey] as? NSError)?.localizedDescription ?? "\(error)"
    }
}
