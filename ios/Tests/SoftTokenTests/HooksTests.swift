import Foundation
import SoftToken
import SoftTokenTestSupport
import XCTest

/// What an app plugs into the library, implemented from `SoftToken` alone: its `Clock` and its
/// logger (a `SecretStore` is `MemorySecretStore`, used everywhere).
final class HooksTests: XCTestCase {
    func testTheAppsClockIsTheDeviceClock() async throws {
        let provider = try requireProvider()
        let clock = CountingClock()
        let (client, token) = try await provider.activatedClient(clock: clock)
        let before = clock.calls
        let code = try client.currentCode(tokenId: token.id)
        XCTAssertGreaterThan(clock.calls, before, "the code is computed at the app's time")
        let verification = try provider.bank.verify(userId: token.userId, otp: code.code)
        XCTAssertEqual(verification.result, "accepted")
    }

    func testTheLoggerReceivesTheCoresRecordsWithoutSecrets() async throws {
        let provider = try requireProvider()
        let records = Records()
        SoftTokenLibrary.setLogger(maxLevel: .debug) { level, target, message in
            records.append(level, target, message)
        }
        defer { SoftTokenLibrary.setLogger(nil) }
        let (client, token) = try await provider.activatedClient()
        let code = try client.currentCode(tokenId: token.id).code

        let seen = records.all
        XCTAssertTrue(
            seen.contains {
                $0.level == .info && $0.target.hasPrefix("softtoken_core")
                    && $0.message.contains("activated")
            }, "\(seen)")
        for record in seen {
            XCTAssertFalse(record.message.contains(Fixtures.activationPassword), record.message)
            XCTAssertFalse(record.message.contains(code), record.message)
        }
    }
}

/// The system clock, counting how often the library asks it.
private final class CountingClock: Clock, @unchecked Sendable {
    // @unchecked: every access to `count` holds `lock`.
    private let lock = NSLock()
    private var count = 0

    var calls: Int { lock.withLock { count } }

    func nowMs() -> Int64 {
        lock.withLock { count += 1 }
        return Int64(Date().timeIntervalSince1970 * 1000)
    }
}

/// Log records, appended from the library's threads.
private final class Records: @unchecked Sendable {
    // @unchecked: every access to `records` holds `lock`.
    private let lock = NSLock()
    private var records: [(level: LogLevel, target: String, message: String)] = []

    var all: [(level: LogLevel, target: String, message: String)] { lock.withLock { records } }

    func append(_ level: LogLevel, _ target: String, _ message: String) {
        lock.withLock { records.append((level, target, message)) }
    }
}
