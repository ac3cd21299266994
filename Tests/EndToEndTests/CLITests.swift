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
                  "--key <file>", "--allow <file>", "--threads <n>", "--metrics-port <port>"] {
            #expect(r.stdout.contains(s), "missing \(s)")
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

    @Test func badFormatsAreOneClearLine() throws {
        let s = try run("snn-coord", ["status", "--format", "yaml"])
        #expect(s.status != 0 && s.stderr.contains("--format must be table or json"))
        let q = try run("snn-coord", ["query", "--format", "xml"])
        #expect(q.status != 0 && q.stderr.contains("--format must be table, json, csv or prometheus"))
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
                  "serves an ECC conversion"] {
            #expect(r.stdout.contains(s), "missing \(s)")
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
