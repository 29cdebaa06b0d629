import SoftTokenUI
import XCTest

/// The ja/en wording table and the phone-change guide.
final class WordingTests: XCTestCase {
    func testEveryKeyHasBothLanguages() {
        for key in WordKey.allCases {
            for language in Language.allCases {
                let text = Strings(language).text(key)
                XCTAssertFalse(text.isEmpty, "\(key) \(language)")
                XCTAssertNotEqual(text, key.rawValue, "\(key) has no \(language) text")
            }
        }
    }

    func testTheJapaneseUsesTheManualsWords() {
        let ja = Strings(.ja)
        XCTAssertEqual(ja.text(.setupTitle), "初期設定")
        XCTAssertEqual(ja.text(.serviceId), "サービスID")
        XCTAssertEqual(ja.text(.userId), "ユーザID")
        XCTAssertEqual(ja.text(.activationPassword), "利用開始パスワード")
        XCTAssertEqual(ja.text(.send), "送信")
        XCTAssertEqual(ja.text(.setupDoneTitle), "初期設定完了")
        XCTAssertEqual(ja.text(.next), "次へ")
        XCTAssertEqual(ja.text(.codeTitle), "ワンタイムパスワード")
        XCTAssertEqual(ja.text(.transactionsTitle), "取引認証")
        XCTAssertEqual(ja.text(.approve), "承認")
        XCTAssertEqual(ja.text(.reject), "拒否")
        XCTAssertEqual(ja.text(.phoneChangeTitle), "機種変更")
        XCTAssertTrue(ja.text(.bannerPendingConfirmation).contains("認証確認"))
    }

    func testTheLanguageFollowsThePreferredOne() {
        XCTAssertEqual(Language.preferred(["ja-JP", "en-US"]), .ja)
        XCTAssertEqual(Language.preferred(["en-GB"]), .en)
        XCTAssertEqual(Language.preferred([]), .en)
    }

    func testThePhoneChangeGuideHasBothPaths() {
        XCTAssertEqual(
            PhoneChangeGuide.oldPhoneAtHand.steps,
            [.stepAskIssue, .stepSetUpNew, .stepConfirmNew, .stepOldRetires],
            "issue → set up → 認証確認 → the old one retires itself")
        XCTAssertEqual(
            PhoneChangeGuide.oldPhoneLost.steps.first, .stepBankRevokes,
            "a lost phone's token is revoked first")
        XCTAssertEqual(PhoneChangeGuide.paths.count, 2)
    }
}
