import Foundation

/// What the deployment tests need from the machine: root, system tools, and a way to run them.
enum Host {
    static var isRoot: Bool { getuid() == 0 }

    /// The first executable named `name` on PATH or in the usual system folders.
    static func tool(_ name: String) -> String? {
        let path = (ProcessInfo.processInfo.environment["PATH"] ?? "") + ":/usr/sbin:/usr/bin:/sbin:/bin"
        for dir in path.split(separator: ":") {
            let p = "\(dir)/\(name)"
            if FileManager.default.isExecutableFile(atPath: p) { return p }
        }
        return nil
    }

    static func has(_ names: String...) -> Bool { names.allSatisfy { tool($0) != nil } }

    /// Debian's python3 with PyYAML (python3-yaml), used by cluster/deploy/check-kubernetes.
    static var pythonWithYAML: Bool {
        FileManager.default.isExecutableFile(atPath: "/usr/bin/python3")
            && ((try? runTool("/usr/bin/python3", ["-c", "import yaml"]).status) == 0)
    }
}

@discardableResult
func runTool(_ executable: String, _ args: [String], cwd: String? = nil, environment: [String: String] = [:],
             timeout: Double = 120) throws -> ProcessResult {
    try Child(executable: executable, args, cwd: cwd, environment: environment).wait(timeout: timeout)
}

/// Runs `ip` with `args`; throws with its error output when it fails.
func ip(_ args: String...) throws {
    let r = try runTool(Host.tool("ip") ?? "/usr/sbin/ip", args, timeout: 30)
    if r.status != 0 { throw DeployTestError("ip \(args.joined(separator: " ")): \(r.stderr)") }
}

/// CPU time (user + system, in clock ticks, all threads) that process `pid` has used so far; nil once it is gone.
func cpuTicks(pid: Int32) -> Int? {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
          let close = stat.lastIndex(of: ")") else { return nil }
    // Fields after "(comm)": state is field 3, utime 14, stime 15 (proc(5)).
    let fields = stat[stat.index(after: close)...].split(separator: " ")
    guard fields.count > 12, let u = Int(fields[11]), let s = Int(fields[12]) else { return nil }
    return u + s
}

struct DeployTestError: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}

/// One product command line found in a deployment recipe: the binary, its subcommand and the options it uses.
struct RecipeCommand: CustomStringConvertible {
    var source: String
    var binary: String
    var subcommand: String
    var options: [String]
    var description: String { "\(source): \(binary) \(subcommand) \(options.joined(separator: " "))" }

    /// Finds `snn-coord SUB …` / `snn-worker SUB …` in `words` (shell words or a manifest's command array).
    static func parse(source: String, words: [String]) -> RecipeCommand? {
        guard let i = words.firstIndex(where: { $0.hasSuffix("snn-coord") || $0.hasSuffix("snn-worker") }),
              i + 1 < words.count else { return nil }
        let binary = words[i].hasSuffix("snn-coord") ? "snn-coord" : "snn-worker"
        let options = words[(i + 2)...].filter { $0.hasPrefix("--") }.map { String($0.split(separator: "=")[0]) }
        return RecipeCommand(source: source, binary: binary, subcommand: words[i + 1], options: options)
    }

    /// Shell-ish words of a script line: quotes removed, `$VARS` kept as words (they are never options).
    static func words(_ line: String) -> [String] {
        line.replacingOccurrences(of: "\"", with: " ").replacingOccurrences(of: "'", with: " ")
            .split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
    }

    /// The product command lines of a shell script or systemd unit, with `\` continuation lines joined.
    static func inScript(_ path: String, source: String) throws -> [RecipeCommand] {
        let text = try String(contentsOfFile: path, encoding: .utf8).replacingOccurrences(of: "\\\n", with: " ")
        return text.split(separator: "\n").compactMap { line -> RecipeCommand? in
            let l = line.trimmingCharacters(in: .whitespaces)
            guard !l.hasPrefix("#"), l.contains("snn-coord") || l.contains("snn-worker") else { return nil }
            let w = words(l.hasPrefix("ExecStart=") ? String(l.dropFirst("ExecStart=".count)) : l)
            guard let c = parse(source: source, words: w), ["start", "join", "keygen", "query", "status"].contains(c.subcommand)
            else { return nil }
            return c
        }
    }

    /// What is wrong with this command line against the built binary's `--help`, or nil.
    func problem() throws -> String? {
        let help = try run(binary, [subcommand, "--help"])
        guard help.status == 0, help.stdout.contains("USAGE: \(binary) \(subcommand)") else {
            return "\(self): `\(binary) \(subcommand)` is not a command of the built \(binary)"
        }
        let known = Set(help.stdout.split(whereSeparator: { " ,[]<>()\n".contains($0) }).filter { $0.hasPrefix("--") }.map(String.init))
        let unknown = options.filter { !known.contains($0) }
        return unknown.isEmpty ? nil : "\(self): \(unknown.joined(separator: ", ")) not in `\(binary) \(subcommand) --help`"
    }
}
