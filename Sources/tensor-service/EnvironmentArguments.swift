import Foundation

/// Turns `TENSOR_SERVICE_<FLAG>` variables into arguments for the flags the command line did not give.
enum EnvironmentArguments {
    static let prefix = "TENSOR_SERVICE_"

    /// `arguments` plus `--flag value` for each variable whose flag is absent; the command line wins.
    static func merged(arguments: [String], environment: [String: String], flags: [String]) -> [String] {
        var result = arguments
        for flag in flags {
            guard let value = environment[variableName(for: flag)] else { continue }
            let given = arguments.contains { $0 == flag || $0.hasPrefix(flag + "=") }
            // One "--flag=value" argument: a value such as "-1" would otherwise be read as a flag of its own.
            if !given { result.append("\(flag)=\(value)") }
        }
        return result
    }

    /// `--max-body-bytes` → `TENSOR_SERVICE_MAX_BODY_BYTES`.
    static func variableName(for flag: String) -> String {
        prefix + flag.dropFirst(2).uppercased().replacingOccurrences(of: "-", with: "_")
    }
}
