import Foundation
import Testing

/// The deployment recipes in cluster/deploy are checked offline on every run: the Kubernetes manifest against the
/// fields its kinds require, the systemd units with `systemd-analyze verify`, and every product command line in
/// the recipes against the built binaries' `--help`, so a renamed option cannot silently break them.
@Suite struct DeployRecipeTests {
    static let deploy = repositoryRoot + "/cluster/deploy"

    @Test(.enabled(if: Host.pythonWithYAML, "needs /usr/bin/python3 with PyYAML (apt-get install python3-yaml)"))
    func kubernetesManifestHasTheFieldsItsKindsRequire() throws {
        let r = try runTool("/usr/bin/python3", [Self.deploy + "/check-kubernetes", Self.deploy + "/kubernetes.yaml"])
        #expect(r.status == 0, "\(r.stderr)")
        // Its command lines came out: one per container.
        #expect(r.stdout.split(separator: "\n").count == 2, "\(r.stdout)")
    }

    /// The checker can fail: a claim that the file does not define and a selector that matches no pod are caught.
    @Test(.enabled(if: Host.pythonWithYAML, "needs /usr/bin/python3 with PyYAML (apt-get install python3-yaml)"))
    func kubernetesCheckerRefusesADanglingClaimAndAMismatchedSelector() throws {
        let dir = temporaryDirectory()
        let good = try String(contentsOfFile: Self.deploy + "/kubernetes.yaml", encoding: .utf8)
        let bad = good.replacingOccurrences(of: "claimName: snn-data", with: "claimName: missing")
            .replacingOccurrences(of: "selector: {matchLabels: {app: snn-worker}}", with: "selector: {matchLabels: {app: other}}")
        try bad.write(toFile: dir + "/k.yaml", atomically: true, encoding: .utf8)
        let r = try runTool("/usr/bin/python3", [Self.deploy + "/check-kubernetes", dir + "/k.yaml"])
        #expect(r.status == 1)
        #expect(r.stderr.contains("claims missing, which is not defined"), "\(r.stderr)")
        #expect(r.stderr.contains("does not match the pod labels"), "\(r.stderr)")
        try "a: [unclosed\n".write(toFile: dir + "/broken.yaml", atomically: true, encoding: .utf8)
        let b = try runTool("/usr/bin/python3", [Self.deploy + "/check-kubernetes", dir + "/broken.yaml"])
        #expect(b.status == 1 && b.stderr.contains("not valid YAML"), "\(b.stderr)")
    }

    /// `systemd-analyze verify` on the units, with their /opt/snn-cluster/bin paths pointed at the built binaries
    /// (verify checks that ExecStart's program exists and is executable).
    @Test(.enabled(if: Host.has("systemd-analyze"), "needs systemd-analyze (Debian's systemd)"))
    func systemdUnitsPassSystemdAnalyzeVerify() throws {
        let dir = temporaryDirectory()
        var units: [String] = []
        for name in ["snn-coord.service", "snn-worker.service"] {
            let text = try String(contentsOfFile: Self.deploy + "/" + name, encoding: .utf8)
                .replacingOccurrences(of: "/opt/snn-cluster/bin/", with: Binaries.directory.path + "/")
            try text.write(toFile: dir + "/" + name, atomically: true, encoding: .utf8)
            units.append(dir + "/" + name)
        }
        let r = try runTool(Host.tool("systemd-analyze")!, ["verify", "--man=no"] + units)
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(r.stderr.isEmpty, "systemd-analyze warned: \(r.stderr)")
        // The same check catches a broken unit.
        let broken = try String(contentsOfFile: units[0], encoding: .utf8).replacingOccurrences(of: "ExecStart=", with: "ExecStrat=")
        try broken.write(toFile: dir + "/broken.service", atomically: true, encoding: .utf8)
        let b = try runTool(Host.tool("systemd-analyze")!, ["verify", "--man=no", dir + "/broken.service"])
        #expect(b.status != 0)
    }

    /// Every snn-coord/snn-worker command line in the manifest, the units, the Slurm script and the
    /// network-namespace script names a real subcommand and only options that subcommand has.
    @Test func recipeCommandLinesMatchTheCLI() throws {
        var commands: [RecipeCommand] = []
        for (file, source) in [("snn-coord.service", "systemd coordinator unit"), ("snn-worker.service", "systemd worker unit"),
                               ("slurm.sbatch", "Slurm batch script")] {
            commands += try RecipeCommand.inScript(Self.deploy + "/" + file, source: source)
        }
        commands += try RecipeCommand.inScript(repositoryRoot + "/cluster/netns-cluster", source: "netns-cluster")
        if Host.pythonWithYAML {
            let r = try runTool("/usr/bin/python3", [Self.deploy + "/check-kubernetes", Self.deploy + "/kubernetes.yaml"])
            for line in r.stdout.split(separator: "\n") {
                let obj = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
                let words = obj?["command"] as? [String] ?? []
                if let c = RecipeCommand.parse(source: "kubernetes \(obj?["object"] ?? "")", words: words) { commands.append(c) }
            }
        }
        // Both binaries and all the recipes were found.
        #expect(Set(commands.map(\.binary)) == ["snn-coord", "snn-worker"])
        #expect(commands.count >= 8, "\(commands)")
        for c in commands { #expect(try c.problem() == nil) }
        // The check itself fails on drift.
        let drifted = RecipeCommand(source: "made up", binary: "snn-coord", subcommand: "start", options: ["--spec", "--max-worker"])
        #expect(try drifted.problem()?.contains("--max-worker") == true)
        let wrongSub = RecipeCommand(source: "made up", binary: "snn-worker", subcommand: "joinn", options: [])
        #expect(try wrongSub.problem() != nil)
    }
}
