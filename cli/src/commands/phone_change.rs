//! `softtoken phone-change`: the two ways to move a token to a new phone (機種変更), as
//! `docs/protocol.md` §7.5 defines them. Text only; nothing is read or changed.

/// The guide, in the manual's words.
pub const GUIDE: &str = "\
機種変更 — moving your token to a new phone

Old phone at hand (no gap):
  1. Ask the bank to issue a token for the new phone (トークン発行). The old phone keeps
     showing codes: keep using it until step 3.
  2. On the new phone: 初期設定 with the new サービスID, ユーザID and 利用開始パスワード.
  3. 認証確認: type the new phone's code at internet banking. From that moment the new phone
     is your token and the old one retires itself. If the bank answers that the code was
     already used, wait for the next code and type that one.
  4. The old phone says \"this token moved to a new phone on <date>\" on its next refresh
     (`softtoken refresh`) and shows no more codes; remove it there (`softtoken remove`).

Old phone lost or broken:
  1. Ask the bank to revoke the old token (トークンの失効) at once.
  2. Ask the bank to issue a new token (トークン発行).
  3. On the new phone: 初期設定, then 認証確認.
";

/// Prints [`GUIDE`].
pub fn run() {
    print!("{GUIDE}");
}
