import Foundation

/// The bank's typed HTTPS client of the demo service (issue a token, verify a code, revoke it,
/// register a transfer and read its outcome, verify a transaction code), over the provider's bank API;
/// named as the Rust test kit's `BankClient`.
///
/// It runs `curl --cacert` (`Curl`) rather than URLSession: on Linux, FoundationNetworking cannot be
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
    /// Each token goes to a customer of its own: a customer's new token retires the old one at
    /// its 認証確認 (docs/protocol.md §7.5), and tests may share a provider.
    public func issue(email: String, activationPassword: String) throws -> Issued {
        try post("tokens", [
            "email": email, "activation_password": activationPassword,
            "customer_ref": UUID().uuidString,
        ])
    }

    /// Verifies `otp` for `userId` (認証確認 / a login).
    public func verify(userId: String, otp: String) throws -> Verification {
        try post("tokens/\(userId)/verify", ["otp": otp])
    }

    /// A token's state as the bank reads it.
    public struct TokenState: Decodable, Sendable {
        /// `active`, `revoked`, …
        public let state: String
    }

    /// Revokes `userId`'s token (final): its pending transfers fail, no new ones register.
    @discardableResult
    public func revoke(userId: String) throws -> TokenState {
        try send("tokens/\(userId)/revoke", "")
    }

    /// A transfer's payee and amount as the bank's transfer page has them.
    public struct Transfer: Sendable {
        /// `ordinary`, `checking` or `savings`.
        public var accountType = "ordinary"
        /// 7 digits.
        public var accountNumber = "1234567"
        /// As the bank has it: half-width kana here; the phone shows it full-width.
        public var name = "ﾔﾏﾀﾞ ﾀﾛｳ"
        /// Yen.
        public var amountYen: Int64 = 1_234_567
        /// The bank's reference for the user.
        public var reference: String?

        /// A transfer of ¥1,234,567 to 普通 1234567 ﾔﾏﾀﾞ ﾀﾛｳ at bank 0001, branch 101, changed
        /// by the arguments given.
        public init(
            accountType: String = "ordinary", accountNumber: String = "1234567",
            amountYen: Int64 = 1_234_567, reference: String? = nil
        ) {
            self.accountType = accountType
            self.accountNumber = accountNumber
            self.amountYen = amountYen
            self.reference = reference
        }
    }

    /// A transaction as the bank reads it.
    public struct TransactionDetails: Decodable, Sendable {
        /// The transaction's id.
        public let id: String
        /// `pending`, `approved`, `rejected`, `confirmed`, …
        public let state: String
    }

    /// What the provider said about a typed transaction code.
    public struct TransactionVerification: Decodable, Sendable {
        /// `accepted`, `rejected`, `replayed`, …
        public let result: String
    }

    /// Registers `transfer` for `userId`'s token.
    public func registerTransaction(
        userId: String, _ transfer: Transfer = Transfer()
    ) throws -> TransactionDetails {
        var body: [String: Any] = [
            "payee": [
                "bank_code": "0001", "branch_code": "101", "account_type": transfer.accountType,
                "account_number": transfer.accountNumber, "name": transfer.name,
            ],
            "amount": ["value": transfer.amountYen, "currency": "JPY"],
        ]
        body["reference"] = transfer.reference
        return try post("tokens/\(userId)/transactions", body)
    }

    /// A transaction's details (its state) as the bank reads them.
    public func transaction(_ id: String) throws -> TransactionDetails {
        try send("transactions/\(id)", nil)
    }

    /// Verifies a typed transaction code.
    public func verifyTransaction(_ id: String, otp: String) throws -> TransactionVerification {
        try post("transactions/\(id)/verify", ["otp": otp])
    }

    private func post<T: Decodable>(_ path: String, _ body: [String: Any]) throws -> T {
        try send(path, String(decoding: try JSONSerialization.data(withJSONObject: body), as: UTF8.self))
    }

    /// POSTs `json`, or GETs without it.
    private func send<T: Decodable>(_ path: String, _ json: String?) throws -> T {
        let url = provider.url.appendingPathComponent("v1/services/\(provider.serviceId)/\(path)")
        let data: Data
        do {
            data = try Curl.run(
                ["--cacert", provider.caPath,
                 "-H", "Authorization: Bearer \(provider.apiKey)",
                 "-H", "Content-Type: application/json"]
                    + (json.map { ["--data", $0] } ?? []) + [url.absoluteString])
        } catch let failure as CurlError {
            throw BankClientError(
                message: "\(path): \(failure)",
                errorCode: (try? JSONDecoder().decode(ErrorBody.self, from: failure.body))?.error)
        }
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try decoder.decode(T.self, from: data)
    }

    /// The provider's error body, as far as a test reads it.
    private struct ErrorBody: Decodable {
        let error: String
    }
}

/// A bank call failed.
public struct BankClientError: Error, CustomStringConvertible {
    /// What failed.
    public let message: String
    /// The provider's error code (`token_not_active`, …) when it answered with an error body.
    public let errorCode: String?

    /// A failure described by `message`, with the provider's `errorCode` if there was one.
    public init(message: String, errorCode: String? = nil) {
        self.message = message
        self.errorCode = errorCode
    }

    /// What failed.
    public var description: String { message }
}
