import Foundation
import SoftToken
import SoftTokenTestSupport
import SoftTokenUI
import XCTest

/// ワンタイムパスワード against the real provider, timed by a clock the test moves: the code
/// the bank accepts, its grouping and spoken label, the change exactly at the period boundary,
/// the announcement moments, and banners caused for real.
final class CodeScreenTests: XCTestCase {
    @MainActor func testTheCodeTheScreenShowsIsConfirmedAtTheBankAndTheBannerGoes() async throws {
        let provider = try requireProvider()
        let clock = ManualClock()
        let (client, token) = try await provider.activatedClient(clock: clock)
        let screen = CodeModel(client: client, token: token, clock: clock)
        XCTAssertEqual(screen.state.value.banner, .pendingConfirmation)

        screen.tick()
        let shown = screen.state.value
        let digits = try XCTUnwrap(shown.digits)
        XCTAssertEqual(shown.grouped, "\(digits.prefix(4)) \(digits.suffix(4))")
        XCTAssertEqual(shown.copyText, digits, "copied without the space")
        XCTAssertEqual(
            shown.spokenLabel, Message(.codeSpoken, ["digits": digits.map(String.init).joined(separator: " ")]))
        XCTAssertTrue(CodeState.speechSpellsOutCharacters)
        XCTAssertEqual(
            Strings(.ja).text(try XCTUnwrap(shown.countdownLabel)),
            "残り\(shown.countdown?.secondsLeft ?? -1)秒")

        let confirmed = try provider.bank.verify(userId: token.userId, otp: try XCTUnwrap(shown.copyText))
        XCTAssertEqual(confirmed.result, "accepted", "the bank takes what the copy button copies")
        await screen.refresh()
        XCTAssertNil(screen.state.value.banner, "active: no banner")
        XCTAssertEqual(screen.state.value.token.status, .active)
    }

    @MainActor func testTheCodeChangesExactlyAtTheBoundaryAndSpeaksAtTwentyAndTenSeconds() async throws {
        let provider = try requireProvider()
        let clock = ManualClock()
        let (client, token) = try await provider.activatedClient(clock: clock)
        let screen = CodeModel(client: client, token: token, clock: clock)
        screen.tick()
        let first = try XCTUnwrap(screen.state.value.digits)
        let left = try XCTUnwrap(screen.state.value.countdown)
        XCTAssertNil(screen.state.value.announcement, "nothing announced on the first showing")
        // Move to 1 ms before the boundary, second by second, recording what is announced.
        let boundary = clock.nowMs() + (try client.currentCode(tokenId: token.id)).remainingMs
        var announced: [Announcement] = []
        while clock.nowMs() + 1000 < boundary {
            clock.advance(1000)
            screen.tick()
            if let said = screen.state.value.announcement { announced.append(said) }
        }
        clock.set(boundary - 1)
        screen.tick()
        XCTAssertEqual(screen.state.value.digits, first, "the same code until the boundary")
        XCTAssertGreaterThan(screen.state.value.countdown?.fraction ?? 0, 0)
        let expected = CodeFace.announcedSeconds.filter { $0 < left.secondsLeft }
            .map(Announcement.secondsLeft)
        XCTAssertEqual(announced, expected, "only at about 20 s and 10 s left")

        clock.set(boundary)
        screen.tick()
        let next = screen.state.value
        XCTAssertNotEqual(next.digits, first, "a new code exactly at the boundary")
        XCTAssertEqual(next.countdown?.fraction, 1)
        XCTAssertEqual(next.announcement, .newCode)
        XCTAssertEqual(next.announcementMessage?.key, .codeAnnounceNew)
        screen.tick()
        XCTAssertNil(screen.state.value.announcement, "said once")
    }

    @MainActor func testARevokedTokenShowsItsBannerAndNoCode() async throws {
        let provider = try requireProvider()
        let (client, token) = try await provider.activeClient()
        let screen = CodeModel(client: client, token: token)
        await screen.refresh()
        XCTAssertNotNil(screen.state.value.digits)

        _ = try provider.bank.revoke(userId: token.userId)
        await screen.refresh()
        XCTAssertEqual(screen.state.value.banner, .revoked)
        XCTAssertNil(screen.state.value.digits, "no code for a revoked token")
        XCTAssertNil(screen.state.value.copyText)
        XCTAssertEqual(screen.state.value.unavailableMessage, Message(.codeUnavailable))
        XCTAssertEqual(
            Strings(.ja).text(try XCTUnwrap(screen.state.value.bannerMessage(.ja))),
            "このトークンは失効しています。インターネットバンキングでトークンを再発行し、初期設定をやり直してください。")
    }

    @MainActor func testWrongCodesAtTheBankLockTheTokenAndTheBannerAsksForAnUnlock() async throws {
        let provider = try requireProvider()
        let (client, token) = try await provider.activeClient()
        let screen = CodeModel(client: client, token: token)
        await screen.refresh()
        let shown = try XCTUnwrap(screen.state.value.digits)
        let wrong = String(shown.map { $0 == "0" ? "1" : "0" })
        for _ in 0..<20 {
            if try provider.bank.verify(userId: token.userId, otp: wrong).failuresLeft == 0 { break }
        }

        await screen.refresh()
        XCTAssertEqual(screen.state.value.banner, .locked)
        XCTAssertNotNil(screen.state.value.digits, "a locked token still shows its code")
        XCTAssertEqual(screen.state.value.bannerMessage(.ja)?.key, .bannerLocked)
    }

    @MainActor func testALostSeedAsksToSetUpAgain() async throws {
        let provider = try requireProvider()
        let store = MemorySecretStore()
        let config = try provider.config(secretStore: store)
        let (_, token) = try await provider.activeClient(config: config)
        // A backup restored onto a new phone: the metadata came along, the seed did not.
        let restored = try SoftTokenClient(
            provider.config(secretStore: MemorySecretStore()).withDataDir(config.dataDir))
        let screen = CodeModel(client: restored, token: token)
        screen.tick()
        XCTAssertEqual(screen.state.value.banner, .needsResetup)
        XCTAssertEqual(screen.state.value.banner?.action, .bannerSetupAgain)
        XCTAssertNil(screen.state.value.digits)
    }
}

extension SoftTokenConfig {
    /// This configuration on `dir`.
    func withDataDir(_ dir: URL) -> SoftTokenConfig {
        var config = self
        config.dataDir = dir
        return config
    }
}
