import Foundation
import SoftToken
import SoftTokenUI
import XCTest

/// Which banner each token state shows, and what each failure says and offers.
final class BannerAndNoticeTests: XCTestCase {
    func testEachNonActiveStateHasItsBanner() {
        let expected: [(TokenStatus, Banner?)] = [
            (.pendingConfirmation, .pendingConfirmation), (.active, nil), (.locked, .locked),
            (.revoked, .revoked), (.expired, .expired), (.needsResetup, .needsResetup),
        ]
        for (status, banner) in expected {
            XCTAssertEqual(Banner.forToken(status: status, clockSkewed: false), banner, "\(status)")
        }
        XCTAssertEqual(Banner.forToken(status: .active, clockSkewed: true), .clockOff)
    }

    func testBannersSayWhetherTheCodeStaysAndWhatToDo() {
        XCTAssertTrue(Banner.pendingConfirmation.showsCode, "the code is what 認証確認 needs")
        XCTAssertTrue(Banner.locked.showsCode)
        XCTAssertTrue(Banner.clockOff.showsCode)
        for banner in [Banner.revoked, .replaced(atMs: 0), .expired, .needsResetup] {
            XCTAssertFalse(banner.showsCode, "\(banner)")
        }
        XCTAssertEqual(Banner.needsResetup.action, .setUpAgain)
        XCTAssertEqual(Banner.locked.message().key, .bannerLocked)
        XCTAssertEqual(Banner.forError(.seedMissing(detail: "")), .needsResetup)
        XCTAssertEqual(Banner.forError(.tokenRevoked(detail: "")), .revoked)
        XCTAssertNil(Banner.forError(.network(retryable: true, detail: "")))
    }

    func testTheReplacedBannerNamesTheDay() {
        // 2026-12-01T00:30:00+09:00 is still 30 November in UTC.
        let atMs: Int64 = 1_796_052_600_000
        let tokyo = TimeZone(identifier: "Asia/Tokyo")!
        let message = Banner.replaced(atMs: atMs).message(timeZone: tokyo)
        XCTAssertEqual(Strings(.ja).text(message), "このトークンは2026-12-01に新しい機種へ移行しました")
        XCTAssertEqual(
            Strings(.en).text(Banner.replaced(atMs: atMs).message(timeZone: TimeZone(identifier: "UTC")!)),
            "This token moved to a new phone on 2026-11-30")
    }

    func testEachActivationFailureHasItsMessageAndNextStep() {
        let cases: [(SoftTokenError, WordKey, WordKey, Bool)] = [
            (.wrongActivationPassword(attemptsLeft: 4, detail: ""), .errorWrongPassword,
             .nextWrongPassword, false),
            (.activationLocked(detail: ""), .errorActivationLocked, .nextAskReissue, false),
            (.tokenExpired(detail: ""), .errorTokenExpired, .nextAskReissue, false),
            (.tokenRevoked(detail: ""), .errorTokenRevoked, .nextAskReissue, false),
            (.alreadyActiveElsewhere(detail: ""), .errorAlreadyActive, .nextPhoneChange, false),
            (.network(retryable: true, detail: ""), .errorNetwork, .nextRetry, true),
            (.keystoreUnavailable(detail: ""), .errorKeystore, .nextRetry, true),
            (.clockImplausible(detail: ""), .errorClock, .nextFixClock, false),
            (.tls(detail: ""), .errorTls, .nextContactBank, false),
        ]
        for (error, message, next, canRetry) in cases {
            let notice = Notice.forError(error)
            XCTAssertEqual(notice.message.key, message, "\(error)")
            XCTAssertEqual(notice.nextStep.key, next, "\(error)")
            XCTAssertEqual(notice.canRetry, canRetry, "\(error)")
        }
        let wrong = Notice.forError(.wrongActivationPassword(attemptsLeft: 2, detail: ""))
        XCTAssertEqual(
            Strings(.ja).text(wrong.message), "サービスID・ユーザID・利用開始パスワードのいずれかが違います（あと2回）")
        XCTAssertEqual(
            Strings(.en).text(wrong.message),
            "The Service ID, User ID or activation password is wrong (2 tries left)")
        XCTAssertTrue(Notice.forError(.alreadyActiveElsewhere(detail: "")).showsPhoneChangeGuide)
    }
}
