import SoftTokenTestSupport
import XCTest

extension XCTestCase {
    /// The provider `cargo xtask swift` started; without one (the suite run outside xtask) the
    /// test is skipped.
    func requireProvider() throws -> TestProvider {
        guard let provider = try TestProvider.fromEnvironment() else {
            throw XCTSkip("no test provider: run `cargo xtask swift`")
        }
        return provider
    }
}
