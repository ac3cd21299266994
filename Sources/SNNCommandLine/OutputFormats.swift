import ArgumentParser
import SNNEnergy

/// `snn-coord status --format`: a table for people, JSON (the status file as written) for scripts.
public enum StatusOutputFormat: String, CaseIterable, ExpressibleByArgument, Sendable {
    case table, json
}

/// `snn-coord query --format`: a table, JSON, CSV (one row per epoch), or the Prometheus text exposition that
/// `start --metrics-port` serves at /metrics.
public enum QueryOutputFormat: String, CaseIterable, ExpressibleByArgument, Sendable {
    case table, json, csv, prometheus
}

/// `snn-coord query --energy --phase`: which phases' event counts are priced.
public enum EnergyPhaseSelection: String, CaseIterable, ExpressibleByArgument, Sendable {
    case all, training, inference
    case trainForward = "train-forward"
    case trainBackward = "train-backward"
    case optimizer

    /// Parses a raw value, or `train` as a short name of `training`.
    public init?(argument: String) {
        guard let value = argument == "train" ? .training : Self(rawValue: argument) else { return nil }
        self = value
    }

    /// The counter phases this selection covers (`training` = forward, backward and optimizer).
    public var phases: Set<Phase> {
        switch self {
        case .all: Set(Phase.allCases)
        case .training: [.trainForward, .trainBackward, .optimizer]
        case .inference: [.inference]
        case .trainForward: [.trainForward]
        case .trainBackward: [.trainBackward]
        case .optimizer: [.optimizer]
        }
    }
}
