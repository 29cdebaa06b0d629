#if canImport(XCTest)
import XCTest

extension XCTestCase {
    /// The provider `cargo xtask swift` started; without one (the suite run outside xtask) the
    /// test is skipped. Here, not in a test target, so both suites (`SoftTokenTests`,
    /// `SoftTokenUITests`) share it.
    public func requireProvider() throws -> TestProvider {
        guard let provider = try TestProvider.fromEnvironment() else {
            throw XCTSkip("no test provider: run `cargo xtask swift`")
        }
        return provider
    }
}
#endif
