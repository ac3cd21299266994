import Foundation
import Testing
import SNNCluster

/// Another process (the sqlite3 shell) holds a write transaction open on the metrics database, as a
/// coordinator mid-commit would: readers must not block and must see only committed rows; a second writer
/// must wait (busy timeout) and then succeed.
@Suite("Metrics store under a concurrent writer process")
struct MetricsWALTests {
    static let shell = "/usr/bin/sqlite3"

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: shell), "needs the sqlite3 shell"))
    // Synchronous, with the blocking write on a Dispatch queue: as an async test its COMMIT waited for a free
    // cooperative thread, which other suites' blocking tests could hold past the 5 s busy timeout.
    func readerIsNotBlockedByAnOpenWriteTransactionAndWriterWaitsForIt() throws {
        let dir = try metricsTempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("metrics.sqlite").path
        let writer = try MetricsStore.open(path: path)
        try writeSampleRun(writer, finish: false)
        let reader = try MetricsStore.open(path: path, readOnly: true)

        let ready = dir.appendingPathComponent("ready").path
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Self.shell)
        p.arguments = [path]
        let stdin = Pipe()
        p.standardInput = stdin
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        defer { if p.isRunning { p.terminate() } }
        stdin.fileHandleForWriting.write(Data("""
            BEGIN IMMEDIATE;
            INSERT INTO steps(run_id, epoch, step, samples) VALUES('r1', 7, 0, 1);
            .output \(ready)
            .print ready
            .output stdout

            """.utf8))
        let deadline = Date() + 10
        while (try? String(contentsOfFile: ready, encoding: .utf8)) != "ready\n" {
            #expect(Date() < deadline, "sqlite3 shell never took the write lock")
            if Date() >= deadline { return }
            Thread.sleep(forTimeInterval: 0.02)
        }

        // Reader: not blocked, sees the committed state only.
        let start = Date()
        #expect(try reader.steps(run: "r1").count == 5)
        // A blocked reader would wait out the 5 s busy timeout and then fail; anything well under it means it was
        // not blocked, however loaded the machine is.
        #expect(Date().timeIntervalSince(start) < 4.5)

        // Writer: waits for the shell's transaction instead of failing.
        let done = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var writeError: Error?
        DispatchQueue.global().async {
            do { try writer.recordStep("r1", StepRecord(epoch: 7, step: 1, samples: 1)) } catch { writeError = error }
            done.signal()
        }
        Thread.sleep(forTimeInterval: 0.3)
        stdin.fileHandleForWriting.write(Data("COMMIT;\n".utf8))
        try stdin.fileHandleForWriting.close()
        done.wait()
        if let writeError { throw writeError }
        p.waitUntilExit()
        #expect(p.terminationStatus == 0)
        #expect(try reader.steps(run: "r1").suffix(2).map(\.step) == [0, 1])
        #expect(try reader.steps(run: "r1").count == 7)
    }
}
