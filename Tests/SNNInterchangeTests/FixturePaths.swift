import Foundation

/// Paths of the committed fixtures (Tests/SNNInterchangeTests/Fixtures) and of scratch files.
enum FixturePaths {
    static let folder: String = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures").path

    static func fixture(_ name: String) -> String { folder + "/" + name }

    /// A fresh scratch file path in the temporary directory (unique per call).
    static func scratch(_ name: String) -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("snn-interchange-tests-\(getpid())")
        try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir.appendingPathComponent(UUID().uuidString + "-" + name).path
    }
}
