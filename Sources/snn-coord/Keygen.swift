import ArgumentParser
import Foundation
import SNNCluster

struct Keygen: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create a CURVE key pair for the coordinator or a worker.",
        discussion: """
        Writes FILE (public and secret key, mode 0600) and FILE.pub (public key only). A coordinator that binds a \
        non-loopback address needs its own pair (--key FILE) and an allow-list of worker public keys (--allow \
        FILE: the workers' .pub files concatenated); each worker needs a pair (--key) and the coordinator's \
        public key (--server-key FILE.pub).
        """)

    @Argument(help: ArgumentHelp("Where to write the key pair.", valueName: "file"))
    var file: String

    @Flag(name: .long, help: "Replace an existing file.")
    var force = false

    func run() throws {
        if FileManager.default.fileExists(atPath: file) && !force {
            FileHandle.standardError.write("snn-coord keygen: \(file) exists; pass --force to replace it\n".data(using: .utf8)!)
            throw ExitCode.failure
        }
        do {
            let pair = try CurveKeyPair.generateFiles(path: file)
            print("secret key  \(file)  (mode 0600)")
            print("public key  \(file).pub  \(pair.publicKey)")
        } catch {
            FileHandle.standardError.write("snn-coord keygen: \(error)\n".data(using: .utf8)!)
            throw ExitCode.failure
        }
    }
}
