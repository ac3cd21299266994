import Foundation
import Testing

/// The commands' help and their one-line errors for inputs a user gets wrong.
@Suite struct CLITests {
    @Test func coordinatorHelpTeachesTheSubcommands() throws {
        let r = try run("snn-coord", ["--help"])
        #expect(r.status == 0)
        for s in ["USAGE: snn-coord <subcommand>", "start", "query", "status", "report", "keygen", "ttfs-report", "convert", "export", "import", "snn-coord start --spec cluster/runs/bntt-fmnist.json --standalone"] {
            #expect(r.stdout.contains(s), "missing \(s)")
        }
    }

    /// Golden: every option of `start` is documented.
    @Test func startHelpListsEveryOption() throws {
        let r = try run("snn-coord", ["start", "--help"])
        #expect(r.status == 0)
        for s in ["--spec <file>", "--standalone", "--bind <tcp://addr:port>", "--local-workers <n>", "--min-workers <n>",
                  "--resume <run>", "--seed <s>", "--max-steps <n>", "--data <dir>", "--db <path>", "--insecure",
                  "--key <file>", "--allow <file>", "--threads <n>", "--metrics-port <port>", "--local-transport <ipc|tcp>",
                  "(values: ipc, tcp; default: ipc)"] {
            #expect(r.stdout.contains(s), "missing \(s)")
        }
        // Why ipc is the default, and what tcp is for (wrapped by the parser: compare without line breaks).
        let flat = r.stdout.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        for s in ["0.44 ms against 1.04 ms over TCP loopback", "to measure what a networked worker pays"] {
            #expect(flat.contains(s), "missing \(s)")
        }
    }

    /// Golden: `report` documents its argument and options.
    @Test func reportHelpListsEveryOption() throws {
        let r = try run("snn-coord", ["report", "--help"])
        #expect(r.status == 0)
        for s in ["USAGE: snn-coord report [<run>] [--db <path>] [--out <file.html>] [--profile <name>] [--profiles <dir>]",
                  "self-contained HTML", "Epochs are numbered from 1"] {
            #expect(r.stdout.contains(s), "missing \(s)")
        }
    }

    /// Formats and phases are enums: a value outside them is refused by the parser, naming the option and
    /// every accepted value.
    @Test func badFormatsAreOneClearLine() throws {
        let s = try run("snn-coord", ["status", "--format", "yaml"])
        #expect(s.status != 0 && s.stderr.contains("'yaml' is invalid for '--format <format>'") && s.stderr.contains("'table' and 'json'"))
        let q = try run("snn-coord", ["query", "--format", "xml"])
        #expect(q.status != 0 && q.stderr.contains("'xml' is invalid for '--format <format>'")
                && q.stderr.contains("'table', 'json', 'csv' or 'prometheus'"))
        let p = try run("snn-coord", ["query", "--energy", "--phase", "forward"])
        #expect(p.status != 0 && p.stderr.contains("'forward' is invalid for '--phase <phase>'") && p.stderr.contains("train-forward"))
    }

    /// The shared option groups: every command that reads data, computes or records metrics names the options
    /// the same way, with the same help, default and range check.
    @Test func sharedOptionsAreTheSameEverywhere() throws {
        let dataCommands: [(String, [String])] = [("snn-coord", ["start"]), ("snn-coord", ["convert"]),
                                                  ("snn-coord", ["ttfs-report"]), ("snn-worker", ["join"])]
        for (tool, command) in dataCommands {
            let help = try run(tool, command + ["--help"]).stdout
            #expect(help.contains("--data <dir>") && help.contains("Directory holding the IDX files.")
                    && help.contains("/usr/share/datasets/fashion-mnist"), "\(command)")
            #expect(help.contains("--limit <n>") && help.contains("Use only the first N images of each split"), "\(command)")
        }
        let badLimit: [(String, [String])] = [("snn-coord", ["start", "--standalone", "--spec", "x.json"]),
                                              ("snn-coord", ["convert", "--from", "x.ckpt"]),
                                              ("snn-coord", ["ttfs-report", "--checkpoint", "x.ckpt"]),
                                              ("snn-worker", ["join", "tcp://127.0.0.1:1"])]
        for (tool, command) in badLimit {
            let r = try run(tool, command + ["--limit", "0"])
            #expect(r.status != 0 && r.stderr.contains("--limit must be ≥ 1 (got 0)"), "\(command): \(r.stderr)")
        }
        for (tool, command) in [("snn-coord", ["start", "--standalone", "--spec", "x.json"]), ("snn-coord", ["convert", "--from", "x.ckpt"]),
                                ("snn-worker", ["join", "tcp://127.0.0.1:1"])] {
            let r = try run(tool, command + ["--threads", "0"])
            #expect(r.status != 0 && r.stderr.contains("--threads must be ≥ 1 (got 0)"), "\(command): \(r.stderr)")
        }
        for command in ["start", "convert", "query", "status", "report"] {
            let help = try run("snn-coord", [command, "--help"]).stdout
            #expect(help.contains("--db <path>") && help.contains("(default: runs/metrics.sqlite)"), "\(command)")
        }
    }

    @Test func reportWithoutDatabaseNamesTheFix() throws {
        let r = try run("snn-coord", ["report", "--db", "/nonexistent/m.sqlite"])
        #expect(r.status != 0 && r.stderr.contains("/nonexistent/m.sqlite") && r.stderr.contains("--db"))
        #expect(r.stderr.split(separator: "\n").count == 1)
    }

    @Test func workerHelpShowsJoin() throws {
        let r = try run("snn-worker", ["join", "--help"])
        #expect(r.status == 0)
        for s in ["USAGE: snn-worker join <tcp://host:port>", "--threads <n>", "--data <dir>", "--key <file>", "--server-key <file>", "--raster-samples <n>",
                  "--prefetch <n>", "serves an ECC conversion"] {
            // Help text wraps at 80 columns: compare with the whitespace runs collapsed.
            #expect(r.stdout.split(whereSeparator: \.isWhitespace).joined(separator: " ").contains(s), "missing \(s)")
        }
    }

    @Test func missingSpecFileIsOneClearLine() throws {
        let r = try run("snn-coord", ["start", "--standalone", "--spec", "/nonexistent/spec.json"])
        #expect(r.status != 0)
        let lines = r.stderr.split(separator: "\n")
        #expect(lines.count == 1)
        #expect(r.stderr.contains("/nonexistent/spec.json"))
    }

    @Test func missingDatasetNamesTheFileAndTheFix() throws {
        let r = try run("snn-coord", ["start", "--standalone", "--spec", repositoryRoot + "/cluster/runs/w1-mlp.json", "--data", "/nonexistent-data"])
        #expect(r.status != 0)
        #expect(r.stderr.contains("/nonexistent-data"))
        #expect(r.stderr.contains("dataset-fashion-mnist") || r.stderr.contains("--data"))
        #expect(r.stderr.split(separator: "\n").count == 1)
    }

    @Test func badSpecNamesTheField() throws {
        let dir = temporaryDirectory()
        let path = dir + "/bad.json"
        var spec = try String(contentsOfFile: repositoryRoot + "/cluster/runs/w1-mlp.json", encoding: .utf8)
        spec = spec.replacingOccurrences(of: "\"dense\"", with: "\"densse\"")
        try spec.write(toFile: path, atomically: true, encoding: .utf8)
        let r = try run("snn-coord", ["start", "--standalone", "--spec", path])
        #expect(r.status != 0)
        #expect(r.stderr.contains("layers[1].type"))
        #expect(r.stderr.contains("densse"))
    }

    @Test func nonLoopbackBindWithoutKeysIsRefused() throws {
        let r = try run("snn-coord", ["start", "--spec", repositoryRoot + "/cluster/runs/w1-mlp.json", "--bind", "tcp://0.0.0.0:5999", "--limit", "100"])
        #expect(r.status != 0)
        #expect(r.stderr.contains("--key"))
        #expect(r.stderr.contains("--insecure"))
    }

    /// `--local-transport tcp` without `--local-workers` used to be ignored without a word.
    @Test func localTransportWithoutLocalWorkersIsRefused() throws {
        let r = try run("snn-coord", ["start", "--spec", repositoryRoot + "/cluster/runs/w1-mlp.json", "--local-transport", "tcp", "--limit", "100"])
        #expect(r.status != 0)
        #expect(r.stderr.contains("--local-transport says how --local-workers join; give --local-workers N too"), "\(r.stderr)")
    }

    @Test func keygenWritesAPairWithASecretFileOnlyTheOwnerReads() throws {
        let dir = temporaryDirectory()
        let r = try run("snn-coord", ["keygen", dir + "/coord.key"])
        #expect(r.status == 0)
        let attrs = try FileManager.default.attributesOfItem(atPath: dir + "/coord.key")
        #expect((attrs[.posixPermissions] as? Int) == 0o600)
        let pub = try String(contentsOfFile: dir + "/coord.key.pub", encoding: .utf8)
        #expect(pub.hasPrefix("public=") && pub.count >= 47)
        let again = try run("snn-coord", ["keygen", dir + "/coord.key"])
        #expect(again.status != 0)
    }
}
