import Foundation

/// The set of energy profiles a report can be priced under: the built-in ones shipped in
/// `Sources/SNNEnergy/Profiles/*.json` plus, optionally, a user directory of `*.json` files in the same
/// format (see `EnergyProfile.parse(_:file:)`). Names are unique: a user file may not shadow a built-in.
public struct ProfileCatalog: Sendable {
    /// The profile used when none is named.
    public static let defaultProfileName = "cmos45-fp32"

    /// All profiles, sorted by name.
    public let profiles: [EnergyProfile]

    /// User profile files that could not be used (bad JSON, a bad field, a clashing name), one error each. They
    /// are skipped rather than fatal, so one broken file never hides the built-in profiles or the other files;
    /// commands print them as warnings, and asking for a profile that is not known lists them.
    public let skipped: [ProfileError]

    public init(profiles: [EnergyProfile], skipped: [ProfileError] = []) {
        self.profiles = profiles.sorted { $0.name < $1.name }
        self.skipped = skipped
    }

    public var names: [String] { profiles.map(\.name) }

    /// The built-in profiles, plus every `*.json` file in `extraDirectory` when given.
    public static func load(extraDirectory: URL? = nil) throws -> ProfileCatalog {
        var found = try loadDirectory(builtInDirectory())
        var skipped: [ProfileError] = []
        if let dir = extraDirectory {
            var loaded: [(String, EnergyProfile)] = []
            (loaded, skipped) = try loadDirectory(dir, skippingBadFiles: true)
            for (file, p) in loaded {
                if let clash = found.first(where: { $0.1.name == p.name }) {
                    skipped.append(ProfileError(file: file, field: "name", problem: "profile '\(p.name)' is already defined by "
                                                + "'\(clash.0)'; give it another name"))
                    continue
                }
                found.append((file, p))
            }
        }
        return ProfileCatalog(profiles: found.map(\.1), skipped: skipped)
    }

    /// The profile called `name`; the error lists the known names.
    public func profile(named name: String) throws -> EnergyProfile {
        guard let p = profiles.first(where: { $0.name == name }) else {
            let notLoaded = skipped.isEmpty ? "" : "; not loaded: " + skipped.map(\.description).joined(separator: "; ")
            throw ProfileError(file: "", field: "", problem: "no profile named '\(name)' (known: "
                               + names.joined(separator: ", ") + ")" + notLoaded)
        }
        return p
    }

    /// Every `*.json` file in `dir`, sorted by file name, with duplicate names rejected.
    static func loadDirectory(_ dir: URL) throws -> [(String, EnergyProfile)] {
        try loadDirectory(dir, skippingBadFiles: false).loaded
    }

    /// As `loadDirectory(_:)`; with `skippingBadFiles`, a file that cannot be used is returned in `skipped`
    /// instead of failing the whole directory.
    static func loadDirectory(_ dir: URL, skippingBadFiles: Bool) throws -> (loaded: [(String, EnergyProfile)], skipped: [ProfileError]) {
        let entries: [String]
        do { entries = try FileManager.default.contentsOfDirectory(atPath: dir.path) } catch {
            throw ProfileError(file: dir.path, field: "", problem: "profile directory cannot be read (\(EnergyProfile.firstLine(error)))")
        }
        var out: [(String, EnergyProfile)] = []
        var skipped: [ProfileError] = []
        for entry in entries.sorted() where entry.hasSuffix(".json") {
            let url = dir.appendingPathComponent(entry)
            do {
                let p = try EnergyProfile.load(file: url)
                if let clash = out.first(where: { $0.1.name == p.name }) {
                    throw ProfileError(file: url.path, field: "name", problem: "profile '\(p.name)' is already defined by '\(clash.0)'")
                }
                out.append((url.path, p))
            } catch let e as ProfileError where skippingBadFiles {
                skipped.append(e)
            }
        }
        return (out, skipped)
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
