/// 機種変更: the two ways to move a token to a new phone, as steps. Reached from the code
/// screen.
public enum PhoneChangeGuide {
    /// One way, with its steps in order.
    public struct Path: Equatable, Sendable {
        /// When this way applies.
        public let title: WordKey
        /// What to do, in order.
        public let steps: [WordKey]
    }

    /// The old phone is at hand: the new token replaces the old one at its 認証確認, so the user
    /// is never without a working token, nor with two.
    public static let oldPhoneAtHand = Path(
        title: .phoneAtHandTitle,
        steps: [.phoneAtHand1, .phoneAtHand2, .phoneAtHand3, .phoneAtHand4])

    /// The old phone is lost: the bank revokes its token first (トークンの失効), then issues one.
    public static let oldPhoneLost = Path(
        title: .phoneLostTitle,
        steps: [.phoneLost1, .phoneLost2, .phoneLost3])

    /// Both, as the guide lists them.
    public static let paths = [oldPhoneAtHand, oldPhoneLost]

    /// The line above both ways.
    public static let intro = WordKey.phoneIntro

    /// The screen's title.
    public static let title = WordKey.phoneTitle
}
