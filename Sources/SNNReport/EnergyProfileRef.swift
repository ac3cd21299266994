import Foundation
import SNNEnergy

/// A priced profile with the name the user chose (for labels and the Prometheus `profile` label).
public struct SNNEnergyProfileRef: Sendable {
    public var name: String
    public var profile: EnergyProfile
    public init(name: String, profile: EnergyProfile) { self.name = name; self.profile = profile }

    /// Loads a built-in profile (or one from `extraDirectory`) by name; the error names the known profiles.
    public static func load(_ name: String, extraDirectory: String? = nil) throws -> SNNEnergyProfileRef {
        let catalog = try ProfileCatalog.load(extraDirectory: extraDirectory.map { URL(fileURLWithPath: $0) })
        return SNNEnergyProfileRef(name: name, profile: try catalog.profile(named: name))
    }
}
