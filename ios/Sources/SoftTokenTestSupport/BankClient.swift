import Foundation

/// The bank's typed HTTPS client of the demo service (issue a token, verify a code), over the
/// provider's bank API; named as the Rust test kit's `BankClient`.
///
/// It runs `curl --cacert` rather than URLSession: on Linux, FoundationNetworking cannot be
/// told to trust one private CA without a delegate that evaluates the chain by hand, while
/// curl pins it in one flag (curl is installed in the test chroot).
public struct BankClient: Sendable {
    /// The provider.
    public let provider: TestProvider

    /// A bank client of `provider`.
    public init(provider: TestProvider) { self.provider = provider }

    /// An issued token.
    public struct Issued: Decodable, Sendable {
        /// Service ID.
        public let serviceId: String
        /// User ID (16 characters).
        public let userId: String
    }

    /// What the provider said about a code.
    public struct Verification: Decodable, Sendable {
        /// `accepted`, `rejected`, …
        public let result: String
        /// Wrong codes left before the token locks.
        public let failuresLeft: Int
    }

    /// Issues a token for `email` with `activationPassword`.
    public func issue(email: String, activationPassword: String) throws -> Issued {
        try post("tokens", ["email": email, "activation_password": activationPassword])
    }

    /// Verifies `otp` for `userId` (認証確認 / a login).
    public func verify(userId: String, otp: String) throws -> Verification {
        try post("tokens/\(userId)/verify", ["otp": otp])
    }

    private func post<T: Decodable>(_ path: String, _ body: [String: String]) throws -> T {
        let url = provider.url.appendingPathComponent("v1/services/\(provider.serviceId)/\(path)")
        let json = String(decoding: try JSONSerialization.data(withJSONObject: body), as: UTF8.self)
        let curl = Process()
        curl.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        curl.arguments = [
            "--silent", "--show-error", "--fail-with-body", "--cacert", provider.caPath,
            "-H", "Authorization: Bearer \(provider.apiKey)",
            "-H", "Content-Type: application/json", "--data", json, url.absoluteString,
        ]
        let out = Pipe()
        curl.standardOutput = out
        try curl.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        curl.waitUntilExit()
        guard curl.terminationStatus == 0 else {
            throw BankClientError(
                message: "curl \(path) exited \(curl.terminationStatus): "
                    + String(decoding: data, as: UTF8.self))
        }
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try decoder.decode(T.self, from: data)
    }
}

/// A bank call failed.
public struct BankClientError: Error, CustomStringConvertible {
    /// What failed.
    public let message: String
    /// What failed.
    public var description: String { message }
}
