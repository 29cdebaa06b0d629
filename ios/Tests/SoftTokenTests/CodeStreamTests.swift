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
        let issued = try TestBank(provider: provider)
            .issue(email: "saburo@example.jp", activationPassword: "Sakura#2026")
        let client = try SoftTokenClient(provider.configuration(store: InMemorySecretStore()))
        let token = try await client.activate(
            serviceId: provider.serviceId, userId: issued.user_id, activationPassword: "Sakura#2026")

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
        } catch is SoftTokenClientError {}
    }
}
