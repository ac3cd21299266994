import Foundation
import Testing
import SNNCluster

/// `snn-coord convert` end to end: a tiny ann run, its conversion and T sweep, the table stored and shown again by
/// `snn-coord query`, the converted model file's digest; and one-line errors for sources it cannot convert.
@Suite(.serialized) struct ConvertTests {
    @Test func convertsATrainedRunAndQueryShowsTheTableAgain() throws {
        let dir = temporaryDirectory()
        let spec = try writeTinyANNSpec(in: dir)
        let train = try run("snn-coord", ["start", "--spec", spec, "--standalone", "--limit", "512", "--seed", "3", "--quiet",
                                          "--db", dir + "/m.sqlite", "--checkpoint-dir", dir + "/ck"], cwd: dir, timeout: 120)
        #expect(train.status == 0, "\(train.stderr)")
        var tables: [String] = []
        for threads in ["1", "3"] {
            let r = try run("snn-coord", ["convert", "--from", dir + "/ck/checkpoint.ckpt", "--timesteps", "8,32", "--limit", "512",
                                          "--simulate", "40", "--threads", threads, "--quiet", "--db", dir + "/m.sqlite",
                                          "--out", dir + "/model\(threads).snn"], cwd: dir, timeout: 120)
            #expect(r.status == 0, "\(r.stderr)")
            tables.append(r.stdout)
            // loihi2018 has no MAC price: the CNN gets no (partial) energy figure under it.
            #expect(r.stdout.contains("profile loihi2018: energy per inference in µJ (CNN — µJ)"), "\(r.stdout)")
            for s in ["CNN test accuracy", "profile cmos45-fp32", "profile loihi2018", "closed-form", "time-stepped"] {
                #expect(r.stdout.contains(s), "missing \(s): \(r.stdout)")
            }
        }
        // Same converted model (λ is an exact MAX) whatever the number of threads.
        let digests = tables.map { $0.split(separator: "\n").first { $0.contains("sha256") }.map { String($0.split(separator: " ").last!) } }
        #expect(digests[0] != nil && digests[0] == digests[1])
        let q = try run("snn-coord", ["query", "--db", dir + "/m.sqlite", "--conversion", "latest"], cwd: dir)
        #expect(q.status == 0, "\(q.stderr)")
        #expect(q.stdout.contains(digests[1]!))
        #expect(q.stdout.contains("    32"))
    }

    /// A Keras model (the committed fixture Keras trained) converts end to end: its own accuracy, the T table.
    @Test func convertsAKerasModel() throws {
        let dir = temporaryDirectory()
        let keras = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("SNNInterchangeTests/Fixtures/keras").path
        for file in ["cnn.keras", "cnn.h5"] {
            let r = try run("snn-coord", ["convert", "--from", keras + "/" + file, "--timesteps", "16,64", "--limit", "300",
                                          "--simulate", "30", "--quiet", "--db", dir + "/m.sqlite", "--out", dir + "/\(file).snn"], cwd: dir, timeout: 120)
            #expect(r.status == 0, "\(r.stderr)")
            for s in ["CNN test accuracy", "profile cmos45-fp32", "closed-form", "time-stepped"] {
                #expect(r.stdout.contains(s), "missing \(s): \(r.stdout)")
            }
            #expect(FileManager.default.fileExists(atPath: dir + "/\(file).snn"))
        }
    }

    /// Golden: every option of `convert` is documented.
    @Test func convertHelpListsEveryOption() throws {
        let r = try run("snn-coord", ["convert", "--help"])
        #expect(r.status == 0)
        for s in ["--from <source>", "--timesteps <list>", "--thresholding <h>", "--bits <k>", "--profile <names>",
                  "--simulate <n>", "--limit <n>", "--data <dir>", "--threads <n>", "--workers <n>", "--local-workers <n>",
                  "--local-transport <ipc|tcp>", "--bind <tcp://addr:port>", "--join-timeout <s>", "--out <path>", "--db <path>"] {
            #expect(r.stdout.contains(s), "missing \(s)")
        }
    }

    @Test func unconvertibleSourcesGiveOneLine() throws {
        let dir = temporaryDirectory()
        let spec = try writeTinySpec(in: dir)   // a BNTT run: spiking, not a CNN
        let train = try run("snn-coord", ["start", "--spec", spec, "--standalone", "--limit", "256", "--max-steps", "1", "--quiet",
                                          "--db", dir + "/m.sqlite", "--checkpoint-dir", dir + "/ck"], cwd: dir, timeout: 120)
        #expect(train.status == 0, "\(train.stderr)")
        let keras = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("SNNInterchangeTests/Fixtures/keras").path
        let truncated = dir + "/truncated.keras"
        let bytes = try Data(contentsOf: URL(fileURLWithPath: keras + "/cnn.keras"))
        try bytes.prefix(bytes.count / 3).write(to: URL(fileURLWithPath: truncated))
        for (from, says) in [(dir + "/ck/checkpoint.ckpt", "method bntt"), ("/nonexistent/run", "no such checkpoint"),
                             (dir + "/model.keras", "no such file"), (truncated, "truncated"),
                             (keras + "/maxpool.keras", "layer mp (MaxPooling2D): max pooling cannot be converted by ECC"),
                             (keras + "/channels_first.keras", "data_format channels_first is not supported")] {
            let r = try run("snn-coord", ["convert", "--from", from, "--limit", "256", "--db", dir + "/c.sqlite"], cwd: dir)
            #expect(r.status != 0)
            #expect(r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")
            #expect(r.stderr.contains(says), "\(r.stderr)")
        }
    }
}
