import Foundation

/// Headless Chromium (Debian's `chromium`, installed by scripts/setup) for checking that pages render.
enum Browser {
    static let candidates = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"]
    static var path: String? { candidates.first { FileManager.default.isExecutableFile(atPath: $0) } }

    /// Runs chromium headless with `args` + `url`; returns stdout (stderr holds its dbus chatter, ignored).
    static func run(_ args: [String], url: String, timeout: Double = 90) throws -> (status: Int32, stdout: String) {
        guard let exe = path else { throw BrowserMissing() }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: exe)
        let profile = temporaryDirectory()
        p.arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--hide-scrollbars",
                       "--user-data-dir=\(profile)"] + args + [url]
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("chromium-\(UUID()).txt")
        FileManager.default.createFile(atPath: out.path, contents: nil)
        p.standardOutput = try FileHandle(forWritingTo: out)
        p.standardError = FileHandle.nullDevice
        try p.run()
        let deadline = Date().addingTimeInterval(timeout)
        while p.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        if p.isRunning { p.terminate(); Thread.sleep(forTimeInterval: 1); if p.isRunning { kill(p.processIdentifier, SIGKILL) } }
        p.waitUntilExit()
        return (p.terminationStatus, (try? String(contentsOf: out, encoding: .utf8)) ?? "")
    }

    struct BrowserMissing: Error, CustomStringConvertible {
        var description: String { "chromium is not installed: run scripts/setup (it installs Debian's chromium)" }
    }

    /// A probe appended to a copy of a page: after load it measures every chart (`svg.chart`): its rendered
    /// size and how many marks (path, rect, circle, line, text) have a non-empty bounding box, and collects script
    /// errors; it writes the JSON into `<pre id="probe">`, which `--dump-dom` then shows.
    static let probe = """
    <script>
    window.__errors = [];
    window.addEventListener('error', e => window.__errors.push(String(e.message)));
    window.addEventListener('load', () => {
      const charts = [...document.querySelectorAll('svg.chart')].map(svg => {
        const r = svg.getBoundingClientRect();
        let marks = 0;
        for (const el of svg.querySelectorAll('path, rect, circle, polyline')) {
          const b = el.getBBox();
          if (b.width > 0 || b.height > 0) marks++;
        }
        return {id: svg.id, width: r.width, height: r.height, marks: marks,
                empty: svg.querySelector('text.empty') !== null};
      });
      const pre = document.createElement('pre');
      pre.id = 'probe';
      pre.textContent = JSON.stringify({charts: charts, errors: window.__errors});
      document.body.appendChild(pre);
    });
    </script>
    """

    struct ChartProbe: Decodable { var id: String; var width: Double; var height: Double; var marks: Int; var empty: Bool }
    struct Probe: Decodable { var charts: [ChartProbe]; var errors: [String] }

    /// Loads a copy of `html` with the probe in headless Chromium and returns what the probe measured.
    static func measure(html: String, in dir: String) throws -> Probe {
        let page = html.replacingOccurrences(of: "<meta http-equiv=\"refresh\"", with: "<meta data-no-refresh")
            .replacingOccurrences(of: "</body>", with: probe + "</body>")
        let path = dir + "/probe-\(UUID()).html"
        try page.write(toFile: path, atomically: true, encoding: .utf8)
        let r = try run(["--window-size=1280,2000", "--virtual-time-budget=2000", "--dump-dom"], url: "file://" + path)
        guard let start = r.stdout.range(of: "<pre id=\"probe\">"), let end = r.stdout.range(of: "</pre>", range: start.upperBound..<r.stdout.endIndex) else {
            throw ProbeMissing(status: r.status, head: String(r.stdout.prefix(300)))
        }
        let json = String(r.stdout[start.upperBound..<end.lowerBound])
            .replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&lt;", with: "<")
            .replacingOccurrences(of: "&gt;", with: ">").replacingOccurrences(of: "&amp;", with: "&")
        return try JSONDecoder().decode(Probe.self, from: Data(json.utf8))
    }

    struct ProbeMissing: Error, CustomStringConvertible {
        var status: Int32; var head: String
        var description: String { "chromium (exit \(status)) printed no probe result; DOM starts: \(head)" }
    }
}

/// A plain HTTP/1.1 GET over a loopback socket: (status code, body), nil when nothing answered.
func httpGet(port: Int, path: String) -> (status: Int, body: String)? {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var tv = timeval(tv_sec: 10, tv_usec: 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET); addr.sin_port = in_port_t(UInt16(port).bigEndian); addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    let ok = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
    guard ok == 0 else { return nil }
    let req = Array("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".utf8)
    _ = req.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
    var data = [UInt8](), buf = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = buf.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if n <= 0 { break }
        data += buf[0..<n]
    }
    let text = String(decoding: data, as: UTF8.self)
    guard let sep = text.range(of: "\r\n\r\n") else { return nil }
    let statusLine = text[..<sep.lowerBound].split(separator: "\r\n").first ?? ""
    let code = statusLine.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
    return (code, String(text[sep.upperBound...]))
}

/// Prometheus text → [series (name{labels}) : value]; throws on a line that does not parse. Independent of the writer.
func parsePrometheus(_ text: String) throws -> [String: Double] {
    struct Bad: Error, CustomStringConvertible { let description: String }
    var out: [String: Double] = [:]
    var typed = Set<String>()
    for line in text.split(separator: "\n").map(String.init) {
        if line.hasPrefix("# TYPE ") {
            let p = line.split(separator: " ")
            guard p.count == 4, ["counter", "gauge", "untyped", "histogram", "summary"].contains(p[3]) else { throw Bad(description: line) }
            typed.insert(String(p[2])); continue
        }
        if line.hasPrefix("#") { continue }
        guard let space = line.lastIndex(of: " ") else { throw Bad(description: line) }
        let series = String(line[..<space]), v = String(line[line.index(after: space)...])
        let name = String(series.prefix { $0 != "{" })
        guard name.range(of: "^[a-zA-Z_:][a-zA-Z0-9_:]*$", options: .regularExpression) != nil, typed.contains(name) else { throw Bad(description: "name: \(line)") }
        if series.contains("{") {
            guard series.hasSuffix("}"), series.range(of: #"^[^{]+\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\.)*",?)*\}$"#, options: .regularExpression) != nil
            else { throw Bad(description: "labels: \(line)") }
        }
        let value: Double? = v == "NaN" ? .nan : v == "+Inf" ? .infinity : v == "-Inf" ? -.infinity : Double(v)
        guard let value else { throw Bad(description: "value: \(line)") }
        out[series] = value
    }
    return out
}
