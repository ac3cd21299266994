import ArgumentParser
import SNNEnergy

/// The hardware profile that prices a run's event counts, and where extra profile files live: shared by
/// `query --energy` and `report`, so a user's profile directory works the same in both.
public struct EnergyProfileOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "Energy profile (cmos45-fp32, cmos45-int8, loihi2018, truenorth2014, or one of --profiles).", valueName: "name"))
    public var profile: String = ProfileCatalog.defaultProfileName

    @Option(name: .long, help: ArgumentHelp("Directory of extra energy profile files (*.json).", valueName: "dir"))
    public var profiles: String?

    public init() {}
}
