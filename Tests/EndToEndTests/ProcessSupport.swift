import Foundation

/// Runs the product's executables as real processes (built next to the test bundle).
enum Binaries {
    static var directory: URL {
        let me = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var dir = URL(fileURLWithPath: me).deletingLastPathComponent()
        // The test runner may live inside a .xctest bundle directory.
        while !FileManager.default.fileExists(atPath: dir.appendingPathComponent("snn-coord").path) && dir.path != "/" {
            dir = dir.deletingLastPathComponent()
        }
        return dir
    }
    static func path(_ name: String) -> String { directory.appendingPathComponent(name).path }
}

struct ProcessResult {
    var status: Int32
    var stdout: String
    var stderr: String
}

/// A child process whose output is collected to files (no pipe back-pressure).
final class Child: @unchecked Sendable {
    let process = Process()
    let outURL: URL, errURL: URL

    convenience init(_ name: String, _ args: [String], cwd: String? = nil) throws {
        try self.init(executable: Binaries.path(name), args, cwd: cwd)
    }

    /// Any program (system tools, scripts), with `environment` added to this process's.
    init(executable: String, _ args: [String], cwd: String? = nil, environment: [String: String] = [:]) throws {
        let tmp = FileManager.default.temporaryDirectory
        outURL = tmp.appendingPathComponent("out-\(UUID()).txt"); errURL = tmp.appendingPathComponent("err-\(UUID()).txt")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = args
        if let cwd { process.currentDirectoryURL = URL(fileURLWithPath: cwd) }
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        }
        process.standardOutput = try FileHandle(forWritingTo: outURL)
        process.standardError = try FileHandle(forWritingTo: errURL)
        try process.run()
    }

    /// No process outlives its test, even when an expectation failed early.
    deinit { if process.isRunning { kill(process.processIdentifier, SIGKILL); process.waitUntilExit() } }

    var stdout: String { (try? String(contentsOf: outURL, encoding: .utf8)) ?? "" }
    var stderr: String { (try? String(contentsOf: errURL, encoding: .utf8)) ?? "" }

    /// Waits up to `timeout` seconds (a bound against hangs, not a verdict); kills the process if it is still
    /// running then.
    @discardableResult
    func wait(timeout: Double) -> ProcessResult {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        if process.isRunning {
            // SIGTERM first, so a script's EXIT trap still stops what it started (slurm-local's daemons) and
            // removes its files, and a coordinator records its end; SIGKILL after 10 s.
            kill(process.processIdentifier, SIGTERM)
            let term = Date().addingTimeInterval(10)
            while process.isRunning && Date() < term { Thread.sleep(forTimeInterval: 0.05) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            // Foundation notices an exit when every holder of an inherited descriptor is gone; never wait unbounded.
            let grace = Date().addingTimeInterval(10)
            while process.isRunning && Date() < grace { Thread.sleep(forTimeInterval: 0.05) }
            if process.isRunning { return ProcessResult(status: -1, stdout: stdout, stderr: stderr + "\n(still running after SIGKILL)") }
        }
        process.waitUntilExit()
        return ProcessResult(status: process.terminationStatus, stdout: stdout, stderr: stderr)
    }

    func kill9() { kill(process.processIdentifier, SIGKILL); process.waitUntilExit() }
}

func run(_ name: String, _ args: [String], cwd: String? = nil, timeout: Double = 120) throws -> ProcessResult {
    try Child(name, args, cwd: cwd).wait(timeout: timeout)
}

func temporaryDirectory() -> String {
    let d = FileManager.default.temporaryDirectory.appendingPathComponent("snn-e2e-\(UUID())").path
    try? FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
    return d
}

/// The repository root (for cluster/runs specs): walk up from this file.
let repositoryRoot: String = {
    var url = URL(fileURLWithPath: #filePath)
    while url.path != "/" {
        url.deleteLastPathComponent()
        if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) { return url.path }
    }
    return FileManager.default.currentDirectoryPath
}()
