import Foundation

/// Runs `/usr/bin/curl` (installed in the test chroot) and returns what it printed: the one
/// place the test support makes HTTP calls of its own, for the bank client (HTTPS pinned to the
/// dev CA) and the provider's clock control (plain HTTP on 127.0.0.1).
enum Curl {
    /// Runs curl with `arguments` after `--silent --show-error --fail-with-body`.
    static func run(_ arguments: [String]) throws -> Data {
        let curl = Process()
        curl.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        curl.arguments = ["--silent", "--show-error", "--fail-with-body"] + arguments
        let out = Pipe()
        curl.standardOutput = out
        try curl.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        curl.waitUntilExit()
        guard curl.terminationStatus == 0 else {
            throw CurlError(exitStatus: curl.terminationStatus, body: data)
        }
        return data
    }
}

/// curl failed: it could not connect, or the server answered an error status (exit 22, with
/// the error body).
public struct CurlError: Error, CustomStringConvertible {
    /// curl's exit status.
    public let exitStatus: Int32
    /// What the server answered, if anything.
    public let body: Data
    /// What failed.
    public var description: String {
        "curl exited \(exitStatus): " + String(decoding: body, as: UTF8.self)
    }
}
