import Foundation
import SNNCluster
import SNNEnergy
import SNNReport

extension Start {
    /// With --metrics-port, serves /metrics and the live report page on --bind's host from its own thread,
    /// reading the metrics database read-only (never the coordinator's loop). Energy under the default profile.
    func startMetricsServer(runID: String) throws -> MetricsHTTPServer? {
        guard let port = metricsPort else { return nil }
        let host = Self.metricsHost(bind: bind)
        let profile = try SNNEnergyProfileRef.load(ProfileCatalog.defaultProfileName)
        let server = try MetricsHTTPServer(host: host, port: port,
                                           handler: LiveEndpoints.handler(db: db, runID: runID, profile: profile))
        server.start()
        if !quiet { Progress.line("metrics       http://\(host):\(server.port)/metrics   live page http://\(host):\(server.port)/") }
        return server
    }

    /// The IPv4 address of --bind's host ("*" and hostnames other than localhost listen on all interfaces).
    static func metricsHost(bind: String) -> String {
        let host = bind.replacingOccurrences(of: "tcp://", with: "").split(separator: ":").dropLast().joined(separator: ":")
        if host == "localhost" { return "127.0.0.1" }
        let isIPv4 = host.split(separator: ".").count == 4 && host.split(separator: ".").allSatisfy { UInt8($0) != nil }
        return isIPv4 ? host : "0.0.0.0"
    }
}
