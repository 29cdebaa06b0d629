import Foundation
import SoftToken
import SoftTokenTestSupport
import XCTest

/// Activation against the real provider (`cargo xtask swift` starts it), with seeds in a
/// Swift `SecretStore`.
final class ActivationTests: XCTestCase {
    func testActivationCodeAcceptedByTheBankThenActive() async throws {
        let provider = try requireProvider()
        let bank = provider.bank
        let issued = try bank.issue(
            email: Fixtures.email, activationPassword: Fixtures.activationPassword)
        let store = MemorySecretStore()
        let client = try SoftTokenClient(provider.config(secretStore: store))

        // Typed the way a user might: full-width digits and spaces in the Service ID.
        let token = try await client.activate(
            serviceId: "１０１２ １２３４", userId: issued.userId,
            activationPassword: Fixtures.activationPassword)
        XCTAssertEqual(token.serviceId, provider.serviceId)
        XCTAssertEqual(token.userId, issued.userId)
        XCTAssertEqual(token.status, .pendingConfirmation)
        XCTAssertEqual(store.keys.count, 1, "the seed went to the Swift store")
        XCTAssertEqual(try client.tokens().map(\.id), [token.id])

        let code = try client.currentCode(tokenId: token.id)
        XCTAssertEqual(code.code.count, 8)
        XCTAssertTrue(code.code.allSatisfy(\.isNumber))
        XCTAssertLessThanOrEqual(code.remainingMs, Int64(code.period) * 1000)
        XCTAssertFalse("\(code)".contains(code.code), "the description hides the code")
        XCTAssertTrue(String(reflecting: code).contains("<redacted>"))
        XCTAssertEqual(code.validUntilUnix(), code.validFromUnix + Int64(code.period))

        let verification = try bank.verify(userId: issued.userId, otp: code.code)
        XCTAssertEqual(verification.result, "accepted")

        let refreshed = try await client.refresh(tokenId: token.id)
        XCTAssertEqual(refreshed.status, .active)

        try client.remove(tokenId: token.id)
        XCTAssertEqual(try client.tokens(), [])
        XCTAssertEqual(store.keys, [])
    }

    func testWrongPasswordSaysAttemptsLeft() async throws {
        let provider = try requireProvider()
        let issued = try provider.bank.issue(
            email: Fixtures.email, activationPassword: Fixtures.activationPassword)
        let client = try SoftTokenClient(provider.config(secretStore: MemorySecretStore()))
        do {
            _ = try await client.activate(
                serviceId: provider.serviceId, userId: issued.userId,
                activationPassword: "Sakura#2025")
            XCTFail("a wrong password was accepted")
        } catch let error as SoftTokenError {
            guard case let .wrongActivationPassword(attemptsLeft, detail) = error else {
                return XCTFail("expected wrongActivationPassword, got \(error)")
            }
            XCTAssertEqual(attemptsLeft, 4)
            XCTAssertEqual(error.attemptsLeft, 4)
            XCTAssertFalse(detail.isEmpty)
            XCTAssertEqual(error.localizedDescription, detail)
            XCTAssertFalse(error.isRetryable)
        }
        XCTAssertEqual(try client.tokens(), [])
    }

    func testSecretStoreFailingOnSetIsAKeystoreError() async throws {
        let provider = try requireProvider()
        let issued = try provider.bank.issue(
            email: Fixtures.email, activationPassword: Fixtures.activationPassword)
        let client = try SoftTokenClient(provider.config(secretStore: FailingSecretStore()))
        do {
            _ = try await client.activate(
                serviceId: provider.serviceId, userId: issued.userId,
                activationPassword: Fixtures.activationPassword)
            XCTFail("activation succeeded without storing the seed")
        } catch let error as SoftTokenError {
            guard case let .keystoreUnavailable(detail) = error else {
                return XCTFail("expected keystoreUnavailable, got \(error)")
            }
            XCTAssertTrue(detail.contains("device is locked"), detail)
            XCTAssertTrue(error.isRetryable)
        }
        XCTAssertEqual(try client.tokens(), [])
    }
}

/// A Swift store whose writes fail as on a locked iPhone, from `SoftToken` alone.
private final class FailingSecretStore: SecretStore, @unchecked Sendable {
    func get(key: String) throws -> Data? { nil }
    func set(key: String, value: Data) throws {
        throw SecretStoreError.unavailable(reason: "device is locked")
    }
    func delete(key: String) throws {}
}
