import SoftToken

/// Which screen the app shows.
public enum Screen: Equatable, Sendable {
    /// 初期設定 (also to add another token or set one up again).
    case setup
    /// 初期設定完了 for the token just set up → 次へ.
    case setupDone(TokenInfo)
    /// ワンタイムパスワード of a token.
    case code(tokenId: String)
    /// The token list.
    case tokens
    /// 取引認証 of a token.
    case transactions(tokenId: String)
    /// 機種変更, the guide.
    case phoneChange
}

/// The root: which screen, and the moves between them. The screens' own models are made here so
/// each gets the one client and clock.
@MainActor
public final class AppModel {
    /// The screen shown.
    public let screen = ModelState(Screen.setup)
    /// The app's client.
    public let client: SoftTokenClient
    private let clock: Clock

    /// The app over `client`, timed by `clock` (the same as the client's); starts on the first
    /// token's code, or on 初期設定 when the phone has none.
    public init(client: SoftTokenClient, clock: Clock = SystemClock()) {
        self.client = client
        self.clock = clock
        screen.set(home())
    }

    /// The first token's code, or 初期設定 when there is no token (or the list cannot be read).
    public func home() -> Screen {
        guard let first = try? client.tokens().first else { return .setup }
        return .code(tokenId: first.id)
    }

    /// A setup model that moves on to 初期設定完了 when it succeeds.
    public func makeSetupModel() -> SetupModel {
        let model = SetupModel(client: client)
        model.onActivated = { [weak self] token in self?.screen.set(.setupDone(token)) }
        return model
    }

    /// The code model of `tokenId`, or `nil` if the token is gone.
    public func makeCodeModel(tokenId: String) -> CodeModel? {
        guard let token = try? client.tokens().first(where: { $0.id == tokenId }) else { return nil }
        return CodeModel(client: client, token: token, clock: clock)
    }

    /// The token list's model.
    public func makeTokensModel() -> TokensModel { TokensModel(client: client) }

    /// 取引認証's model for `tokenId`.
    public func makeTransactionsModel(tokenId: String) -> TransactionsModel {
        TransactionsModel(client: client, tokenId: tokenId)
    }

    /// 次へ on 初期設定完了: the new token's code.
    public func next() {
        if case let .setupDone(token) = screen.value { screen.set(.code(tokenId: token.id)) }
    }

    /// Opens `target` (the list, 取引認証, 機種変更, 初期設定 to add or set up again).
    public func open(_ target: Screen) { screen.set(target) }

    /// Back from any screen: home.
    public func back() { screen.set(home()) }
}
