import Foundation
import SoftToken

/// The test provider's clock as the suite sees it, through the test kit's clock control
/// (`SOFTTOKEN_TEST_CONTROL_URL`, plain HTTP on 127.0.0.1; `tests/src/control.rs`):
/// `advanced(by:_:)` moves the provider's time without sleeping, and as a `Clock` it reads the
/// provider's time (the system time plus the offset the control last reported), so a phone
/// given it ages with the provider as a real phone would.
///
/// One provider serves the whole suite: a test moves its clock only inside `advanced(by:_:)`,
/// which puts it back whatever happens. `swift test` (without `--parallel`, as `cargo xtask
/// swift` runs it) runs one test at a time, so no other test sees the jump.
public final class ProviderClock: Clock, @unchecked Sendable {
    // @unchecked: every access to `offset` holds `lock`.
    private let lock = NSLock()
    private var offset: Int64
    private let control: URL

    /// The clock of `provider`, at the offset the control reports now.
    public init(of provider: TestProvider) throws {
        control = provider.controlUrl
        offset = 0
        try call("clock", post: false)
    }

    /// Now on the provider, unix ms.
    public func nowMs() -> Int64 {
        Int64(Date().timeIntervalSince1970 * 1000) + lock.withLock { offset }
    }

    /// Runs `body` with the provider's clock `seconds` ahead, then puts it back.
    public func advanced<T>(by seconds: Int, _ body: () async throws -> T) async throws -> T {
        try call("clock/advance?seconds=\(seconds)", post: true)
        do {
            let result = try await body()
            try call("clock/reset", post: true)
            return result
        } catch {
            try? call("clock/reset", post: true)
            throw error
        }
    }

    /// What the control answers: the provider's offset from the system time afterwards.
    private struct Reading: Decodable {
        let offsetMs: Int64
    }

    private func call(_ path: String, post: Bool) throws {
        let data = try Curl.run(
            (post ? ["-X", "POST"] : []) + [control.absoluteString + "/" + path])
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        let reading = try decoder.decode(Reading.self, from: data)
        lock.withLock { offset = reading.offsetMs }
    }
}
