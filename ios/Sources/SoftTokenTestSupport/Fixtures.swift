/// The values the suites share, named as in the Rust test kit's `fixtures`.
public enum Fixtures {
    /// The demo service the provider's `--dev` mode creates.
    public static let serviceId = "10121234"
    /// The activation password the tests issue tokens with.
    public static let activationPassword = "Sakura#2026"
    /// The email the bank issues the tests' tokens to.
    public static let email = "hanako@example.jp"

    /// `userId` with one body digit changed (the sixth, plus one, modulo 10): its check letters
    /// no longer match, as after a typo.
    public static func userIdWithTypo(_ userId: String) -> String {
        var characters = Array(userId)
        let digit = characters[typoAt].wholeNumberValue ?? 0
        characters[typoAt] = Character(String((digit + 1) % 10))
        return String(characters)
    }

    /// Which body character `userIdWithTypo` changes (0-based).
    private static let typoAt = 5
}
