import Foundation

/// The set of energy profiles a report can be priced under: the built-in ones shipped in
/// `Sources/SNNEnergy/Profiles/*.json` plus, optionally, a user directory of `*.json` files in the same
/// format (see `EnergyProfile.parse(_:file:)`). Names are unique: a user file may not shadow a built-in.
public struct ProfileCatalog: Sendable {
    /// The profile used when none is named.
    public static let defaultProfileName = "cmos45-fp32"

    /// All profiles, sorted by name.
    public let profiles: [EnergyProfile]

    public init(profiles: [EnergyProfile]) {
        self.profiles = profiles.sorted { $0.name < $1.name }
    }

    public var names: [String] { profiles.map(\.name) }

    /// The built-in profiles, plus every `*.json` file in `extraDirectory` when given.
    public static func load(extraDirectory: URL? = nil) throws -> ProfileCatalog {
        var found = try loadDirectory(builtInDirectory())
        if let dir = extraDirectory {
            for (file, p) in try loadDirectory(dir) {
                if let clash = found.first(where: { $0.1.name == p.name }) {
                    throw ProfileError(file: file, field: "name", problem: "profile '\(p.name)' is already defined by "
                                       + "'\(clash.0)'; give it another name")
                }
                found.append((file, p))
            }
        }
        return ProfileCatalog(profiles: found.map(\.1))
    }

    /// The profile called `name`; the error lists the known names.
    public func profile(named name: String) throws -> EnergyProfile {
        guard let p = profiles.first(where: { $0.name == name }) else {
            throw ProfileError(file: "", field: "", problem: "no profile named '\(name)' (known: "
                               + names.joined(separator: ", ") + ")")
        }
        return p
    }

    /// Every `*.json` file in `dir`, sorted by file name, with duplicate names rejected.
    static func loadDirectory(_ dir: URL) throws -> [(String, EnergyProfile)] {
        let entries: [String]
        do { entries = try FileManager.default.contentsOfDirectory(atPath: dir.path) } catch {
            throw ProfileError(file: dir.path, field: "", problem: "profile directory cannot be read (\(EnergyProfile.firstLine(error)))")
        }
        var out: [(String, EnergyProfile)] = []
        for entry in entries.sorted() where entry.hasSuffix(".json") {
            let url = dir.appendingPathComponent(entry)
            let p = try EnergyProfile.load(file: url)
            if let clash = out.first(where: { $0.1.name == p.name }) {
                throw ProfileError(file: url.path, field: "name", problem: "profile '\(p.name)' is already defined by '\(clash.0)'")
            }
            out.append((url.path, p))
        }
        return out
    }

    /// Where the built-in profiles are: the SwiftPM resource bundle next to the executable (or test binary).
    ///
    /// Looked up by hand rather than through `Bundle.module`, whose accessor calls `fatalError` when a binary
    /// was copied without its `snn-cluster_SNNEnergy.resources` folder; here that is a one-line error instead.
    public static func builtInDirectory() throws -> URL {
        let bundleNames = ["snn-cluster_SNNEnergy.resources", "snn-cluster_SNNEnergy.bundle"]
        var bases = [Bundle.main.bundleURL]
        if let exe = Bundle.main.executableURL { bases.append(exe.resolvingSymlinksInPath().deletingLastPathComponent()) }
        var tried: [String] = []
        for base in bases {
            for b in bundleNames {
                let bundleURL = base.appendingPathComponent(b)
                tried.append(bundleURL.path)
                for candidate in [bundleURL.appendingPathComponent("Profiles"),
                                  bundleURL.appendingPathComponent("Contents/Resources/Profiles")] {
                    var isDir: ObjCBool = false
                    if FileManager.default.fileExists(atPath: candidate.path, isDirectory: &isDir), isDir.boolValue {
                        return candidate
                    }
                }
            }
        }
        throw ProfileError(file: tried.first ?? "", field: "", problem: "built-in profiles not found; copy the "
                           + "snn-cluster_SNNEnergy.resources folder from the build directory next to the executable")
    }
}
