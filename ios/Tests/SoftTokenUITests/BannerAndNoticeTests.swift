import Foundation
import SoftToken
import SoftTokenUI
import XCTest

/// Which banner each token state shows, and what each failure says and offers.
final class BannerAndNoticeTests: XCTestCase {
    func testEachNonActiveStateHasItsBanner() {
        let expected: [(TokenStatus, Banner?)] = [
            (.pendingConfirmation, .pendingConfirmation), (.active, nil), (.locked, .locked),
            (.revoked, .revoked), (.replaced, .replaced(atMs: nil)), (.expired, .expired),
            (.needsResetup, .needsResetup),
        ]
        for (status, banner) in expected {
            XCTAssertEqual(Banner.forToken(status: status, clockSkewed: false), banner, "\(status)")
        }
        XCTAssertEqual(Banner.forToken(status: .active, clockSkewed: true), .clockOff)
        XCTAssertEqual(
            Banner.forToken(status: .replaced, clockSkewed: false, replacedAtMs: 42),
            .replaced(atMs: 42), "the replacement's date reaches the banner")
        XCTAssertEqual(
            Banner.forError(.tokenReplaced(detail: ""), replacedAtMs: 42), .replaced(atMs: 42))
    }

    func testTheTokenListNamesEachStatus() {
        let statuses: [TokenStatus] = [
            .pendingConfirmation, .active, .locked, .revoked, .replaced, .expired, .needsResetup,
        ]
        let labels = statuses.map { Strings(.ja).text(TokensState.statusLabel($0)) }
        XCTAssertEqual(Set(labels).count, statuses.count, "a word of its own for each")
        XCTAssertEqual(TokensState.statusLabel(.replaced), .tokensStatusReplaced)
    }

    func testBannersSayWhetherTheCodeStaysAndWhatToDo() {
        XCTAssertTrue(Banner.pendingConfirmation.showsCode, "the code is what 認証確認 needs")
        XCTAssertTrue(Banner.locked.showsCode)
        XCTAssertTrue(Banner.clockOff.showsCode)
        for banner in [Banner.revoked, .replaced(atMs: 0), .expired, .needsResetup] {
            XCTAssertFalse(banner.showsCode, "\(banner)")
        }
        XCTAssertEqual(Banner.needsResetup.action, .bannerSetupAgain)
        XCTAssertEqual(Banner.locked.message(.ja).key, .bannerLocked)
        XCTAssertEqual(Banner.forError(.seedMissing(detail: "")), .needsResetup)
        XCTAssertEqual(Banner.forError(.tokenRevoked(detail: "")), .revoked)
        XCTAssertNil(Banner.forError(.network(retryable: true, detail: "")))
    }

    func testTheReplacedBannerNamesTheDay() {
        // 2026-12-01T00:30:00+09:00 is still 30 November in UTC.
        let atMs: Int64 = 1_796_052_600_000
        let tokyo = TimeZone(identifier: "Asia/Tokyo")!
        let ja = Banner.replaced(atMs: atMs).message(.ja, timeZone: tokyo)
        XCTAssertEqual(
            Strings(.ja).text(ja),
            "このトークンは2026年12月1日に新しいスマートフォンへ移行しました。このスマートフォンではワンタイムパスワードは使えません。")
        let en = Banner.replaced(atMs: atMs).message(.en, timeZone: TimeZone(identifier: "UTC")!)
        XCTAssertTrue(
            Strings(.en).text(en).hasPrefix("This token moved to a new phone on November 30, 2026."),
            Strings(.en).text(en))
    }

    func testEachActivationFailureHasItsMessageAndNextStep() {
        let cases: [(SoftTokenError, WordKey, WordKey, Bool)] = [
            (.wrongActivationPassword(attemptsLeft: 4, detail: ""), .errorWrongPassword,
             .errorWrongPasswordNext, false),
            (.activationLocked(detail: ""), .errorLocked, .errorLockedNext, false),
            (.tokenExpired(detail: ""), .errorExpired, .errorExpiredNext, false),
            (.tokenRevoked(detail: ""), .errorRevoked, .errorRevokedNext, false),
            (.alreadyActiveElsewhere(detail: ""), .errorActiveElsewhere, .errorActiveElsewhereNext,
             false),
            (.network(retryable: true, detail: ""), .errorNetwork, .errorNetworkNext, true),
            (.keystoreUnavailable(detail: ""), .errorKeystore, .errorKeystoreNext, true),
            (.invalidUserId(detail: ""), .errorInvalidUserId, .errorInvalidIdsNext, false),
            (.clockImplausible(detail: ""), .errorOther, .bannerClockSkewed, false),
            (.tls(detail: ""), .errorOther, .errorOtherNext, false),
        ]
        for (error, message, next, canRetry) in cases {
            let notice = Notice.forError(error)
            XCTAssertEqual(notice.message.key, message, "\(error)")
            XCTAssertEqual(notice.nextStep?.key, next, "\(error)")
            XCTAssertEqual(notice.canRetry, canRetry, "\(error)")
        }
        let wrong = Notice.forError(SoftTokenError.wrongActivationPassword(attemptsLeft: 2, detail: ""))
        XCTAssertEqual(
            Strings(.ja).text(wrong.message),
            "利用開始パスワード、またはサービスID・ユーザIDが違います。あと2回間違えるとロックされます。")
        XCTAssertEqual(
            Strings(.en).text(wrong.message),
            "The activation password, or the Service ID or User ID, is wrong. 2 more tries before the token locks.")
        XCTAssertTrue(Notice.forError(SoftTokenError.alreadyActiveElsewhere(detail: "")).showsPhoneChangeGuide)
    }
}
