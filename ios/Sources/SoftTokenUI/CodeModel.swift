import Foundation
import SoftToken

/// What ワンタイムパスワード shows for one token.
public struct CodeState: Equatable, Sendable {
    /// Screen readers spell the code out digit by digit: the view applies
    /// `.speechSpellsOutCharacters()` to `spokenLabel` (a model cannot, it has no
    /// `AttributedString` accessibility attributes on Linux). Always `true`; here so the rule is
    /// written down where the label is made, and tested.
    public static let speechSpellsOutCharacters = true

    /// The token (label, status).
    public var token: TokenInfo
    /// The code's digits, or `nil` while none is shown (a banner that hides the code).
    public var digits: String?
    /// The countdown of the code shown.
    public var countdown: Countdown?
    /// The banner over the code, if the token is not simply active.
    public var banner: Banner?
    /// What the countdown announces at this tick (about 20 s and 10 s left, a new code), or
    /// `nil`: the view posts it as an accessibility announcement.
    public var announcement: Announcement?
    /// A refresh or code failure that is not about the token's state (e.g. no network), or `nil`.
    public var notice: Notice?

    /// Says that no code can be shown, when a banner hides it, else `nil`.
    public var unavailableMessage: Message? {
        digits == nil && banner?.showsCode == false ? Message(.codeUnavailable) : nil
    }
    /// The code as displayed, `1234 5678` (monospaced).
    public var grouped: String? { digits.map(CodeFace.grouped) }
    /// What the copy button copies: the 8 digits without the space.
    public var copyText: String? { digits.map(CodeFace.copyText) }
    /// The code's accessibility label ("ワンタイムパスワード 1 2 3 4 5 6 7 8"): the digits apart, as
    /// the Compose screen says them, and spelled out by the view as well.
    public var spokenLabel: Message? {
        digits.map { Message(.codeSpoken, ["digits": CodeFace.spokenDigits($0)]) }
    }
    /// The countdown's accessibility value ("残り12秒"): its own element.
    public var countdownLabel: Message? {
        countdown.map { Message(.codeRemaining, ["n": String($0.secondsLeft)]) }
    }
    /// What to announce now, as text.
    public var announcementMessage: Message? {
        switch announcement {
        case .newCode:
            return digits.map { Message(.codeAnnounceNew, ["digits": CodeFace.spokenDigits($0)]) }
        case let .secondsLeft(seconds):
            return Message(.codeAnnounceRemaining, ["n": String(seconds)])
        case nil: return nil
        }
    }
    /// The banner's text (a replacement's date written for `language`, in `timeZone`).
    public func bannerMessage(_ language: Language, timeZone: TimeZone = .current) -> Message? {
        banner?.message(language, timeZone: timeZone)
    }
}

/// ワンタイムパスワード: the code of one token, its countdown and banner.
///
/// Time comes from the injected `Clock`; `tick()` moves the screen to the clock's now (the view
/// calls it from a timer, tests call it after moving their clock), so the code changes exactly
/// when the clock crosses the period boundary and no test sleeps.
@MainActor
public final class CodeModel {
    /// What the screen shows.
    public let state: ModelState<CodeState>

    private let client: SoftTokenClient
    private let clock: Clock
    private var code: OtpCode?
    private var expiresAtMs: Int64 = 0

    /// The screen of `token`, timed by `clock` (use the same clock as the client's config).
    public init(client: SoftTokenClient, token: TokenInfo, clock: Clock = SystemClock()) {
        self.client = client
        self.clock = clock
        state = ModelState(
            CodeState(token: token, banner: Banner.forToken(token)))
    }

    /// Moves the screen to the clock's now: a new code once the period is over, the countdown,
    /// and the announcement of this moment.
    public func tick() {
        var next = state.value
        let now = clock.nowMs()
        let previousSeconds = next.countdown?.secondsLeft
        var codeChanged = false
        if next.banner?.showsCode ?? true, code == nil || now >= expiresAtMs {
            do {
                let fresh = try client.currentCode(tokenId: next.token.id)
                codeChanged = code != nil && fresh.code != code?.code
                code = fresh
                expiresAtMs = now + fresh.remainingMs
                next.notice = nil
            } catch {
                code = nil
                Self.show(error, in: &next)
            }
        }
        if let code, next.banner?.showsCode ?? true {
            next.digits = code.code
            next.countdown = CodeFace.countdown(
                expiresAtMs: expiresAtMs, periodMs: Int64(code.period) * 1000, nowMs: now)
        } else {
            next.digits = nil
            next.countdown = nil
        }
        next.announcement = CodeFace.announcement(
            previousSecondsLeft: previousSeconds, secondsLeft: next.countdown?.secondsLeft ?? 0,
            codeChanged: codeChanged)
        state.set(next)
    }

    /// Asks the provider for the token's state (how the phone learns it was revoked, confirmed
    /// or moved to a new phone), then ticks.
    public func refresh() async {
        do {
            let token = try await client.refresh(tokenId: state.value.token.id)
            state.update {
                $0.token = token
                $0.banner = Banner.forToken(token)
                $0.notice = nil
            }
        } catch {
            state.update { Self.show(error, in: &$0) }
        }
        if !(state.value.banner?.showsCode ?? true) { code = nil }
        tick()
    }

    /// A failure about the token's state becomes its banner; any other, a notice.
    private static func show(_ error: Error, in state: inout CodeState) {
        if let error = error as? SoftTokenError,
           let banner = Banner.forError(error, replacedAtMs: state.token.replacedAtMs)
        {
            state.banner = banner
        } else {
            state.notice = Notice.forError(error)
        }
    }

    /// The app's loop while the screen is visible: a refresh, then a tick every second (and a
    /// refresh every `refreshEvery` seconds), until the task is cancelled. Tests call `tick()`
    /// and `refresh()` instead.
    public func run(refreshEvery: Int = 60) async {
        await refresh()
        var seconds = 0
        while !Task.isCancelled {
            try? await Task.sleep(nanoseconds: 1_000_000_000 - UInt64(clock.nowMs() % 1000) * 1_000_000)
            seconds += 1
            if seconds % refreshEvery == 0 { await refresh() } else { tick() }
        }
    }
}
