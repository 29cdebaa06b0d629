import Foundation
import SoftToken
import SoftTokenTestSupport
import XCTest

/// The `codes(tokenId:)` ticker.
final class CodeStreamTests: XCTestCase {
    func testStreamYieldsTheCurrentCode() async throws {
        guard let provider = try TestProvider.fromEnvironment() else {
            throw XCTSkip("no test provider: run `cargo xtask swift`")
        }
        let issued = try provider.bank.issue(
            email: Fixtures.email, activationPassword: Fixtures.activationPassword)
        let client = try SoftTokenClient(provider.config(secretStore: MemorySecretStore()))
        let token = try await client.activate(
            serviceId: provider.serviceId, userId: issued.userId,
            activationPassword: Fixtures.activationPassword)

        var iterator = client.codes(tokenId: token.id).makeAsyncIterator()
        let first = try await iterator.next()
        let code = try XCTUnwrap(first)
        XCTAssertEqual(code.code.count, 8)
        XCTAssertGreaterThan(code.remainingMs, 0)
        if code.remainingMs > 2000 {
            XCTAssertEqual(code.code, try client.currentCode(tokenId: token.id).code)
        }
    }

    func testStreamEndsWithTheErrorForAnUnknownToken() async throws {
        guard let provider = try TestProvider.fromEnvironment() else {
            throw XCTSkip("no test provider CA: run `cargo xtask swift`")
        }
        let client = try provider.offlineClient()
        do {
            for try await _ in client.codes(tokenId: "10121234-missing") {
                XCTFail("a code for an unknown token")
            }
            XCTFail("the stream ended without an error")
        } catch is SoftTokenError {}
    }
}
