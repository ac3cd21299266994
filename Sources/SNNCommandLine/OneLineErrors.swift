import ArgumentParser
import Foundation

extension ParsableCommand {
    /// Parses the command line and runs the chosen command like `main()`, except that a mistake in the
    /// arguments (unknown option, bad value, failed `validate()`) is one line on standard error that names the
    /// option, the accepted values and where the help is, instead of the message plus the whole usage. Help,
    /// `--version` and the commands' own exit codes behave as in `main()`.
    public static func mainWithOneLineErrors(_ arguments: [String]? = nil) {
        let command: any ParsableCommand
        do {
            command = try parseAsRoot(arguments)
        } catch {
            exitWithOneLine(error, arguments: arguments ?? Array(CommandLine.arguments.dropFirst()))
        }
        do {
            var running = command
            try running.run()
        } catch {
            exit(withError: error)
        }
    }

    private static func exitWithOneLine(_ error: any Error, arguments: [String]) -> Never {
        let code = exitCode(for: error)
        // Help and version requests print as usual (status 0).
        guard code != .success else { exit(withError: error) }
        let message = message(for: error)
            .split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            .joined(separator: " ")
        let name = configuration.commandName ?? "command"
        let subcommand = arguments.first.flatMap { a in configuration.subcommands.first { $0._commandName == a } }
        let helpFor = ([name] + (subcommand.map { [$0._commandName] } ?? [])).joined(separator: " ")
        FileHandle.standardError.write(Data("\(helpFor): \(message) (see \(helpFor) --help)\n".utf8))
        Foundation.exit(code.rawValue)
    }
}
