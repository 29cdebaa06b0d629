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
        let manual: [WordKey: String] = [
            .setupTitle: "初期設定", .setupServiceId: "サービスID", .setupUserId: "ユーザID",
            .setupPassword: "利用開始パスワード", .setupSubmit: "送信", .doneTitle: "初期設定完了",
            .doneNext: "次へ", .codeTitle: "ワンタイムパスワード", .txTitle: "取引認証",
            .txApprove: "承認", .txReject: "拒否", .phoneTitle: "機種変更",
        ]
        for (key, word) in manual { XCTAssertEqual(ja.text(key), word, "\(key)") }
        XCTAssertTrue(ja.text(.bannerPending).contains("認証確認"))
        XCTAssertEqual(WordKey.setupServiceId.rawValue, "setup.service_id", "the catalogue's key")
    }

    func testTheLanguageFollowsThePreferredOne() {
        XCTAssertEqual(Language.preferred(["ja-JP", "en-US"]), .ja)
        XCTAssertEqual(Language.preferred(["en-GB"]), .en)
        XCTAssertEqual(Language.preferred([]), .en)
    }

    func testThePhoneChangeGuideHasBothPaths() {
        XCTAssertEqual(
            PhoneChangeGuide.oldPhoneAtHand.steps,
            [.phoneAtHand1, .phoneAtHand2, .phoneAtHand3, .phoneAtHand4],
            "issue → set up → 認証確認 → the old one retires itself")
        XCTAssertEqual(
            PhoneChangeGuide.oldPhoneLost.steps.first, .phoneLost1,
            "a lost phone's token is revoked first")
        XCTAssertEqual(PhoneChangeGuide.paths.count, 2)
    }
}
