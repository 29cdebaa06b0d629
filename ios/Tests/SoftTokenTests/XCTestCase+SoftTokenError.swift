import SoftToken
import XCTest

extension XCTestCase {
    /// Awaits `call`, which must fail with the `SoftTokenError` case named `expected`
    /// (`"transactionExpired"`): one line per refusal instead of a `do`/`catch`/`guard case`.
    func assertFails<T>(
        with expected: String, _ call: () async throws -> T,
        file: StaticString = #filePath, line: UInt = #line
    ) async {
        do {
            _ = try await call()
            XCTFail("no error, expected \(expected)", file: file, line: line)
        } catch let error as SoftTokenError {
            // An enum case with associated values reflects as one child labelled by its name.
            let name = Mirror(reflecting: error).children.first?.label
            XCTAssertEqual(name, expected, "\(error)", file: file, line: line)
        } catch {
            XCTFail("\(error), expected SoftTokenError.\(expected)", file: file, line: line)
        }
    }
}
