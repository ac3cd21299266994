import Foundation
import SNNCluster
#if canImport(Glibc)
import Glibc
#endif

/// A minimal HTTP/1.1 server for `/metrics` and the live page: one listening socket and one dedicated thread
/// that accepts and answers connections one at a time (Prometheus scrapes and a browser refresh every few
/// seconds need nothing more). It never touches the coordinator's loop or Swift concurrency's cooperative
/// pool: the handler runs on this thread and reads the metrics database through its own read-only connection.
public final class MetricsHTTPServer: @unchecked Sendable {
    public struct Response: Sendable {
        public var status: Int
        public var contentType: String
        public var body: String
        public init(status: Int, contentType: String, body: String) { self.status = status; self.contentType = contentType; self.body = body }
    }

    /// The port actually bound (useful with port 0).
    public let port: Int
    public let host: String
    private let fd: Int32
    private let handler: @Sendable (String) -> Response
    private let stopped = NSLock()
    private var isStopped = false

    /// Binds and listens at once, so a taken port fails `snn-coord start` before training begins.
    public init(host: String, port: Int, handler: @escaping @Sendable (_ path: String) -> Response) throws {
        self.handler = handler
        self.host = host
        let s = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard s >= 0 else { throw ReportError("metrics server: socket() failed: \(String(cString: strerror(errno)))") }
        var one: Int32 = 1
        setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        guard inet_pton(AF_INET, host, &addr.sin_addr) == 1 else {
            close(s); throw ReportError("metrics server: '\(host)' is not an IPv4 address; use e.g. 127.0.0.1 or 0.0.0.0")
        }
        let bound = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(s, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(s, 16) == 0 else {
            let why = String(cString: strerror(errno)); close(s)
            throw ReportError("metrics server: cannot listen on \(host):\(port) (\(why)); pick another --metrics-port")
        }
        var got = sockaddr_in(); var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &got) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(s, $0, &len) } }
        self.port = Int(UInt16(bigEndian: got.sin_port))
        self.fd = s
    }

    /// Starts the accept loop on its own thread.
    public func start() {
        let t = Thread { [self] in self.serve() }
        t.name = "snn-metrics-http"
        t.start()
    }

    /// Stops accepting (the thread ends at its next wake-up).
    public func stop() {
        stopped.lock(); isStopped = true; stopped.unlock()
        shutdown(fd, Int32(SHUT_RDWR))
    }

    private var shouldStop: Bool { stopped.lock(); defer { stopped.unlock() }; return isStopped }

    private func serve() {
        while !shouldStop {
            let c = accept(fd, nil, nil)
            if c < 0 { if errno == EINTR { continue }; break }
            answer(c)
            close(c)
        }
        close(fd)
    }

    private func answer(_ c: Int32) {
        var tv = timeval(tv_sec: 2, tv_usec: 0)
        setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(c, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var request = [UInt8]()
        var buf = [UInt8](repeating: 0, count: 4096)
        // Read the request head (the path is all we need); stop at the blank line or 16 KiB.
        while request.count < 16384 {
            let n = buf.withUnsafeMutableBytes { recv(c, $0.baseAddress, $0.count, 0) }
            if n <= 0 { break }
            request += buf[0..<n]
            if request.count >= 4, request.suffix(4) == [13, 10, 13, 10] { break }
            if let text = String(bytes: request, encoding: .utf8), text.contains("\r\n\r\n") || text.contains("\n\n") { break }
        }
        let line = String(decoding: request.prefix { $0 != 13 && $0 != 10 }, as: UTF8.self).split(separator: " ")
        let response: Response
        if line.count >= 2, line[0] == "GET" || line[0] == "HEAD" {
            let path = String(line[1].split(separator: "?", maxSplits: 1).first ?? "/")
            response = handler(path)
        } else {
            response = Response(status: 405, contentType: "text/plain; charset=utf-8", body: "only GET is served\n")
        }
        let body = Array(response.body.utf8)
        let reason = [200: "OK", 404: "Not Found", 405: "Method Not Allowed", 500: "Internal Server Error"][response.status] ?? "Error"
        let head = "HTTP/1.1 \(response.status) \(reason)\r\nContent-Type: \(response.contentType)\r\nContent-Length: \(body.count)\r\n"
            + "Cache-Control: no-store\r\nConnection: close\r\n\r\n"
        let bytes = Array(head.utf8) + (line.first == "HEAD" ? [] : body)
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { send(c, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { break }
            sent += n
        }
    }
}

/// What the coordinator's metrics port serves: `/metrics` (Prometheus text), `/` (the live report page).
/// Each request opens the database read-only, so it sees the last committed state and never waits on the
/// coordinator; errors become a 500 with the message.
public enum LiveEndpoints {
    public static func handler(db: String, runID: String, profile: SNNEnergyProfileRef) -> @Sendable (String) -> MetricsHTTPServer.Response {
        { path in
            do {
                let store = try MetricsStore.open(path: db, readOnly: true)
                let data = try RunReportData.load(store: store, runID: runID, profile: profile.profile, profileName: profile.name)
                switch path {
                case "/metrics": return .init(status: 200, contentType: PrometheusExposition.contentType, body: PrometheusExposition.render(data))
                case "/", "/index.html": return .init(status: 200, contentType: "text/html; charset=utf-8", body: ReportPage.render(data, live: true))
                default: return .init(status: 404, contentType: "text/plain; charset=utf-8", body: "not found: try /metrics or /\n")
                }
            } catch {
                return .init(status: 500, contentType: "text/plain; charset=utf-8", body: "\(error)\n")
            }
        }
    }
}
