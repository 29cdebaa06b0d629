import Foundation
import SoftToken
import SoftTokenTestSupport
import XCTest

/// What is decided on the phone, before or without the provider.
final class LocalTests: XCTestCase {
    private func offlineClient() throws -> SoftTokenClient {
        try requireProvider().offlineClient()
    }

    func testIdFieldRuleIsTheCores() {
        XCTAssertEqual(checkServiceIdInput("１０１２ "), .incomplete(normalized: "1012", expectedLen: 8))
        XCTAssertEqual(checkServiceIdInput("1012-1234"), .complete(normalized: "10121234"))
        XCTAssertEqual(checkUserIdInput("1234 5678 9012 34ci"), .complete(normalized: "12345678901234CI"))
        XCTAssertEqual(checkUserIdInput("12345678901235CI"), .invalid(problem: .checkMismatch))
        XCTAssertEqual(checkUserIdInput("12x"), .invalid(problem: .notADigit(position: 3)))
    }

    func testUserIdTypoIsCaughtWithoutContactingTheServer() async throws {
        let client = try offlineClient()
        do {
            // One digit of a valid User ID changed: its check letters catch it.
            _ = try await client.activate(
                serviceId: Fixtures.serviceId, userId: Fixtures.userIdWithTypo("12345678901234CI"),
                activationPassword: Fixtures.activationPassword)
            XCTFail("a mistyped User ID was accepted")
        } catch let error as SoftTokenError {
            guard case let .invalidUserId(detail) = error else {
                return XCTFail("expected invalidUserId, got \(error)")
            }
            XCTAssertFalse(detail.isEmpty)
        }
    }

    func testBadServiceIdIsCaught() async throws {
        let client = try offlineClient()
        do {
            _ = try await client.activate(
                serviceId: "1012123", userId: "12345678901234CI", activationPassword: "x")
            XCTFail("a 7-digit Service ID was accepted")
        } catch SoftTokenError.invalidServiceId {}
    }

    func testUnknownTokenHasNoCode() throws {
        let client = try offlineClient()
        XCTAssertThrowsError(try client.currentCode(tokenId: "10121234-0000")) { error in
            switch error as? SoftTokenError {
            case .tokenNotFound?, .invalidInput?: break
            default: XCTFail("unexpected \(error)")
            }
        }
    }

    func testAmountFormatsGroupThousands() {
        XCTAssertEqual(formatYenSign(1_234_567), "¥1,234,567")
        XCTAssertEqual(formatEnSuffix(1_234_567), "1,234,567円")
        XCTAssertEqual(formatYenSign(0), "¥0")
        XCTAssertEqual(formatEnSuffix(999), "999円")
    }

    func testLibraryVersion() {
        XCTAssertFalse(SoftTokenLibrary.version.isEmpty)
    }
}
