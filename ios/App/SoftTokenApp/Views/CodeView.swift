// Apple-only: SwiftUI, never compiled on Linux (CI). `CodeModel` decides the digits, the
// countdown, the spoken label, the announcement moments and the banner.
import SoftTokenUI
import SwiftUI
import UIKit

/// ワンタイムパスワード: `1234 5678` in a monospaced face, the countdown, コピー, the banner.
struct CodeView: View {
    @Environment(\.strings) private var strings
    let model: CodeModel
    let open: (Screen) -> Void

    var body: some View {
        Observing(state: model.state) { state in
            ScrollView {
                VStack(spacing: 24) {
                    if let message = state.bannerMessage(strings.language) {
                        BannerView(text: strings.text(message), action: state.banner?.action) {
                            open(.setup)
                        }
                    }
                    if let grouped = state.grouped, let spoken = state.spokenLabel {
                        // The largest Dynamic Type sizes shrink the digits rather than cut them.
                        Text(grouped)
                            .font(.system(.largeTitle, design: .monospaced).weight(.semibold))
                            .lineLimit(1)
                            .minimumScaleFactor(0.3)
                            .accessibilityLabel(Text(strings.text(spoken)).speechSpellsOutCharacters())
                        if let countdown = state.countdown, let label = state.countdownLabel {
                            ProgressView(value: countdown.fraction)
                                .accessibilityElement()
                                .accessibilityLabel(strings.text(.codeTitle))
                                .accessibilityValue(strings.text(label))
                        }
                        WideButton(title: strings.text(.codeCopy)) {
                            UIPasteboard.general.string = state.copyText
                        }
                    }
                    if let unavailable = state.unavailableMessage {
                        Text(strings.text(unavailable))
                    }
                    if let notice = state.notice { NoticeView(notice: notice) }
                    WideButton(title: strings.text(.txTitle)) {
                        open(.transactions(tokenId: state.token.id))
                    }
                    WideButton(title: strings.text(.tokensTitle)) { open(.tokens) }
                    WideButton(title: strings.text(.phoneTitle)) { open(.phoneChange) }
                }
                .padding()
            }
            .navigationTitle(state.token.label ?? strings.text(.codeTitle))
            .onChange(of: state.announcementMessage) { message in
                if let message {
                    UIAccessibility.post(notification: .announcement, argument: strings.text(message))
                }
            }
        }
        .task { await model.run() }
    }
}

/// A banner: an icon and words (never colour alone), and its action if any.
struct BannerView: View {
    @Environment(\.strings) private var strings
    let text: String
    let action: WordKey?
    let perform: () -> Void

    var body: some View {
        VStack(alignment: .leading, spacing: 8) {
            Label(text, systemImage: "info.circle")
            if let action { WideButton(title: strings.text(action), action: perform) }
        }
        .padding()
        .background(RoundedRectangle(cornerRadius: 12).strokeBorder())
        .accessibilityElement(children: .combine)
    }
}
