import Foundation
import SoftToken
import SoftTokenTestSupport
import XCTest

/// The `codes(tokenId:)` ticker.
final class CodeStreamTests: XCTestCase {
    func testStreamYieldsTheCurrentCode() async throws {
        let (client, token) = try await requireProvider().activatedClient()

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
        let client = try requireProvider().offlineClient()
        do {
            for try await _ in client.codes(tokenId: "10121234-missing") {
                XCTFail("a code for an unknown token")
            }
            XCTFail("the stream ended without an error")
        } catch is SoftTokenError {}
    }
}
